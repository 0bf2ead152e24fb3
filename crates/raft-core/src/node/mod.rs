//! `RaftNode`: the node's state, its accessors, and `step`, the one way in.
//!
//! The rules live in sibling files by concern (`election`, `replication`,
//! `apply`, `read_index`, `snapshot`, `transfer`, `membership`); this file
//! only dispatches events and finishes each step (sync, commit, apply,
//! reads).

mod apply;
mod config_history;
mod durability;
mod election;
mod entry_forms;
mod lease;
mod membership;
mod progress;
mod proposal_size;
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
use crate::membership::Membership;
use crate::message::Message;
use crate::rng::Rng;
use crate::shared::{SharedCommand, SharedEntry};
use crate::types::{HardState, Index, LogEntry, NodeId, Role, Term};

use config_history::ConfigHistory;
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
    /// The configurations of the log; the latest is in force (thesis 4.1).
    configs: ConfigHistory,
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
    /// The same under `with_shared_commands` (only one of the two is used).
    pending_shared: Vec<SharedEntry>,
    /// What `pending_proposals` costs against `RaftLog::max_append_bytes`.
    pending_proposal_bytes: usize,
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
    /// On a leader with lease reads on: its lease (thesis 6.4.1).
    lease: lease::Lease,
    /// With deferred sync: actions held until the next `flush`, in order.
    held: Vec<Action>,
    /// Reused by `hold_until_durable`.
    hold_scratch: Vec<Action>,
    /// Inside `flush`: this step syncs.
    flushing: bool,
    /// With lease reads on, a node that (re)starts refuses votes for a
    /// minimum election timeout, as if it had just heard from a leader: it
    /// may have acknowledged a lease round before it went down.
    boot_quiet: bool,
    /// A snapshot being streamed to us, chunk by chunk.
    incoming: Option<snapshot::IncomingSnapshot>,
    /// The application's snapshot being written piece by piece.
    producing: Option<snapshot::ProducedSnapshot>,
    /// A leadership transfer in progress (thesis 3.10).
    transfer: Option<transfer::Transfer>,
    /// Output of the current step; swapped with the caller's buffer.
    out: Vec<Action>,
    /// Reused by quorum computations so the commit path does not allocate.
    quorum_scratch: Vec<Index>,
    /// Reused by `apply_committed`, so applying allocates no `Vec` per step.
    apply_buf: Vec<LogEntry>,
    /// The same under `with_shared_commands`.
    apply_shared_buf: Vec<SharedEntry>,
    /// Something that can move the commit index changed since the leader
    /// last counted it (its durable index, the voters): count at step end.
    commit_check: bool,
    /// The index of the configuration in force when it was last found
    /// settled: committed, not joint, this node one of its voters. A
    /// committed entry never changes, so while the same configuration is in
    /// force the leader has nothing to advance (`advance_membership`).
    membership_settled_at: Option<Index>,
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
        let configs = recover_configs(&config, &log);
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
            configs,
            election_elapsed_ticks: 0,
            election_timeout_ticks: timeout_min,
            heartbeat_elapsed_ticks: 0,
            campaign: Campaign::default(),
            progress: ProgressTracker::default(),
            reads: ReadIndex::default(),
            pending_proposals: Vec::new(),
            pending_shared: Vec::new(),
            pending_proposal_bytes: 0,
            broadcast_pending: false,
            unsynced: false,
            failed: None,
            snapshot_hinted_at: snapshot_index,
            lease: lease::Lease::default(),
            boot_quiet: false,
            held: Vec::new(),
            hold_scratch: Vec::new(),
            flushing: false,
            incoming: None,
            producing: None,
            transfer: None,
            out: Vec::new(),
            quorum_scratch: Vec::new(),
            apply_buf: Vec::new(),
            apply_shared_buf: Vec::new(),
            commit_check: true,
            membership_settled_at: None,
        };
        node.boot_quiet = node.config.lease_reads().is_some();
        node.reset_election_timer();
        node
    }

    /// **(ours)** Like [`with_log`](Self::with_log), for an application whose
    /// state machine is itself durable and has applied the log through
    /// `applied_index`: commit and apply resume after it, so a restart
    /// re-applies nothing. (Only committed entries are ever applied, so the
    /// index is committed.)
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] if `applied_index` is past the end of the
    /// log, or below the log's snapshot (restore the snapshot instead).
    ///
    /// ```
    /// use raft_core::{LogEntry, MemoryLog, RaftConfig, RaftLog, RaftNode};
    /// let mut log = MemoryLog::new();
    /// log.append(&[LogEntry::new(1, 1, b"a".to_vec()), LogEntry::new(1, 2, b"b".to_vec())]).unwrap();
    /// let node = RaftNode::resume(RaftConfig::new(1, [2, 3]), log, 2).unwrap();
    /// assert_eq!((node.commit_index(), node.last_applied()), (2, 2));
    /// ```
    pub fn resume(config: RaftConfig, log: L, applied_index: Index) -> Result<Self> {
        if applied_index > log.last_index() {
            return Err(Error::InvalidRequest {
                what: "the applied index is past the end of the log",
            });
        }
        if applied_index < log.snapshot_index() {
            return Err(Error::InvalidRequest {
                what: "the applied index is below the log's snapshot; restore the snapshot",
            });
        }
        let mut node = Self::with_log(config, log);
        node.commit_index = applied_index;
        node.last_applied = applied_index;
        node.snapshot_hinted_at = applied_index;
        Ok(node)
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

    /// The voters, sorted, this node included while it is one. While the
    /// configuration is joint these are the incoming voters (C_new); see
    /// [`membership`](Self::membership) for both halves.
    pub fn members(&self) -> &[NodeId] {
        self.membership().voters()
    }

    /// The non-voting learners, sorted.
    pub fn learners(&self) -> &[NodeId] {
        self.membership().learners()
    }

    /// **(ours)** The configuration in force: the latest in the log,
    /// committed or not (thesis 4.1).
    pub fn membership(&self) -> &Membership {
        self.configs.in_force()
    }

    /// **(ours)** Whether the configuration in force is not yet committed,
    /// or is joint (so the next change must wait).
    pub fn is_config_pending(&self) -> bool {
        self.configs.in_force_index() > self.commit_index || self.membership().is_joint()
    }

    /// The underlying log.
    pub fn log(&self) -> &L {
        &self.log
    }

    /// **(ours)** Reads the stored snapshot's data as a `std::io::Read`,
    /// in the caller's buffer sizes: how an application restores its state
    /// on `Action::RestoreSnapshotFromLog` without the whole snapshot in
    /// memory.
    ///
    /// ```
    /// use std::io::Read;
    /// use raft_core::{Action, Event, RaftConfig, RaftNode};
    ///
    /// let mut node = RaftNode::new(RaftConfig::single(1));
    /// while !node.is_leader() {
    ///     node.step(Event::Tick).unwrap();
    /// }
    /// node.step(Event::Propose(b"x".to_vec())).unwrap();
    /// let applied = node.last_applied();
    /// let piece = |offset: u64, data: &[u8], done| Event::SnapshotPiece {
    ///     index: applied, offset, data: data.to_vec(), done,
    /// };
    /// node.step(piece(0, b"st", false)).unwrap();
    /// node.step(piece(2, b"ate", true)).unwrap();
    /// let mut data = Vec::new();
    /// node.snapshot_reader().read_to_end(&mut data).unwrap();
    /// assert_eq!(data, b"state");
    /// ```
    pub fn snapshot_reader(&self) -> crate::log::SnapshotReader<'_, L> {
        crate::log::SnapshotReader::new(&self.log)
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
            membership: self.membership().clone(),
            config_pending: self.is_config_pending(),
            peers: if self.is_leader() {
                self.progress.iter().map(|pr| pr.status()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Feeds one event and returns the actions to carry out, in order.
    /// Deterministic: the same state and event always give the same actions.
    /// Every write the step made is `sync`ed before it returns (with
    /// deferred sync, see [`flush`](Self::flush)).
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
    #[inline(always)]
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
    #[inline]
    pub fn step_into(&mut self, event: Event, out: &mut Vec<Action>) -> Result<()> {
        if let Event::Tick = event
            && self.try_quiet_tick()
        {
            // A `Tick` owns nothing: skip the generic drop of an `Event`.
            std::mem::forget(event);
            return Ok(());
        }
        self.step_event(event, out)
    }

    /// Every step but a quiet tick; out of line, so the quiet tick above
    /// stays a few instructions.
    #[inline(never)]
    fn step_event(&mut self, event: Event, out: &mut Vec<Action>) -> Result<()> {
        let len_before = self.begin_step(out)?;
        let result = self.handle_event(event).and_then(|()| self.finish_step());
        self.end_step(out, len_before, result)
    }

    /// **(ours)** The fast path's proposal: like `step_into` with
    /// `Event::Propose`, the command shared instead of owned, and the index
    /// it was given returned. Under `RaftConfig::with_shared_commands` the
    /// log, every append that carries it (`Message::AppendShared`) and its
    /// `Action::ApplyShared` hold this one allocation (without that option
    /// it is copied, as a `Propose` is). A method rather than an `Event`:
    /// a reference-counted field in `Event` measurably slowed every step
    /// (its drop code). To commit several with one `sync`, use
    /// `with_deferred_sync` and one `flush` after them.
    ///
    /// # Errors
    /// As `Event::Propose`: `Error::NotLeader` on a follower, and the
    /// others a proposal can meet; on an error `out` is left as it was.
    ///
    /// ```
    /// use raft_core::{Action, Event, RaftConfig, RaftNode, SharedCommand};
    /// let mut node = RaftNode::new(RaftConfig::single(1).with_shared_commands(true));
    /// while !node.is_leader() { node.step(Event::Tick).unwrap(); }
    /// let command = SharedCommand::from(&b"set x = 1"[..]);
    /// let mut out = Vec::new();
    /// let index = node.propose_shared(command.clone(), &mut out).unwrap();
    /// assert!(matches!(
    ///     &out[..],
    ///     [Action::ApplyShared { index: i, command: c, .. }]
    ///         if *i == index && std::sync::Arc::ptr_eq(c, &command)
    /// ));
    /// ```
    #[inline(never)]
    pub fn propose_shared(
        &mut self,
        command: SharedCommand,
        out: &mut Vec<Action>,
    ) -> Result<Index> {
        let len_before = self.begin_step(out)?;
        let mut index = 0;
        let result = self.propose(command).and_then(|given| {
            index = given;
            self.finish_step()
        });
        self.end_step(out, len_before, result).map(|()| index)
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
        let len_before = self.begin_step(out)?;
        let result = handle(self).and_then(|()| self.finish_step());
        self.end_step(out, len_before, result)
    }

    /// Starts a step that writes into the caller's buffer (swapped in, so
    /// nothing is copied); returns where this step's actions begin. A
    /// node whose storage failed refuses every step.
    #[inline]
    fn begin_step(&mut self, out: &mut Vec<Action>) -> Result<usize> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        std::mem::swap(&mut self.out, out);
        Ok(self.out.len())
    }

    /// Ends a step begun by `begin_step`: gives the buffer back, holds
    /// what must wait for a deferred sync, and on failure leaves the
    /// caller's buffer as it was (a storage failure stops the node).
    #[inline(always)]
    fn end_step(
        &mut self,
        out: &mut Vec<Action>,
        len_before: usize,
        result: Result<()>,
    ) -> Result<()> {
        std::mem::swap(&mut self.out, out);
        match result {
            Ok(()) => {
                self.hold_until_durable(out, len_before);
                Ok(())
            }
            Err(error) => Err(self.fail_step(out, len_before, error)),
        }
    }

    #[cold]
    #[inline(never)]
    fn fail_step(&mut self, out: &mut Vec<Action>, len_before: usize, error: Error) -> Error {
        let error = crate::log::first_cause(&self.log, error);
        out.truncate(len_before);
        if matches!(error, Error::Storage { .. }) {
            self.failed = Some(error.clone());
        }
        error
    }

    /// Inlined into `step_event` (and `step_many`): measured, this layout
    /// keeps the end-of-step pipeline inlined in the step too.
    #[inline(always)]
    fn handle_event(&mut self, event: Event) -> Result<()> {
        if !matches!(event, Event::Propose(_) | Event::ProposeTracked { .. }) {
            // Everything but a proposal may read the log: it must hold every
            // proposal accepted so far.
            self.flush_proposals()?;
        }
        if let Event::Message(message) = &event
            && !self.admit_message(message)?
        {
            return Ok(());
        }
        // One match down to the message's fields, so the (large) message is
        // never moved on its way to its handler.
        match event {
            Event::Tick => self.tick(),
            Event::Message(Message::PreVote(m)) => self.handle_pre_vote(m),
            Event::Message(Message::PreVoteReply(m)) => self.handle_pre_vote_reply(m),
            Event::Message(Message::RequestVote(m)) => self.handle_request_vote(m),
            Event::Message(Message::RequestVoteReply(m)) => self.handle_request_vote_reply(m),
            Event::Message(Message::AppendEntries(m)) => self.handle_append(
                m.leader,
                (m.prev_log_index, m.prev_log_term),
                m.entries,
                m.leader_commit,
            ),
            Event::Message(Message::AppendEntriesReply(m)) => self.handle_append_reply(m),
            Event::Message(Message::AppendShared(m)) => self.handle_append(
                m.leader,
                (m.prev_log_index, m.prev_log_term),
                m.entries,
                m.leader_commit,
            ),
            Event::Message(Message::InstallSnapshot(m)) => self.handle_install_snapshot(m),
            Event::Message(Message::InstallSnapshotReply(m)) => {
                self.handle_install_snapshot_reply(m)
            }
            Event::Message(Message::SnapshotChunk(m)) => self.handle_snapshot_chunk(*m),
            Event::Message(Message::SnapshotChunkReply(m)) => {
                self.handle_snapshot_chunk_reply(m);
                Ok(())
            }
            Event::Message(Message::TimeoutNow(m)) => self.handle_timeout_now(m),
            Event::Message(Message::ReadProbe(m)) => self.handle_read_probe(m),
            Event::Message(Message::ReadProbeReply(m)) => self.handle_read_probe_reply(m),
            Event::Propose(command) => self.propose(command).map(drop),
            Event::ProposeTracked { id, command } => {
                let index = self.propose(command)?;
                let term = self.term;
                self.out.push(Action::Proposed { id, term, index });
                Ok(())
            }
            Event::Read { id } => self.handle_read(id),
            Event::Snapshot { index, data } => self.compact(index, data),
            Event::SnapshotPiece {
                index,
                offset,
                data,
                done,
            } => self.snapshot_piece(index, offset, &data, done),
            Event::TransferLeadership(target) => self.transfer_leadership(target),
            Event::AddServer(id) => self.add_server(id),
            Event::RemoveServer(id) => self.remove_server(id),
            Event::AddLearner(id) => self.add_learner(id),
            Event::PromoteLearner(id) => self.promote_learner(id),
            Event::ChangeMembership { voters, learners } => {
                self.change_membership(voters, learners)
            }
        }
    }

    /// The end of every step: append accepted proposals in one write, send
    /// what the leader owes, `sync` once, then (only now that the writes are
    /// durable) count the leader's own log, commit, apply and answer reads.
    fn finish_step(&mut self) -> Result<()> {
        self.flush_proposals()?;
        self.send_and_sync()?;
        if self.is_leader() {
            if std::mem::take(&mut self.commit_check) {
                self.maybe_commit();
            }
            // A committed joint configuration is left at once, a removed
            // leader steps down: both may need another round of the above.
            if self.advance_membership()? {
                self.send_and_sync()?;
                if self.is_leader() {
                    self.maybe_commit();
                }
            }
        }
        self.apply_committed()?;
        if self.is_leader() {
            self.start_read_rounds();
            self.release_reads();
        }
        // A read that failed during the step fails it like a write would.
        crate::log::check_reads(&self.log)?;
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

    /// Sends what the leader owes, then makes every write of the step
    /// durable with one `sync`.
    fn send_and_sync(&mut self) -> Result<()> {
        if self.is_leader() && std::mem::take(&mut self.broadcast_pending) {
            self.broadcast_append();
        }
        if self.unsynced && self.sync_now() {
            self.log.sync()?;
            self.unsynced = false;
        }
        let durable = self.log.last_index();
        if !self.unsynced && durable != self.durable_index {
            // The leader counts itself only through what is durable (thesis
            // 10.2.1).
            self.durable_index = durable;
            self.commit_check = true;
        }
        Ok(())
    }

    /// Whether `message` reaches its handler: our own echo and corrupt
    /// input are dropped, then the term rules run (and may drop it).
    #[inline(always)]
    fn admit_message(&mut self, message: &Message) -> Result<bool> {
        if message.from() == self.id() || !crate::plausible::is_plausible(message) {
            // Our own echo, or corrupt terms (PROTOCOL.md §2.1): dropped
            // before the term rules, so they change nothing.
            return Ok(false);
        }
        let well_formed = match message {
            Message::AppendEntries(m) => {
                entry_forms::is_well_formed(m.term, m.prev_log_index, m.prev_log_term, &m.entries)
            }
            Message::AppendShared(m) => {
                entry_forms::is_well_formed(m.term, m.prev_log_index, m.prev_log_term, &m.entries)
            }
            _ => true,
        };
        if !well_formed {
            // Corrupt input changes nothing: not the term, not the timer.
            return Ok(false);
        }
        self.observe_term(message)
    }

    /// A leader accepts a command; it reaches the log (in one write with
    /// the rest of the step's proposals) and followers at the step's end.
    /// Returns the index it was given.
    fn propose(&mut self, command: impl ProposedCommand) -> Result<Index> {
        self.ensure_leader()?;
        self.ensure_no_transfer()?;
        self.make_room_for_proposal(command.len())?;
        let pending = self.pending_proposals.len() + self.pending_shared.len();
        let (term, index) = (self.term, self.log.last_index() + pending as Index + 1);
        if self.config.shared_commands() {
            self.pending_shared
                .push(SharedEntry::new(term, index, command.into_shared()));
        } else {
            self.pending_proposals
                .push(LogEntry::new(term, index, command.into_owned()));
        }
        Ok(index)
    }

    /// Hot path: called twice a step, almost always with nothing to do.
    #[inline]
    fn flush_proposals(&mut self) -> Result<()> {
        if self.pending_proposals.is_empty() && self.pending_shared.is_empty() {
            return Ok(());
        }
        self.append_proposals()
    }

    fn append_proposals(&mut self) -> Result<()> {
        // Proposals are normal entries (no configuration to note): they are
        // moved into the log, not cloned; the buffers keep their allocation
        // (one of them is empty: a node uses one form).
        let result = if self.pending_shared.is_empty() {
            let mut entries = std::mem::take(&mut self.pending_proposals);
            let result = self.log.append_from(&mut entries);
            entries.clear();
            self.pending_proposals = entries;
            result
        } else {
            let mut entries = std::mem::take(&mut self.pending_shared);
            let result = self.log.append_shared(&mut entries);
            entries.clear();
            self.pending_shared = entries;
            result
        };
        self.pending_proposal_bytes = 0;
        result?;
        self.unsynced = true;
        self.broadcast_pending = true;
        Ok(())
    }

    /// The leader appends entries of its own to its log; they reach the
    /// followers at the end of the step. A configuration among them takes
    /// effect at once (thesis 4.1).
    fn append_as_leader(&mut self, entries: &[LogEntry]) -> Result<()> {
        self.log.append(entries)?;
        self.unsynced = true;
        self.broadcast_pending = true;
        self.note_config_entries(entries);
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
        self.membership().is_sole_voter(self.id())
    }

    /// Whether this node votes in the configuration in force (either half
    /// while joint).
    fn is_voter(&self) -> bool {
        self.membership().is_voter(self.id())
    }

    /// Every member but this node (voters of both halves and learners),
    /// sorted: whom a leader replicates to.
    fn other_members(&self) -> Vec<NodeId> {
        let id = self.id();
        let mut members = self.membership().members();
        members.retain(|&member| member != id);
        members
    }

    /// Sends `message` to every other voter of either half, in id order
    /// (a read on a sole voter allocates nothing for its peers).
    fn send_to_voter_peers(&mut self, message: &Message) {
        let id = self.id();
        for to in self.configs.in_force().voter_ids() {
            if to != id {
                self.out.push(Action::Send {
                    to,
                    message: message.clone(),
                });
            }
        }
    }
}

/// A proposal's command in either form; the node's form decides which it
/// becomes (a copy only when the two differ).
trait ProposedCommand {
    fn len(&self) -> usize;
    fn into_owned(self) -> Vec<u8>;
    fn into_shared(self) -> SharedCommand;
}

impl ProposedCommand for Vec<u8> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn into_owned(self) -> Vec<u8> {
        self
    }

    fn into_shared(self) -> SharedCommand {
        self.into()
    }
}

impl ProposedCommand for SharedCommand {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn into_owned(self) -> Vec<u8> {
        self.to_vec()
    }

    fn into_shared(self) -> SharedCommand {
        self
    }
}

/// The configurations a node starts with: the snapshot's (else the one
/// `config` names, or none for a joining node), then one per `Config` entry
/// of the log after it, committed or not (thesis 4.1).
fn recover_configs<L: RaftLog>(config: &RaftConfig, log: &L) -> ConfigHistory {
    let snapshot_index = log.snapshot_index();
    let base = log.snapshot_membership().unwrap_or_else(|| {
        if config.is_joining() {
            Membership::default()
        } else {
            Membership::new(config.peers().iter().copied().chain([config.id()]))
        }
    });
    let mut configs = ConfigHistory::new(snapshot_index, base);
    configs.push_from_log(log, snapshot_index);
    configs
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
