//! monotonic
