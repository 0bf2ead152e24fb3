//! `RaftNode`: the node's state, its accessors, and `step`, the one way in.
//!
//! The rules live in sibling files by concern (`election`, `replication`,
//! `read_index`, `snapshot`, `transfer`, `membership`); this file only
//! dispatches events and finishes each step (sync, commit, apply, reads).

mod election;
mod membership;
mod progress;
mod quorum;
mod read_index;
mod replication;
mod snapshot;
mod status;
mod transfer;

pub use status::{PeerStatus, ReplicationState, Status};

use crate::config::RaftConfig;
use crate::error::{Error, Result};
use crate::event::{Action, Event};
use crate::log::{MemoryLog, RaftLog};
use crate::message::Message;
use crate::rng::Rng;
use crate::types::{HardState, Index, LogEntry, NodeId, Role, Term};

use election::Campaign;
use progress::ProgressTracker;
use read_index::ReadIndex;

/// A node of a Raft cluster: the deterministic consensus state machine.
///
/// The log type defaults to [`MemoryLog`], so the common case never names it.
///
/// ```
/// use raft_core::{Error, Event, RaftConfig, RaftLog, RaftNode, Role};
/// let mut node = RaftNode::new(RaftConfig::new(2, [1, 3]));
/// assert_eq!((node.id(), node.role(), node.term()), (2, Role::Follower, 0));
/// assert_eq!(node.members(), &[1, 2, 3]);
/// assert!(node.learners().is_empty());
/// assert_eq!((node.commit_index(), node.last_applied()), (0, 0));
/// assert_eq!(node.config().peers(), &[1, 3]);
///
/// // A follower refuses proposals and says who to ask instead.
/// let err = node.step(Event::Propose(b"x".to_vec())).unwrap_err();
/// assert_eq!(err, Error::NotLeader { leader: None });
/// assert!(!node.is_leader() && node.leader().is_none());
///
/// // The log outlives the node: hand it to a new one after a restart.
/// let log = node.into_log();
/// assert_eq!(log.last_index(), 0);
/// ```
pub struct RaftNode<L: RaftLog = MemoryLog> {
    config: RaftConfig,
    log: L,
    /// Mirrors `log.hard_state().term`; only `persist_hard_state` writes it.
    term: Term,
    /// Mirrors `log.hard_state().voted_for`.
    voted_for: Option<NodeId>,
    role: Role,
    leader: Option<NodeId>,
    /// Invariant: `last_applied <= commit_index <= log.last_index()`.
    commit_index: Index,
    last_applied: Index,
    /// Sorted voter ids, this node included while it is a voter.
    voters: Vec<NodeId>,
    /// Sorted learner ids.
    learners: Vec<NodeId>,
    rng: Rng,
    election_elapsed_ticks: u32,
    /// Randomised in `[min, max]` at every reset (Raft 5.2).
    election_timeout_ticks: u32,
    heartbeat_elapsed_ticks: u32,
    campaign: Campaign,
    /// On a leader: every other member's progress.
    progress: ProgressTracker,
    reads: ReadIndex,
    /// Proposals accepted this step, appended to the log in one write.
    pending_proposals: Vec<LogEntry>,
    /// The leader has new entries to send once the step's writes are done.
    broadcast_pending: bool,
    /// Last index known durable: the leader counts itself only up to here
    /// (thesis 10.2.1).
    durable_index: Index,
    /// Writes made since the last `sync`.
    unsynced: bool,
    /// Set once the log fails: every later step returns it (a node whose
    /// storage failed must stop, never continue as if durable).
    failed: Option<Error>,
    /// Applied index at the last `Action::Snapshot` hint.
    snapshot_hinted_at: Index,
    /// A leadership transfer in progress (thesis 3.10).
    transfer_target: Option<NodeId>,
    /// Output of the current step; swapped with the caller's buffer.
    out: Vec<Action>,
    /// Reused by quorum computations so the commit path does not allocate.
    quorum_scratch: Vec<Index>,
}

impl RaftNode<MemoryLog> {
    /// A node over an in-memory log, starting as a follower in term 0.
    pub fn new(config: RaftConfig) -> Self {
        Self::with_log(config, MemoryLog::new())
    }
}

