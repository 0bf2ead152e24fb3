//! The value types every other module speaks in: ids, terms, indices, entries.

use crate::membership::Membership;

/// Identifies a node. Opaque to the protocol; each node of a cluster needs a
/// distinct, stable value.
pub type NodeId = u64;

/// Raft's logical clock: a monotonically increasing election epoch. Term `0`
/// precedes the first election.
pub type Term = u64;

/// A 1-based position in the log. Index `0` is the sentinel "before the first
/// entry", whose term is `0`.
pub type Index = u64;

/// The role a node currently plays; a node is always in exactly one.
///
/// ```
/// use raft_core::{RaftConfig, RaftNode, Role};
/// let node = RaftNode::new(RaftConfig::single(1));
/// assert_eq!(node.role(), Role::Follower);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Follows a leader (or waits for one); the starting role.
    Follower,
    /// Campaigning for leadership (pre-vote or vote round).
    Candidate,
    /// Accepts proposals and replicates them.
    Leader,
}

/// What a log entry carries.
///
/// ```
/// use raft_core::EntryKind;
/// assert_eq!(EntryKind::default(), EntryKind::Normal);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// An application command, handed to the state machine on apply. A
    /// `Normal` entry with an empty command is a leader's no-op and is not
    /// applied.
    #[default]
    Normal,
    /// A cluster configuration (voters and learners), never applied.
    Config,
}

/// One entry of the replicated log.
///
/// ```
/// use raft_core::LogEntry;
/// let entry = LogEntry::new(2, 7, b"put k v".to_vec());
/// assert_eq!((entry.term, entry.index), (2, 7));
/// assert_eq!(entry.members(), None);
///
/// let config = LogEntry::config(3, 8, &[1, 2, 3]);
/// assert_eq!(config.members(), Some(vec![1, 2, 3]));
/// assert_eq!(config.learners(), Some(vec![]));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogEntry {
    /// The term of the leader that created the entry.
    pub term: Term,
    /// The entry's position in the log.
    pub index: Index,
    /// Whether this is an application command or a configuration.
    pub kind: EntryKind,
    /// Opaque application bytes (or the encoded configuration).
    pub command: Vec<u8>,
}

impl LogEntry {
    /// A `Normal` entry carrying `command`.
    pub fn new(term: Term, index: Index, command: Vec<u8>) -> Self {
        Self {
            term,
            index,
            kind: EntryKind::Normal,
            command,
        }
    }

    /// A `Config` entry naming the voters `members` and no learners.
    pub fn config(term: Term, index: Index, members: &[NodeId]) -> Self {
        Self::config_with_learners(term, index, members, &[])
    }

    /// A `Config` entry naming `voters` and `learners`.
    ///
    /// ```
    /// use raft_core::LogEntry;
    /// let entry = LogEntry::config_with_learners(1, 1, &[1, 2], &[9]);
    /// assert_eq!(entry.members(), Some(vec![1, 2]));
    /// assert_eq!(entry.learners(), Some(vec![9]));
    /// ```
    pub fn config_with_learners(
        term: Term,
        index: Index,
        voters: &[NodeId],
        learners: &[NodeId],
    ) -> Self {
        Self {
            term,
            index,
            kind: EntryKind::Config,
            command: crate::membership::encode(voters, learners, &[]),
        }
    }

    /// The voters of a `Config` entry; `None` for a `Normal` entry or an
    /// undecodable configuration.
    pub fn members(&self) -> Option<Vec<NodeId>> {
        self.config_lists().map(|(voters, _)| voters)
    }

    /// The learners of a `Config` entry (empty when there are none); `None`
    /// for a `Normal` entry or an undecodable configuration.
    pub fn learners(&self) -> Option<Vec<NodeId>> {
        self.config_lists().map(|(_, learners)| learners)
    }

    /// Whether this is a leader's no-op (an empty `Normal` entry).
    pub fn is_noop(&self) -> bool {
        self.kind == EntryKind::Normal && self.command.is_empty()
    }

