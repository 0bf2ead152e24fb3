//! The RPCs nodes exchange (Raft paper Figure 2, plus pre-vote, snapshot,
//! leadership-transfer and read-probe messages from the thesis).

use crate::shared::AppendShared;
use crate::types::{Index, LogEntry, NodeId, Snapshot, Term};

/// Every message one node sends another. The node never sends these itself:
/// it emits `Action::Send` and the caller delivers.
///
/// ```
/// use raft_core::{AppendEntriesReply, Message};
/// let m = Message::AppendEntriesReply(AppendEntriesReply {
///     term: 5, success: false, from: 2, match_index: 0,
///     conflict_index: 1, conflict_term: 0,
/// });
/// assert_eq!(m.term(), 5);
/// assert_eq!(m.from(), 2);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Would you vote for me? (thesis 9.6; changes no state).
    PreVote(PreVote),
    /// Answer to a `PreVote`.
    PreVoteReply(PreVoteReply),
    /// Vote for me (paper 5.2).
    RequestVote(RequestVote),
    /// Answer to a `RequestVote`.
    RequestVoteReply(RequestVoteReply),
    /// Replicate entries; an empty one is a heartbeat (paper 5.3).
    AppendEntries(AppendEntries),
    /// Answer to an `AppendEntries`.
    AppendEntriesReply(AppendEntriesReply),
    /// **(ours)** An `AppendEntries` whose commands are shared, sent under
    /// `RaftConfig::with_shared_commands`; the same frame on the wire.
    AppendShared(AppendShared),
    /// Replace your log prefix with this snapshot (paper 7).
    InstallSnapshot(InstallSnapshot),
    /// Answer to an `InstallSnapshot`.
    InstallSnapshotReply(InstallSnapshotReply),
    /// **(ours)** One chunk of a snapshot streamed to a follower (paper 7's
    /// `offset`/`done` fields): large snapshots travel in pieces, resume
    /// after a lost chunk, and carry the whole configuration. Boxed: it is
    /// by far the largest message, and every other one (every `Event` and
    /// `Action` holding one) would otherwise be as large, on every step.
    SnapshotChunk(Box<SnapshotChunk>),
    /// **(ours)** Answer to a `SnapshotChunk`.
    SnapshotChunkReply(SnapshotChunkReply),
    /// Campaign now, bypassing stickiness (thesis 3.10).
    TimeoutNow(TimeoutNow),
    /// Am I still the leader? (ReadIndex, thesis 6.4).
    ReadProbe(ReadProbe),
    /// Yes, in this term.
    ReadProbeReply(ReadProbeReply),
}

impl Message {
    /// The term the message carries, checked first on every inbound message.
    pub fn term(&self) -> Term {
        match self {
            Message::PreVote(m) => m.term,
            Message::PreVoteReply(m) => m.term,
            Message::RequestVote(m) => m.term,
            Message::RequestVoteReply(m) => m.term,
            Message::AppendEntries(m) => m.term,
            Message::AppendEntriesReply(m) => m.term,
            Message::AppendShared(m) => m.term,
            Message::InstallSnapshot(m) => m.term,
            Message::InstallSnapshotReply(m) => m.term,
            Message::SnapshotChunk(m) => m.term,
            Message::SnapshotChunkReply(m) => m.term,
            Message::TimeoutNow(m) => m.term,
            Message::ReadProbe(m) => m.term,
            Message::ReadProbeReply(m) => m.term,
        }
    }

    /// The node that sent the message.
    pub fn from(&self) -> NodeId {
        match self {
            Message::PreVote(m) => m.candidate,
            Message::PreVoteReply(m) => m.from,
            Message::RequestVote(m) => m.candidate,
            Message::RequestVoteReply(m) => m.from,
            Message::AppendEntries(m) => m.leader,
            Message::AppendEntriesReply(m) => m.from,
            Message::AppendShared(m) => m.leader,
            Message::InstallSnapshot(m) => m.leader,
            Message::InstallSnapshotReply(m) => m.from,
            Message::SnapshotChunk(m) => m.leader,
            Message::SnapshotChunkReply(m) => m.from,
            Message::TimeoutNow(m) => m.leader,
            Message::ReadProbe(m) => m.leader,
            Message::ReadProbeReply(m) => m.from,
        }
    }

    /// A short, stable name for the message's kind (for logs and metrics).
    pub fn kind(&self) -> &'static str {
        match self {
            Message::PreVote(_) => "PreVote",
            Message::PreVoteReply(_) => "PreVoteReply",
            Message::RequestVote(_) => "RequestVote",
            Message::RequestVoteReply(_) => "RequestVoteReply",
            Message::AppendEntries(_) => "AppendEntries",
            Message::AppendEntriesReply(_) => "AppendEntriesReply",
            Message::AppendShared(_) => "AppendShared",
            Message::InstallSnapshot(_) => "InstallSnapshot",
            Message::InstallSnapshotReply(_) => "InstallSnapshotReply",
            Message::SnapshotChunk(_) => "SnapshotChunk",
            Message::SnapshotChunkReply(_) => "SnapshotChunkReply",
            Message::TimeoutNow(_) => "TimeoutNow",
            Message::ReadProbe(_) => "ReadProbe",
            Message::ReadProbeReply(_) => "ReadProbeReply",
        }
    }
}

/// A pre-candidate asks whether it could win an election, without bumping
/// anyone's term (Raft thesis 9.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreVote {
    /// The term the candidate would campaign at (its term + 1).
    pub term: Term,
    /// The pre-candidate.
    pub candidate: NodeId,
    /// Index of the candidate's last log entry.
    pub last_log_index: Index,
    /// Term of the candidate's last log entry.
    pub last_log_term: Term,
}