impl<L: RaftLog> RaftNode<L> {
    /// A node over any [`RaftLog`]. It adopts the log's hard state (term and
    /// vote), its snapshot (commit and apply resume after it, and its
    /// configuration, if recorded, names the voters) so a node reopened over
    /// a recovered log resumes where it stopped.
    ///
    /// ```
    /// use raft_core::{HardState, MemoryLog, RaftConfig, RaftLog, RaftNode};
    /// let mut log = MemoryLog::new();
    /// log.set_hard_state(HardState { term: 7, voted_for: Some(2) }).unwrap();
    /// let node = RaftNode::with_log(RaftConfig::new(1, [2, 3]), log);
    /// assert_eq!(node.term(), 7);
    /// ```
    pub fn with_log(config: RaftConfig, log: L) -> Self {
        let HardState { term, voted_for } = log.hard_state();
        let snapshot_index = log.snapshot_index();
        let mut voters = log
            .snapshot()
            .map(|snap| snap.config)
            .filter(|config| !config.is_empty())
            .unwrap_or_else(|| {
                let mut voters = config.peers().to_vec();
                voters.push(config.id());
                voters
            });
        voters.sort_unstable();
        voters.dedup();
        let (timeout_min, _) = config.election_timeout();
        let mut node = Self {
            rng: Rng::new(config.seed()),
            durable_index: log.last_index(),
            config,
            log,
            term,
            voted_for,
            role: Role::Follower,
            leader: None,
            commit_index: snapshot_index,
            last_applied: snapshot_index,
            voters,
            learners: Vec::new(),
            election_elapsed_ticks: 0,
            election_timeout_ticks: timeout_min,
            heartbeat_elapsed_ticks: 0,
            campaign: Campaign::default(),
            progress: ProgressTracker::default(),
            reads: ReadIndex::default(),
            pending_proposals: Vec::new(),
            broadcast_pending: false,
            unsynced: false,
            failed: None,
            snapshot_hinted_at: snapshot_index,
            transfer_target: None,
            out: Vec::new(),
            quorum_scratch: Vec::new(),
        };
        node.reset_election_timer();
        node
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.config.id()
    }

    /// The node's configuration.
    pub fn config(&self) -> &RaftConfig {
        &self.config
    }

