//! A point-in-time view of a node for operators, dashboards and tests.

use crate::types::{Index, NodeId, Role, Term};

/// How the leader is currently replicating to one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplicationState {
    /// Finding where the follower's log matches: one append per round trip.
    Probe,
    /// Streaming appends optimistically, up to the in-flight window.
    Replicate,
    /// Waiting for the follower to install a snapshot.
    Snapshot,
}

/// The leader's view of one follower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus {
    /// The follower.
    pub id: NodeId,
    /// Highest index known replicated on it.
    pub match_index: Index,
    /// Next index the leader will send it.
    pub next_index: Index,
    /// How the leader is replicating to it.
    pub state: ReplicationState,
    /// Appends sent and not yet acknowledged.
    pub inflight: usize,
    /// Heard from during the current check-quorum window.
    pub recent_active: bool,
}

/// A snapshot of a node's state, from `RaftNode::status`.
///
/// ```
/// use raft_core::{RaftConfig, RaftNode, Role};
/// let node = RaftNode::new(RaftConfig::new(1, [2, 3]));
/// let status = node.status();
/// assert_eq!((status.id, status.role, status.term), (1, Role::Follower, 0));
/// assert!(status.peers.is_empty(), "only a leader tracks its followers");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The node.
    pub id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its term.
    pub term: Term,
    /// The leader it recognises.
    pub leader: Option<NodeId>,
    /// Highest index known committed.
    pub commit_index: Index,
    /// Highest index applied.
    pub last_applied: Index,
    /// Index of the last entry in its log.
    pub last_index: Index,
    /// Index of the last entry covered by its snapshot.
    pub snapshot_index: Index,
    /// On a leader, each follower's progress (sorted by id); else empty.
    pub peers: Vec<PeerStatus>,
}