/// Answer to a `PreVote`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreVoteReply {
    /// The pre-vote's term when granted, else the responder's term.
    pub term: Term,
    /// Whether the responder would vote.
    pub vote_granted: bool,
    /// The responder.
    pub from: NodeId,
}

/// A candidate asks for a vote (Raft paper 5.2, 5.4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestVote {
    /// The candidate's term.
    pub term: Term,
    /// The candidate.
    pub candidate: NodeId,
    /// Index of the candidate's last log entry.
    pub last_log_index: Index,
    /// Term of the candidate's last log entry.
    pub last_log_term: Term,
    /// Set by leadership transfer: bypasses leader stickiness.
    pub force: bool,
}

/// Answer to a `RequestVote`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestVoteReply {
    /// The responder's term.
    pub term: Term,
    /// Whether the vote was granted.
    pub vote_granted: bool,
    /// The responder.
    pub from: NodeId,
}

/// The leader replicates entries; empty, it is a heartbeat (Raft paper 5.3).
///
/// ```
/// use raft_core::{AppendEntries, Message};
/// let heartbeat = Message::AppendEntries(AppendEntries {
///     term: 4, leader: 1, prev_log_index: 9, prev_log_term: 3,
///     entries: Vec::new(), leader_commit: 7,
/// });
/// assert_eq!(heartbeat.term(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntries {
    /// The leader's term.
    pub term: Term,
    /// The leader.
    pub leader: NodeId,
    /// Index of the entry just before `entries`.
    pub prev_log_index: Index,
    /// Term of that entry.
    pub prev_log_term: Term,
    /// Contiguous entries starting at `prev_log_index + 1`.
    pub entries: Vec<LogEntry>,
    /// The leader's commit index.
    pub leader_commit: Index,
}

/// Answer to an `AppendEntries`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntriesReply {
    /// The responder's term.
    pub term: Term,
    /// Whether the log matched at `prev_log_index`.
    pub success: bool,
    /// The responder.
    pub from: NodeId,
    /// On success, the last index the responder now shares with the leader;
    /// `0` on a rejection.
    pub match_index: Index,
    /// On a rejection, the first index of the conflicting term (or the
    /// responder's last index + 1 if it was too short); `0` on success.
    pub conflict_index: Index,
    /// On a rejection, the responder's term at `prev_log_index` (`0` if it
    /// has no entry there); `0` on success.
    pub conflict_term: Term,
}

/// The leader sends its snapshot to a follower whose next entry it has
/// compacted away (Raft paper 7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallSnapshot {
    /// The leader's term.
    pub term: Term,
    /// The leader.
    pub leader: NodeId,
    /// The snapshot.
    pub snapshot: Snapshot,
}

/// Answer to an `InstallSnapshot`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallSnapshotReply {
    /// The responder's term.
    pub term: Term,
    /// The responder.
    pub from: NodeId,
    /// The responder's last log index after installing.
    pub last_index: Index,
}

/// One chunk of the leader's snapshot through `index` (paper 7: "offset",
/// "data", "done"). The follower appends chunks in order and installs the
/// snapshot when it holds `total_len` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotChunk {
    /// The leader's term.
    pub term: Term,
    /// The leader.
    pub leader: NodeId,
    /// The last index the snapshot covers.
    pub index: Index,
    /// The term of the entry at `index`.
    pub snapshot_term: Term,
    /// The voters at `index` (C_new while joint).
    pub voters: Vec<NodeId>,
    /// The learners at `index`.
    pub learners: Vec<NodeId>,
    /// The outgoing voters at `index` while joint, else empty.
    pub outgoing: Vec<NodeId>,
    /// Length of the whole snapshot data in bytes.
    pub total_len: u64,
    /// Where `data` starts in the snapshot data.
    pub offset: u64,
    /// The chunk.
    pub data: Vec<u8>,
}

/// Answer to a `SnapshotChunk`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotChunkReply {
    /// The responder's term.
    pub term: Term,
    /// The responder.
    pub from: NodeId,
    /// The snapshot the reply is about.
    pub index: Index,
    /// Bytes of it the responder holds in order: the next offset to send.
    pub next_offset: u64,
    /// The responder's log matches the leader's through `index` (it
    /// installed the snapshot, or already had that much committed).
    pub installed: bool,
}

/// The leader tells a caught-up follower to campaign at once (thesis 3.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutNow {
    /// The leader's term.
    pub term: Term,
    /// The leader.
    pub leader: NodeId,
}

/// The leader confirms it is still leader before serving reads (thesis 6.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadProbe {
    /// The leader's term.
    pub term: Term,
    /// The leader.
    pub leader: NodeId,
    /// Increases with every probe round of this leader.
    pub seq: u64,
}

/// A follower acknowledges a `ReadProbe`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadProbeReply {
    /// The responder's term.
    pub term: Term,
    /// The responder.
    pub from: NodeId,
    /// The probe round acknowledged.
    pub seq: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn messages_events_and_actions_stay_small() {
        // Every step moves an `Event` in and `Action`s out, each holding a
        // `Message`: the largest variant sets the size of all of them (and
        // past 128 bytes every move is a call to `memcpy`). The snapshot
        // chunk is boxed for this; `InstallSnapshot` (80 bytes) is the
        // largest left inline.
        assert_eq!(std::mem::size_of::<Message>(), 80);
        assert_eq!(std::mem::size_of::<crate::Event>(), 80);
        assert_eq!(std::mem::size_of::<crate::Action>(), 88);
    }
}
