//! read_index