    /// Voters and learners of a `Config` entry, as written.
    fn config_lists(&self) -> Option<(Vec<NodeId>, Vec<NodeId>)> {
        match self.kind {
            EntryKind::Normal => None,
            EntryKind::Config => crate::membership::decode(&self.command)
                .map(|(voters, learners, _)| (voters, learners)),
        }
    }

    /// A `Config` entry carrying `membership` (joint included).
    ///
    /// ```
    /// use raft_core::{LogEntry, Membership};
    /// let joint = Membership::new([1, 2, 3]).enter_joint([2, 3, 4], []).unwrap();
    /// let entry = LogEntry::with_membership(2, 9, &joint);
    /// assert_eq!(entry.members(), Some(vec![2, 3, 4]), "the incoming voters");
    /// assert_eq!(entry.membership(), Some(joint));
    /// ```
    pub fn with_membership(term: Term, index: Index, membership: &Membership) -> Self {
        Self {
            term,
            index,
            kind: EntryKind::Config,
            command: membership.encode(),
        }
    }

    /// The configuration of a `Config` entry; `None` for a `Normal` entry
    /// or an undecodable configuration.
    pub fn membership(&self) -> Option<Membership> {
        match self.kind {
            EntryKind::Normal => None,
            EntryKind::Config => Membership::decode(&self.command),
        }
    }
}

/// The state Raft persists before answering any RPC (Raft paper Figure 2):
/// forgetting a vote could elect two leaders in one term.
///
/// ```
/// use raft_core::HardState;
/// let hs = HardState { term: 4, voted_for: Some(2) };
/// assert_eq!(hs.term, 4);
/// assert_eq!(HardState::default().voted_for, None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HardState {
    /// The latest term this node has seen.
    pub term: Term,
    /// The candidate this node voted for in `term`, if any.
    pub voted_for: Option<NodeId>,
}

/// A state-machine snapshot covering the log through `index`.
///
/// ```
/// use raft_core::Snapshot;
/// let snap = Snapshot::with_config(10, 3, vec![1, 2, 3], b"state".to_vec());
/// assert_eq!((snap.index, snap.term), (10, 3));
/// assert_eq!(Snapshot::new(1, 1, vec![]).config, Vec::<u64>::new());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Snapshot {
    /// The last log index the snapshot covers.
    pub index: Index,
    /// The term of the entry at `index`.
    pub term: Term,
    /// The voters as of `index` (C_new while joint); empty when the
    /// snapshot records no configuration. The whole configuration (learners
    /// and, while joint, the outgoing voters too) is kept beside the
    /// snapshot by the log: `RaftLog::snapshot_membership`.
    pub config: Vec<NodeId>,
    /// The application's serialized state.
    pub data: Vec<u8>,
}

impl Snapshot {
    /// A snapshot with no recorded configuration.
    pub fn new(index: Index, term: Term, data: Vec<u8>) -> Self {
        Self::with_config(index, term, Vec::new(), data)
    }

    /// A snapshot that also records the voters as of `index`.
    pub fn with_config(index: Index, term: Term, config: Vec<NodeId>, data: Vec<u8>) -> Self {
        Self {
            index,
            term,
            config,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_round_trips_and_rejects_garbage() {
        let entry = LogEntry::config_with_learners(1, 1, &[3, 1], &[7]);
        assert_eq!(entry.members(), Some(vec![3, 1]));
        assert_eq!(entry.learners(), Some(vec![7]));
        let mut broken = entry.clone();
        broken.command.pop();
        assert_eq!(broken.members(), None);
        let huge = LogEntry {
            kind: EntryKind::Config,
            command: u32::MAX.to_le_bytes().to_vec(),
            ..LogEntry::default()
        };
        assert_eq!(huge.members(), None);
    }

    #[test]
    fn empty_normal_entry_is_a_noop() {
        assert!(LogEntry::new(1, 1, vec![]).is_noop());
        assert!(!LogEntry::new(1, 1, vec![0]).is_noop());
        assert!(!LogEntry::config(1, 1, &[]).is_noop());
    }
}
