//! Hand-driving helpers: message constructors, an election driver, and a
//! `RaftLog` wrapper that records every call the node makes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub use raft_core::RaftLog;
pub use raft_core::log::SnapshotStage;
use raft_core::{
    Action, AppendEntries, AppendEntriesReply, Error, Event, HardState, Index, LogEntry, MemoryLog,
    Message, NodeId, PreVote, PreVoteReply, RaftConfig, RaftNode, ReadProbe, ReadProbeReply,
    RequestVote, RequestVoteReply, Result, Role, Snapshot, Term,
};

/// Node `id` of a cluster of `peers`, with the default timing spelled out so
/// the tests can count ticks: election timeout 10..=20, heartbeat every 3.
pub fn cfg(id: NodeId, peers: &[NodeId]) -> RaftConfig {
    RaftConfig::new(id, peers.iter().copied())
        .with_election_timeout(10, 20)
        .with_heartbeat_interval(3)
}

pub fn entry(term: Term, index: Index, command: &[u8]) -> LogEntry {
    LogEntry::new(term, index, command.to_vec())
}

pub fn noop(term: Term, index: Index) -> LogEntry {
    LogEntry::new(term, index, Vec::new())
}

/// A log holding `terms[i]` at index `i + 1` (command = the index as a byte)
/// and the hard state `(term, voted_for)`.
pub fn memory_log(terms: &[Term], term: Term, voted_for: Option<NodeId>) -> MemoryLog {
    let mut log = MemoryLog::new();
    let entries: Vec<LogEntry> = terms
        .iter()
        .zip(1..)
        .map(|(&t, index)| entry(t, index, &[index as u8]))
        .collect();
    log.append(&entries).unwrap();
    log.set_hard_state(HardState { term, voted_for }).unwrap();
    log.sync().unwrap();
    log
}

/// One `Event::Propose` per command, for `step_many`.
pub fn proposals(commands: &[&[u8]]) -> Vec<Event> {
    commands
        .iter()
        .map(|c| Event::Propose(c.to_vec()))
        .collect()
}

pub fn msg(message: Message) -> Event {
    Event::Message(message)
}

pub fn send(to: NodeId, message: Message) -> Action {
    Action::Send { to, message }
}

pub fn ae(
    term: Term,
    leader: NodeId,
    prev: (Index, Term),
    entries: Vec<LogEntry>,
    leader_commit: Index,
) -> Message {
    Message::AppendEntries(AppendEntries {
        term,
        leader,
        prev_log_index: prev.0,
        prev_log_term: prev.1,
        entries,
        leader_commit,
    })
}

pub fn ae_ok(term: Term, from: NodeId, match_index: Index) -> Message {
    Message::AppendEntriesReply(AppendEntriesReply {
        term,
        success: true,
        from,
        match_index,
        conflict_index: 0,
        conflict_term: 0,
    })
}

pub fn ae_reject(term: Term, from: NodeId, conflict_index: Index, conflict_term: Term) -> Message {
    Message::AppendEntriesReply(AppendEntriesReply {
        term,
        success: false,
        from,
        match_index: 0,
        conflict_index,
        conflict_term,
    })
}

pub fn rv(term: Term, candidate: NodeId, last: (Index, Term)) -> Message {
    Message::RequestVote(RequestVote {
        term,
        candidate,
        last_log_index: last.0,
        last_log_term: last.1,
        force: false,
    })
}

pub fn rv_forced(term: Term, candidate: NodeId, last: (Index, Term)) -> Message {
    Message::RequestVote(RequestVote {
        term,
        candidate,
        last_log_index: last.0,
        last_log_term: last.1,
        force: true,
    })
}

pub fn rv_reply(term: Term, from: NodeId, vote_granted: bool) -> Message {
    Message::RequestVoteReply(RequestVoteReply {
        term,
        vote_granted,
        from,
    })
}

pub fn pv(term: Term, candidate: NodeId, last: (Index, Term)) -> Message {
    Message::PreVote(PreVote {
        term,
        candidate,
        last_log_index: last.0,
        last_log_term: last.1,
    })
}

pub fn pv_reply(term: Term, from: NodeId, vote_granted: bool) -> Message {
    Message::PreVoteReply(PreVoteReply {
        term,
        vote_granted,
        from,
    })
}

pub fn probe(term: Term, leader: NodeId, seq: u64) -> Message {
    Message::ReadProbe(ReadProbe { term, leader, seq })
}

pub fn probe_reply(term: Term, from: NodeId, seq: u64) -> Message {
    Message::ReadProbeReply(ReadProbeReply { term, from, seq })
}

/// Ticks until the node emits something; returns the number of ticks taken
/// and what that tick emitted. Panics after `limit` silent ticks.
pub fn tick_until_output<L: RaftLog>(node: &mut RaftNode<L>, limit: u32) -> (u32, Vec<Action>) {
    for ticks in 1..=limit {
        let actions = node.step(Event::Tick).unwrap();
        if !actions.is_empty() {
            return (ticks, actions);
        }
    }
    panic!("node {} stayed silent for {limit} ticks", node.id());
}

