//! # raft-server
//!
//! Runs a [`raft_core::RaftNode`] as a service: a real clock feeding it
//! ticks, a durable log ([`raft_log_wal::WalLog`] by default), the
//! authenticated TCP transport of [`raft_wire`], and your
//! [`StateMachine`], behind a [`RaftHandle`] that synchronous code
//! `wait()`s on and asynchronous code `.await`s (on any runtime).
//!
//! Three threads per node:
//! * **consensus** owns the node. Each turn it takes everything that
//!   arrived since the last (peer messages, client requests, a due tick)
//!   and feeds it to `step_many` under deferred sync: the leader's appends
//!   go out at once, so its followers write while it writes its own log
//!   (thesis 10.2.1); then one `flush` makes the whole turn durable with
//!   one `sync` (group commit), and it sends the rest (replies, votes) and
//!   hands committed entries to the apply thread.
//! * **apply** owns the state machine: applies entries in order, answers
//!   proposals with the machine's response, serves released reads, takes
//!   snapshots. Consensus never waits for it.
//! * **inbox** forwards authenticated peer messages to consensus.
//!
//! What it logs (through `tracing`, the core never logs): node start,
//! elections, leader changes, stepping down, membership changes, snapshot
//! installs, unreachable peers, a failed log.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod applier;
mod config;
mod consensus;
mod error;
mod handle;
mod host_entry;
mod observer;
mod pending;
mod request;
mod server;
mod snapshot_pieces;
mod state_machine;
mod status;

pub use config::ServerConfig;
pub use error::ServerError;
pub use handle::RaftHandle;
pub use pending::{Answer, Pending};
pub use request::MembershipChange;
pub use server::RaftServer;
pub use state_machine::StateMachine;
pub use status::ServerStatus;

/// Mutual TLS between nodes (feature `tls`): set `ServerConfig::tls`.
#[cfg(feature = "tls")]
pub use raft_wire::{TlsIdentity, node_dns_name};
