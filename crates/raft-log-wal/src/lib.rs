//! # raft-log-wal
//!
//! WalLog: a durable, crash-safe Raft log on wal-db.
//!
//! (Skeleton: its issue fills it in.)

#![forbid(unsafe_code)]
#![deny(missing_docs)]