/// Drives a follower to leadership by hand: it times out, and the lowest
/// peer grants its pre-vote (when pre-vote is on) and its vote. Returns the
/// actions of the step that made it leader (the no-op broadcast).
pub fn elect<L: RaftLog>(node: &mut RaftNode<L>) -> Vec<Action> {
    let mut actions = Vec::new();
    for _ in 0..1000 {
        actions = node.step(Event::Tick).unwrap();
        if !actions.is_empty() || node.role() != Role::Follower {
            break;
        }
    }
    let peers = node.config().peers().to_vec();
    let is_pre_vote = |actions: &[Action]| {
        matches!(
            actions.first(),
            Some(Action::Send {
                message: Message::PreVote(_),
                ..
            })
        )
    };
    if is_pre_vote(&actions) {
        let term = node.term();
        for &peer in &peers {
            actions = node.step(msg(pv_reply(term + 1, peer, true))).unwrap();
            if node.term() > term {
                break;
            }
        }
    }
    let mut grants = peers.iter();
    while node.role() == Role::Candidate {
        let peer = *grants.next().expect("vote never won");
        let term = node.term();
        actions = node.step(msg(rv_reply(term, peer, true))).unwrap();
    }
    assert_eq!(node.role(), Role::Leader);
    actions
}

/// `elect`, then every peer acknowledges the no-op, so the no-op is
/// committed and every peer is in `Replicate`.
pub fn elect_and_settle<L: RaftLog>(node: &mut RaftNode<L>) {
    elect(node);
    let (term, last) = (node.term(), node.log().last_index());
    for &peer in node.config().peers().to_vec().iter() {
        node.step(msg(ae_ok(term, peer, last))).unwrap();
    }
    assert_eq!(node.commit_index(), last);
}

/// Every call a node made on its log, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Append { first: Index, count: usize },
    Truncate(Index),
    SetHardState(HardState),
    Sync,
    ApplySnapshot(Index),
    StageBegin(SnapshotStage),
    StageWrite(SnapshotStage, Vec<u8>),
    StageInstall(SnapshotStage, Index, Term),
    StageDiscard(SnapshotStage),
}

/// What a test keeps of a `RecordingLog` once the node owns it.
#[derive(Clone, Default)]
pub struct LogProbe {
    calls: Rc<RefCell<Vec<Call>>>,
    fail_sync: Rc<Cell<bool>>,
    fail_reads: Rc<Cell<bool>>,
    /// A read failed; latched, like a real backend's read error.
    read_failed: Rc<Cell<bool>>,
    /// `RaftLog::max_append_bytes`; 0 means the default (unlimited).
    max_append_bytes: Rc<Cell<usize>>,
    /// `RaftLog::stages_snapshots` (off: the trait's default).
    stages: Rc<Cell<bool>>,
}

impl LogProbe {
    /// The calls since the last `take`.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.borrow_mut())
    }

    pub fn fail_sync(&self, fail: bool) {
        self.fail_sync.set(fail);
    }

    /// Limits each `append` (see `RaftLog::max_append_bytes`); an append
    /// beyond it fails with `Error::Storage`, as a real backend's would.
    pub fn set_max_append_bytes(&self, max: usize) {
        self.max_append_bytes.set(max);
    }

    /// Makes the log stage snapshots (as `MemoryLog` does), recording the
    /// `stage_*` calls; off, it has the trait's default: no staging.
    pub fn stage_snapshots(&self, stages: bool) {
        self.stages.set(stages);
    }

    /// Makes every later `entry` read fail (return `None`) and latch a
    /// read error, as a disk that went away would.
    pub fn fail_reads(&self, fail: bool) {
        self.fail_reads.set(fail);
    }
}

/// A `MemoryLog` that records every mutating call and can fail `sync`.
pub struct RecordingLog {
    inner: MemoryLog,
    probe: LogProbe,
}

impl RecordingLog {
    pub fn new(inner: MemoryLog) -> (Self, LogProbe) {
        let probe = LogProbe::default();
        (
            Self {
                inner,
                probe: probe.clone(),
            },
            probe,
        )
    }

    fn record(&self, call: Call) {
        self.probe.calls.borrow_mut().push(call);
    }
}