    /// The role the node currently plays.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the node is the leader.
    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }

    /// The node's current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// The leader the node currently recognises.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// Highest log index known committed.
    pub fn commit_index(&self) -> Index {
        self.commit_index
    }

    /// Highest log index applied (handed out as `Action::Apply` or covered
    /// by a snapshot).
    pub fn last_applied(&self) -> Index {
        self.last_applied
    }

    /// The voters, sorted, this node included while it is one.
    pub fn members(&self) -> &[NodeId] {
        &self.voters
    }

    /// The non-voting learners, sorted.
    pub fn learners(&self) -> &[NodeId] {
        &self.learners
    }

    /// The underlying log.
    pub fn log(&self) -> &L {
        &self.log
    }

    /// Gives the log back, consuming the node (to reopen it elsewhere).
    pub fn into_log(self) -> L {
        self.log
    }

    /// A point-in-time view for operators and tests.
    pub fn status(&self) -> Status {
        Status {
            id: self.id(),
            role: self.role,
            term: self.term,
            leader: self.leader,
            commit_index: self.commit_index,
            last_applied: self.last_applied,
            last_index: self.log.last_index(),
            snapshot_index: self.log.snapshot_index(),
            peers: if self.is_leader() {
                self.progress.iter().map(|pr| pr.status()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Feeds one event and returns the actions to carry out, in order.
    /// Deterministic: the same state and event always give the same actions.
    /// Every write the step made is `sync`ed before it returns.
    ///
    /// # Errors
    /// * [`Error::NotLeader`]: a proposal, read or membership request
    ///   reached a follower; nothing changed.
    /// * [`Error::Storage`]: the log failed. The node must stop; every later
    ///   step returns the same error.
    ///
    /// ```
    /// use raft_core::{Action, Event, RaftConfig, RaftNode};
    /// let mut node = RaftNode::new(RaftConfig::single(1));
    /// while !node.is_leader() {
    ///     node.step(Event::Tick).unwrap();
    /// }
    /// node.step(Event::Propose(b"x".to_vec())).unwrap();
    /// let actions = node.step(Event::Read { id: 9 }).unwrap();
    /// assert_eq!(actions, vec![Action::ReadReady { id: 9, index: 1 }]);
    /// ```
    pub fn step(&mut self, event: Event) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        self.step_into(event, &mut out)?;
        Ok(out)
    }

    /// Like [`step`](Self::step), but appends the actions to `out`, reusing
    /// its allocation: a step with nothing to do allocates nothing. On an
    /// error, `out` is left as it was.
    ///
    /// ```
    /// use raft_core::{Event, RaftConfig, RaftNode};
    /// let mut node = RaftNode::new(RaftConfig::new(1, [2, 3]));
    /// let mut out = Vec::with_capacity(16);
    /// node.step_into(Event::Tick, &mut out).unwrap();
    /// assert!(out.is_empty(), "an idle follower tick does nothing");
    /// ```
    pub fn step_into(&mut self, event: Event, out: &mut Vec<Action>) -> Result<()> {
        self.run_step(out, |node| node.handle_event(event))
    }

    /// Feeds a batch of events and makes all their writes durable with
    /// **one** `sync` (group commit), then returns every action, in order.
    ///
    /// When one event of the batch fails with a non-fatal error (say, a
    /// proposal on a non-leader), that event has no effect and the batch
    /// goes on: its place in the output holds
    /// `Action::Rejected { event, error }` (with `event` its 0-based
    /// position), and every other event's actions are present. Only a fatal
    /// `Error::Storage` fails the whole call, returning nothing.
    ///
    /// ```
    /// use raft_core::{Action, Error, Event, RaftConfig, RaftNode};
    /// let mut node = RaftNode::new(RaftConfig::single(1));
    /// while !node.is_leader() {
    ///     node.step(Event::Tick).unwrap();
    /// }
    /// let actions = node
    ///     .step_many([Event::Propose(b"a".to_vec()), Event::Propose(b"b".to_vec())])
    ///     .unwrap();
    /// let applied: Vec<_> = actions.iter().filter(|a| matches!(a, Action::Apply { .. })).collect();
    /// assert_eq!(applied.len(), 2);
    ///
    /// let mut follower = RaftNode::new(RaftConfig::new(2, [1, 3]));
    /// let actions = follower.step_many([Event::Tick, Event::Propose(b"c".to_vec())]).unwrap();
    /// assert_eq!(actions, vec![Action::Rejected { event: 1, error: Error::NotLeader { leader: None } }]);
    /// ```
    pub fn step_many(&mut self, events: impl IntoIterator<Item = Event>) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        self.step_many_into(events, &mut out)?;
        Ok(out)
    }

    /// [`step_many`](Self::step_many) into a reused buffer.
    pub fn step_many_into(
        &mut self,
        events: impl IntoIterator<Item = Event>,
        out: &mut Vec<Action>,
    ) -> Result<()> {
        self.run_step(out, |node| {
            for (position, event) in events.into_iter().enumerate() {
                match node.handle_event(event) {
                    Ok(()) => {}
                    Err(error @ Error::Storage { .. }) => return Err(error),
                    Err(error) => node.out.push(Action::Rejected {
                        event: position,
                        error,
                    }),
                }
            }
            Ok(())
        })
    }

    /// Runs `handle` then finishes the step, writing into the caller's
    /// buffer without copying and restoring it on failure.
    fn run_step(
        &mut self,
        out: &mut Vec<Action>,
        handle: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let len_before = out.len();
        std::mem::swap(&mut self.out, out);
        let result = handle(self).and_then(|()| self.finish_step());
        std::mem::swap(&mut self.out, out);
        if let Err(error) = &result {
            out.truncate(len_before);
            if matches!(error, Error::Storage { .. }) {
                self.failed = Some(error.clone());
            }
        }
        result
    }

    fn handle_event(&mut self, event: Event) -> Result<()> {
        if !matches!(event, Event::Propose(_) | Event::ProposeTracked { .. }) {
            // Everything but a proposal may read the log: it must hold every
            // proposal accepted so far.
            self.flush_proposals()?;
        }
        match event {
            Event::Tick => self.tick(),
            Event::Message(message) => self.handle_message(message),
            Event::Propose(command) => self.propose(command).map(drop),
            Event::ProposeTracked { id, command } => {
                let index = self.propose(command)?;
                let term = self.term;
                self.out.push(Action::Proposed { id, term, index });
                Ok(())
            }
            Event::Read { id } => self.handle_read(id),
            Event::Snapshot { index, data } => self.compact(index, data),
            Event::TransferLeadership(target) => self.transfer_leadership(target),
            Event::AddServer(id) => self.add_server(id),
            Event::RemoveServer(id) => self.remove_server(id),
            Event::AddLearner(id) => self.add_learner(id),
            Event::PromoteLearner(id) => self.promote_learner(id),
        }
    }

    /// The end of every step: append accepted proposals in one write, send
    /// what the leader owes, `sync` once, then (only now that the writes are
    /// durable) count the leader's own log, commit, apply and answer reads.
    fn finish_step(&mut self) -> Result<()> {
        self.flush_proposals()?;
        if self.is_leader() && std::mem::take(&mut self.broadcast_pending) {
            self.broadcast_append();
        }
        if self.unsynced {
            self.log.sync()?;
            self.unsynced = false;
        }
        self.durable_index = self.log.last_index();
        if self.is_leader() {
            self.maybe_commit();
        }
        self.apply_committed()?;
        if self.is_leader() {
            self.start_read_rounds();
            self.release_reads();
        }
        debug_assert!(
            self.last_applied <= self.commit_index && self.commit_index <= self.log.last_index(),
            "node {}: applied {} <= commit {} <= last {} broken",
            self.id(),
            self.last_applied,
            self.commit_index,
            self.log.last_index()
        );
        Ok(())
    }

    fn handle_message(&mut self, message: Message) -> Result<()> {
        if message.from() == self.id() {
            return Ok(());
        }
        if let Message::AppendEntries(request) = &message
            && !replication::is_well_formed(request)
        {
            // Corrupt input changes nothing: not the term, not the timer.
            return Ok(());
        }
        if !self.observe_term(&message)? {
            return Ok(());
        }
        match message {
            Message::PreVote(m) => self.handle_pre_vote(m),
            Message::PreVoteReply(m) => self.handle_pre_vote_reply(m),
            Message::RequestVote(m) => self.handle_request_vote(m),
            Message::RequestVoteReply(m) => self.handle_request_vote_reply(m),
            Message::AppendEntries(m) => self.handle_append_entries(m),
            Message::AppendEntriesReply(m) => self.handle_append_reply(m),
            Message::InstallSnapshot(m) => self.handle_install_snapshot(m),
            Message::InstallSnapshotReply(m) => self.handle_install_snapshot_reply(m),
            Message::TimeoutNow(m) => self.handle_timeout_now(m),
            Message::ReadProbe(m) => self.handle_read_probe(m),
            Message::ReadProbeReply(m) => self.handle_read_probe_reply(m),
        }
    }

    /// A leader accepts a command; it reaches the log (in one write with
    /// the rest of the step's proposals) and followers at the step's end.
    /// Returns the index it was given.
    fn propose(&mut self, command: Vec<u8>) -> Result<Index> {
        self.ensure_leader()?;
        let index = self.log.last_index() + self.pending_proposals.len() as Index + 1;
        self.pending_proposals
            .push(LogEntry::new(self.term, index, command));
        Ok(index)
    }

    fn flush_proposals(&mut self) -> Result<()> {
        if self.pending_proposals.is_empty() {
            return Ok(());
        }
        self.log.append(&self.pending_proposals)?;
        self.pending_proposals.clear();
        self.unsynced = true;
        self.broadcast_pending = true;
        Ok(())
    }

    fn ensure_leader(&self) -> Result<()> {
        if self.is_leader() {
            Ok(())
        } else {
            Err(Error::NotLeader {
                leader: self.leader,
            })
        }
    }

    /// Persists term and vote (durable at the step's `sync`, before any
    /// reply leaves: Raft Figure 2, "Persistent state on all servers").
    fn persist_hard_state(&mut self) -> Result<()> {
        self.log.set_hard_state(HardState {
            term: self.term,
            voted_for: self.voted_for,
        })?;
        self.unsynced = true;
        Ok(())
    }

    fn send(&mut self, to: NodeId, message: Message) {
        self.out.push(Action::Send { to, message });
    }

    /// Whether this node is the only voter (a single-node cluster).
    fn is_sole_voter(&self) -> bool {
        self.voters.len() == 1 && self.voters[0] == self.id()
    }

    fn is_voter(&self) -> bool {
        self.voters.binary_search(&self.id()).is_ok()
    }

    /// Sends `message` to every other voter, in id order.
    fn send_to_voter_peers(&mut self, message: &Message) {
        for i in 0..self.voters.len() {
            let to = self.voters[i];
            if to != self.id() {
                self.send(to, message.clone());
            }
        }
    }
}

impl<L: RaftLog + std::fmt::Debug> std::fmt::Debug for RaftNode<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftNode")
            .field("id", &self.id())
            .field("role", &self.role)
            .field("term", &self.term)
            .field("leader", &self.leader)
            .field("commit_index", &self.commit_index)
            .field("last_applied", &self.last_applied)
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}
