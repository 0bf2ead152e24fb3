//! # raft-wire
//!
//! Raft message framing on pack-io, and a network transport.
//!
//! (Skeleton: its issue fills it in.)

#![forbid(unsafe_code)]
#![deny(missing_docs)]