impl RaftLog for RecordingLog {
    fn last_index(&self) -> Index {
        self.inner.last_index()
    }
    fn last_term(&self) -> Term {
        self.inner.last_term()
    }
    fn term_at(&self, index: Index) -> Option<Term> {
        self.inner.term_at(index)
    }
    fn entry(&self, index: Index) -> Option<LogEntry> {
        if self.probe.fail_reads.get() && self.inner.entry(index).is_some() {
            self.probe.read_failed.set(true);
            return None;
        }
        self.inner.entry(index)
    }
    fn read_error(&self) -> Option<Error> {
        self.probe
            .read_failed
            .get()
            .then(|| Error::storage("read entries", "injected failure"))
    }
    fn max_append_bytes(&self) -> usize {
        match self.probe.max_append_bytes.get() {
            0 => usize::MAX,
            max => max,
        }
    }
    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        let cost: usize = entries
            .iter()
            .map(|e| raft_core::log::append_cost(e.command.len()))
            .sum();
        if cost > self.max_append_bytes() {
            return Err(Error::storage("append", "batch exceeds the record limit"));
        }
        self.record(Call::Append {
            first: entries.first().map_or(0, |e| e.index),
            count: entries.len(),
        });
        self.inner.append(entries)
    }
    fn truncate(&mut self, from: Index) -> Result<()> {
        self.record(Call::Truncate(from));
        self.inner.truncate(from)
    }
    fn hard_state(&self) -> HardState {
        self.inner.hard_state()
    }
    fn set_hard_state(&mut self, state: HardState) -> Result<()> {
        self.record(Call::SetHardState(state));
        self.inner.set_hard_state(state)
    }
    fn sync(&mut self) -> Result<()> {
        self.record(Call::Sync);
        if self.probe.fail_sync.get() {
            return Err(Error::storage("sync", "injected failure"));
        }
        self.inner.sync()
    }
    fn snapshot_index(&self) -> Index {
        self.inner.snapshot_index()
    }
    fn snapshot(&self) -> Option<Snapshot> {
        self.inner.snapshot()
    }
    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<()> {
        self.record(Call::ApplySnapshot(snapshot.index));
        self.inner.apply_snapshot(snapshot)
    }
    fn snapshot_len(&self) -> u64 {
        self.inner.snapshot_len()
    }
    fn snapshot_chunk(&self, offset: u64, len: usize) -> Vec<u8> {
        self.inner.snapshot_chunk(offset, len)
    }
    fn stages_snapshots(&self) -> bool {
        self.probe.stages.get()
    }
    fn stage_begin(&mut self, stage: SnapshotStage) -> Result<()> {
        self.record(Call::StageBegin(stage));
        self.inner.stage_begin(stage)
    }
    fn stage_write(&mut self, stage: SnapshotStage, data: &[u8]) -> Result<()> {
        self.record(Call::StageWrite(stage, data.to_vec()));
        self.inner.stage_write(stage, data)
    }
    fn stage_install(
        &mut self,
        stage: SnapshotStage,
        index: Index,
        term: Term,
        membership: &raft_core::Membership,
    ) -> Result<()> {
        self.record(Call::StageInstall(stage, index, term));
        self.inner.stage_install(stage, index, term, membership)
    }
    fn stage_discard(&mut self, stage: SnapshotStage) {
        self.record(Call::StageDiscard(stage));
        self.inner.stage_discard(stage);
    }
}

/// A node over a `RecordingLog` wrapping `inner`.
pub fn recorded_node(config: RaftConfig, inner: MemoryLog) -> (RaftNode<RecordingLog>, LogProbe) {
    let (log, probe) = RecordingLog::new(inner);
    (RaftNode::with_log(config, log), probe)
}

/// The terms held by the log, index 1 upwards.
pub fn terms<L: RaftLog>(log: &L) -> Vec<Term> {
    (log.snapshot_index() + 1..=log.last_index())
        .map(|i| log.term_at(i).unwrap())
        .collect()
}

/// The required `RaftLog` methods, delegated to the `MemoryLog` in field 0:
/// for test backends that leave every other method to the trait's defaults.
macro_rules! required_log_methods_of_field_0 {
    () => {
        fn last_index(&self) -> raft_core::Index {
            self.0.last_index()
        }
        fn last_term(&self) -> raft_core::Term {
            self.0.last_term()
        }
        fn term_at(&self, index: raft_core::Index) -> Option<raft_core::Term> {
            self.0.term_at(index)
        }
        fn entry(&self, index: raft_core::Index) -> Option<raft_core::LogEntry> {
            self.0.entry(index)
        }
        fn append(&mut self, entries: &[raft_core::LogEntry]) -> raft_core::Result<()> {
            self.0.append(entries)
        }
        fn truncate(&mut self, from: raft_core::Index) -> raft_core::Result<()> {
            self.0.truncate(from)
        }
        fn hard_state(&self) -> raft_core::HardState {
            self.0.hard_state()
        }
        fn set_hard_state(&mut self, state: raft_core::HardState) -> raft_core::Result<()> {
            self.0.set_hard_state(state)
        }
        fn sync(&mut self) -> raft_core::Result<()> {
            self.0.sync()
        }
    };
}
pub(crate) use required_log_methods_of_field_0;
