//! # raft-core
//!
//! The Raft consensus protocol as a deterministic, sans-I/O state machine.
//! Feed a [`RaftNode`] [`Event`]s through [`RaftNode::step`]; carry out the
//! [`Action`]s it returns, in order. The node never reads a clock, opens a
//! socket, spawns a thread or touches a disk: time is [`Event::Tick`],
//! storage is the [`RaftLog`] you hand it, and the network is whatever
//! delivers its [`Action::Send`]s. The same state and event always give the
//! same actions, so a whole cluster run replays from a seed.
//!
//! ```
//! use raft_core::{Action, Event, RaftConfig, RaftNode};
//!
//! let mut node = RaftNode::new(RaftConfig::single(1));
//! while !node.is_leader() {
//!     node.step(Event::Tick).unwrap();
//! }
//! let actions = node.step(Event::Propose(b"set x = 1".to_vec())).unwrap();
//! assert!(actions.contains(&Action::Apply { index: 1, term: 1, command: b"set x = 1".to_vec() }));
//! ```
//!
//! (A new leader first appends an empty no-op of its term, which commits
//! but is never applied; a sole voter over a fully committed log needs
//! none.)
//!
//! ## The calling contract
//!
//! * Inputs: [`RaftNode::step`] (one event), [`RaftNode::step_into`] (one
//!   event, reusing your output buffer), [`RaftNode::step_many`] (a batch
//!   made durable with one `sync`).
//! * Outputs: the returned [`Action`]s, to be performed in order. Every
//!   write a step makes is `sync`ed before the step returns, so every
//!   [`Action::Send`] is safe to transmit at once. (With
//!   [`RaftConfig::with_deferred_sync`], a step hands out only what may
//!   leave before its writes are durable and [`RaftNode::flush`] syncs once
//!   and hands out the rest.)
//! * An `Err(Error::Storage { .. })` means the log failed: stop the node and
//!   restart it from its durable state.
//!
//! The rules as implemented, with the Raft paper and thesis sections they
//! come from, are in `docs/PROTOCOL.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod error;
mod event;
pub mod log;
mod membership;
mod message;
mod node;
mod plausible;
mod rng;
mod shared;
mod transport;
mod types;

pub use config::RaftConfig;
pub use error::{Error, Result};
pub use event::{Action, Event};
pub use log::{MemoryLog, RaftLog};
pub use membership::{ConfChange, Membership};
pub use message::{
    AppendEntries, AppendEntriesReply, InstallSnapshot, InstallSnapshotReply, Message, PreVote,
    PreVoteReply, ReadProbe, ReadProbeReply, RequestVote, RequestVoteReply, SnapshotChunk,
    SnapshotChunkReply, TimeoutNow,
};
pub use node::{PeerStatus, RaftNode, ReplicationState, Status};
pub use plausible::{INDEX_MAX, TERM_MAX};
pub use shared::{AppendShared, SharedCommand, SharedEntry};
pub use transport::{MemoryTransport, RaftTransport};
pub use types::{EntryKind, HardState, Index, LogEntry, NodeId, Role, Snapshot, Term};
