//! # raft-io
//!
//! Raft consensus and replicated-log engine for Rust: a deterministic,
//! sans-I/O protocol core, a durable write-ahead log, wire framing, and a
//! cluster simulator for testing what you build on top.
//!
//! This crate is the batteries-included facade. It re-exports the protocol
//! from [`raft_core`] and, behind features, the durable log (`persistence`:
//! [`WalLog`]) and the wire format (`framing`: [`framing`]).
//!
//! ## Quick start
//!
//! A node is a deterministic state machine: hand it events with `step` and
//! carry out the actions it hands back.
//!
//! ```
//! use raft_io::{Action, Event, RaftConfig, RaftNode};
//!
//! // One node, no peers: it reaches quorum (itself) the moment it times out.
//! let mut node = RaftNode::new(RaftConfig::single(1));
//!
//! // Drive logical ticks until it elects itself leader.
//! while !node.is_leader() {
//!     let _ = node.step(Event::Tick).expect("tick never fails in memory");
//! }
//! assert_eq!(node.leader(), Some(1));
//!
//! // A leader commits its own proposals immediately (quorum of one).
//! for action in node.step(Event::Propose(b"set x = 1".to_vec())).unwrap() {
//!     if let Action::Apply { index, command, .. } = action {
//!         // hand `command` to your state machine, in log order
//!         assert_eq!(index, 1);
//!         assert_eq!(command, b"set x = 1");
//!     }
//! }
//! assert_eq!(node.commit_index(), 1);
//! ```
//!
//! ## The three tiers
//!
//! * **Lazy**: [`RaftNode::new`] with a [`RaftConfig`]; an in-memory log.
//! * **Configured**: [`RaftConfig`]'s builders (timeouts, batching,
//!   pipelining window, check-quorum, pre-vote, seed).
//! * **Power**: your own [`RaftLog`] and [`RaftTransport`], plugged in with
//!   [`RaftNode::with_log`]; [`RaftNode::step_many`] for group commit.
//!
//! ## Features
//!
//! | feature | adds |
//! |---|---|
//! | `persistence` | [`WalLog`], a durable [`RaftLog`] on `wal-db` |
//! | `framing` | [`framing::encode`] / [`framing::decode`] on `pack-io` |
//! | `server` | `server`: the node host ([`raft_server`]): a real clock, `WalLog`, the authenticated TCP transport, your state machine |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use raft_core::{
    Action, AppendEntries, AppendEntriesReply, AppendShared, ConfChange, EntryKind, Error, Event,
    HardState, INDEX_MAX, Index, InstallSnapshot, InstallSnapshotReply, LogEntry, Membership,
    MemoryLog, MemoryTransport, Message, NodeId, PeerStatus, PreVote, PreVoteReply, RaftConfig,
    RaftLog, RaftNode, RaftTransport, ReadProbe, ReadProbeReply, ReplicationState, RequestVote,
    RequestVoteReply, Result, Role, SharedCommand, SharedEntry, Snapshot, SnapshotChunk,
    SnapshotChunkReply, Status, TERM_MAX, Term, TimeoutNow,
};

/// The storage seam's helpers: [`log::SnapshotReader`], [`log::SnapshotStage`],
/// [`log::StagedSnapshots`], and what a custom `RaftLog` backend shares.
pub use raft_core::log;

#[cfg(feature = "persistence")]
pub use raft_log_wal::WalLog;

/// The node host (feature `server`): runs a node on a real clock over a
/// `WalLog` and the authenticated TCP transport, applying to your
/// `StateMachine`; see [`raft_server`].
#[cfg(feature = "server")]
pub use raft_server as server;

/// Wire framing for [`Message`]s (feature `framing`).
#[cfg(feature = "framing")]
pub mod framing {
    pub use raft_wire::*;
}

/// The items almost every program needs: `use raft_io::prelude::*;`.
///
/// ```
/// use raft_io::prelude::*;
/// let mut node: RaftNode = RaftNode::new(RaftConfig::single(1));
/// let _: Result<Vec<Action>> = node.step(Event::Tick);
/// let _role: Role = node.role();
/// let _ids: (NodeId, Term, Index) = (1, 0, 0);
/// let _log = MemoryLog::new();
/// fn _seams(_: &dyn RaftLog, _: &dyn RaftTransport, _: Error) {}
/// ```
pub mod prelude {
    pub use raft_core::{
        Action, Error, Event, Index, MemoryLog, NodeId, RaftConfig, RaftLog, RaftNode,
        RaftTransport, Result, Role, Term,
    };

    #[cfg(feature = "persistence")]
    pub use raft_log_wal::WalLog;
}

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
