//! # raft-testkit
//!
//! A deterministic simulated Raft cluster with fault injection and safety checkers.
//!
//! (Skeleton: its issue fills it in.)

#![forbid(unsafe_code)]
#![deny(missing_docs)]
