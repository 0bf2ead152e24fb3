//! # raft-io
//!
//! Batteries-included facade (being written).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use raft_core::*;
