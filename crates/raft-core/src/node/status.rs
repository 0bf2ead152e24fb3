//! A point-in-time view of a node for operators, dashboards and tests.

use crate::membership::Membership;
use crate::types::{Index, NodeId, Role, Term};

/// How the leader is currently replicating to one follower.
///
/// ```
/// use raft_core::{Event, Message, RaftConfig, RaftNode, ReplicationState, RequestVoteReply};
/// let mut node = RaftNode::new(RaftConfig::new(1, [2, 3]).with_pre_vote(false));
/// while node.term() == 0 {
///     node.step(Event::Tick).unwrap();
/// }
/// let vote = RequestVoteReply { term: 1, vote_granted: true, from: 2 };
/// node.step(Event::Message(Message::RequestVoteReply(vote))).unwrap();
/// let peers = node.status().peers;
/// assert_eq!(peers.len(), 2);
/// // A new leader probes each follower until one append succeeds.
/// assert!(peers.iter().all(|p| p.state == ReplicationState::Probe && p.match_index == 0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplicationState {
    /// Finding where the follower's log matches: one append per round trip.
    Probe,
    /// Streaming appends optimistically, up to the in-flight window.
    Replicate,
    /// Waiting for the follower to install a snapshot.
    Snapshot,
}

/// The leader's view of one follower (see [`ReplicationState`] for an
/// example).
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
    /// The configuration in force (the latest in its log).
    pub membership: Membership,
    /// Whether that configuration is uncommitted or joint, so a new
    /// membership change would be refused for now.
    pub config_pending: bool,
    /// On a leader, each follower's progress (sorted by id); else empty.
    pub peers: Vec<PeerStatus>,
}
