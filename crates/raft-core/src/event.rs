//! What goes into `RaftNode::step` (events) and what comes out (actions).

use crate::error::Error;
use crate::message::Message;
use crate::shared::SharedCommand;
use crate::types::{Index, NodeId, Term};

/// An input to `RaftNode::step`. A node changes state only in response to an
/// event.
///
/// ```
/// use raft_core::{Event, Message, RequestVote};
/// let _tick = Event::Tick;
/// let _propose = Event::Propose(b"cmd".to_vec());
/// let _read = Event::Read { id: 7 };
/// let _msg = Event::Message(Message::RequestVote(RequestVote {
///     term: 1, candidate: 2, last_log_index: 0, last_log_term: 0, force: false,
/// }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// One logical clock tick; the caller picks the wall-clock interval.
    Tick,
    /// A message arrived from a peer.
    Message(Message),
    /// A client proposes a command (leader only, else `Error::NotLeader`).
    Propose(Vec<u8>),
    /// Like [`Propose`](Event::Propose), and the leader answers with
    /// `Action::Proposed { id, term, index }`: the position the command
    /// was given, so the caller can match the later `Action::Apply` (same
    /// index and term: applied; same index, other term: lost to a
    /// leadership change).
    ProposeTracked {
        /// The caller's tag, echoed in `Action::Proposed`.
        id: u64,
        /// The command.
        command: Vec<u8>,
    },
    /// The application's answer to `Action::Snapshot`: its state through
    /// `index`, so the log before it can be compacted.
    Snapshot {
        /// The last index the snapshot covers.
        index: Index,
        /// The serialized state machine.
        data: Vec<u8>,
    },
    /// **(ours)** One piece of the application's snapshot through `index`,
    /// for a state too large for one `Vec` in [`Snapshot`](Event::Snapshot):
    /// the pieces go, in order, to a snapshot the log stages (see
    /// `RaftLog::stages_snapshots`); the piece with `done` stores it and
    /// compacts the log, as `Event::Snapshot` does. A piece at `offset` 0
    /// starts a snapshot (dropping one being written); every other piece
    /// must continue the snapshot being written, at the offset where the
    /// last piece ended, else it is refused with `Error::InvalidRequest`
    /// (a lost or repeated piece never yields a damaged snapshot). The
    /// application may interleave other events between pieces. A log that
    /// does not stage snapshots refuses it with `Error::InvalidRequest`.
    SnapshotPiece {
        /// The last index the snapshot covers (at most the applied index).
        index: Index,
        /// Where `data` starts in the snapshot.
        offset: u64,
        /// The next bytes of the serialized state machine.
        data: Vec<u8>,
        /// Whether this is the last piece.
        done: bool,
    },
    /// Add a voter (single-server change, thesis 4.1).
    AddServer(NodeId),
    /// Remove a voter (single-server change, thesis 4.1).
    RemoveServer(NodeId),
    /// Add a non-voting learner.
    AddLearner(NodeId),
    /// Promote a learner to voter.
    PromoteLearner(NodeId),
    /// **(ours)** Joint consensus (paper 6, thesis 4.3): move to `voters`
    /// and `learners` in one change, through the joint configuration
    /// C_old,new (every decision needs a majority of both) and then C_new,
    /// which the leader appends by itself once C_old,new commits.
    ChangeMembership {
        /// The voters of the new configuration.
        voters: Vec<NodeId>,
        /// The learners of the new configuration.
        learners: Vec<NodeId>,
    },
    /// Hand leadership to a caught-up voter (thesis 3.10).
    TransferLeadership(NodeId),
    /// A linearizable read tagged `id` (ReadIndex, thesis 6.4); answered by
    /// `Action::ReadReady { id, .. }`.
    Read {
        /// The caller's tag for this read.
        id: u64,
    },
}

/// An output of `RaftNode::step`, for the caller to carry out **in order**.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Deliver `message` to node `to`. Everything it depends on is durable.
    Send {
        /// Destination node.
        to: NodeId,
        /// The message.
        message: Message,
    },
    /// Apply a committed command to the state machine. Emitted for normal,
    /// non-empty entries only, in strictly increasing index order, each once.
    Apply {
        /// The entry's index.
        index: Index,
        /// The entry's term.
        term: Term,
        /// The command.
        command: Vec<u8>,
    },
    /// **(ours)** [`Apply`](Action::Apply) with the command shared: emitted
    /// instead of it under `RaftConfig::with_shared_commands`, with the
    /// same guarantees (normal, non-empty entries only, in strictly
    /// increasing index order, each once).
    ApplyShared {
        /// The entry's index.
        index: Index,
        /// The entry's term.
        term: Term,
        /// The command, shared with the log.
        command: SharedCommand,
    },
    /// Hint: snapshot the state machine through `index` and answer with
    /// `Event::Snapshot`.
    Snapshot {
        /// The applied index to snapshot through.
        index: Index,
        /// Its term.
        term: Term,
    },
    /// Replace the state machine with `data`; applies resume at `index + 1`.
    RestoreSnapshot {
        /// The last index the snapshot covers.
        index: Index,
        /// Its term.
        term: Term,
        /// The serialized state machine.
        data: Vec<u8>,
    },
    /// **(ours)** Like [`RestoreSnapshot`](Action::RestoreSnapshot), with
    /// the data left in the log (emitted instead of it under
    /// `RaftConfig::with_restore_from_log`): read the `len` bytes with
    /// `RaftNode::snapshot_reader` (or `raft_core::log::SnapshotReader`)
    /// before the next step that could store another snapshot, then
    /// replace the state machine; applies resume at `index + 1`.
    RestoreSnapshotFromLog {
        /// The last index the snapshot covers.
        index: Index,
        /// Its term.
        term: Term,
        /// The data's length in bytes.
        len: u64,
    },
    /// The voters changed (on append of a configuration entry).
    MembershipChanged {
        /// The new voters.
        members: Vec<NodeId>,
    },
    /// The read tagged `id` may be served now: leadership was confirmed after
    /// the read arrived and the state machine is applied through `index`.
    ReadReady {
        /// The caller's tag.
        id: u64,
        /// The read index.
        index: Index,
    },
    /// A tracked proposal (`Event::ProposeTracked`) was accepted at `index`
    /// in `term`. Nothing is committed yet: the command is applied when an
    /// `Action::Apply` with this index *and* term appears; if that index is
    /// applied with another term, the proposal was lost.
    Proposed {
        /// The caller's tag.
        id: u64,
        /// The term the entry was created in.
        term: Term,
        /// The log index assigned to it.
        index: Index,
    },
    /// **(ours)** A leadership transfer to `target` did not complete within
    /// an election timeout and was abandoned; this node leads on and
    /// accepts proposals again (thesis 3.10).
    TransferAborted {
        /// The node leadership was to move to.
        target: NodeId,
    },
    /// Only from `RaftNode::step_many`: event number `event` (0-based) of
    /// the batch failed with a non-fatal `error` (say, `NotLeader`) and had no
    /// effect; the other events' actions are all present.
    Rejected {
        /// Position of the failed event in the batch.
        event: usize,
        /// Why it failed.
        error: Error,
    },
}
