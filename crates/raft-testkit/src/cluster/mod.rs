//! `Cluster`: N nodes over simulated disks (any [`SimDisk`]) and a
//! simulated network, stepped deterministically from one seed, checked after
//! every step.

mod churn;
mod client;
mod clock;
mod faults;
mod liveness;
mod nemesis;
mod ops;
mod pause;
mod replica;

use std::collections::BTreeMap;
use std::io::Read;

use raft_core::{Action, Error, Event, Index, Message, NodeId, RaftConfig, RaftNode, Role, Term};

use crate::builder::ClusterBuilder;
use crate::checker::{SafetyChecker, Violation};
use crate::client_ops::ClientOps;
use crate::disk::SimDisk;
use crate::failure::{SimFailure, SimResult};
use crate::network::{FaultPlan, Network};
use crate::rng::SimRng;
use crate::sim_log::SimLog;
use crate::state;
use crate::state_machine::MachineFactory;

use clock::Clock;
use nemesis::Nemesis;
use pause::Pause;
use replica::Applied;
pub(crate) use replica::Replica;

/// The state node `id` restores from a snapshot through `index`: it must
/// decode, and its record must hold exactly the commands applied
/// cluster-wide at its indices (State Machine Safety through snapshots).
fn restore<'a>(
    checker: &SafetyChecker,
    id: NodeId,
    index: Index,
    data: &'a [u8],
) -> Result<state::Decoded<'a>, String> {
    let decoded = state::decode(data)
        .ok_or_else(|| format!("node {id}: snapshot through {index} does not decode"))?;
    for (at, command) in &decoded.applied {
        let known = checker.applied().get(at).map(|(_, known)| known);
        if *at > index || known != Some(command) {
            return Err(Violation {
                property: "state machine safety",
                detail: format!(
                    "node {id} restored {:?} at index {at} from a snapshot through {index}, \
                     but the cluster applied {:?} there",
                    String::from_utf8_lossy(command),
                    known.map(|known| String::from_utf8_lossy(known))
                ),
            }
            .to_string());
        }
    }
    Ok(decoded)
}

/// One simulated machine: the node while it runs, its disk while it is down,
/// what its state machine has seen, its clock, and its pause.
#[derive(Debug)]
pub(crate) struct Machine<D: SimDisk> {
    config: RaftConfig,
    node: Option<RaftNode<D>>,
    /// The disk of a crashed machine, as recovery left it.
    disk: Option<D>,
    /// The state machine, since it last started.
    replica: Replica,
    clock: Clock,
    /// Set while the machine is paused.
    pause: Option<Pause>,
}

impl<D: SimDisk> Machine<D> {
    pub(crate) fn new(config: RaftConfig, node: Option<RaftNode<D>>, replica: Replica) -> Self {
        Self {
            config,
            node,
            disk: None,
            replica,
            clock: Clock::default(),
            pause: None,
        }
    }
}

/// A deterministic simulated cluster. Every step of every node is checked
/// against Raft's safety properties; the first violation fails the call
/// that caused it, naming the seed that replays it.
///
/// ```
/// use raft_testkit::Cluster;
/// let mut cluster = Cluster::new(3, 42);
/// cluster.run_until(500, |c| c.leader().is_some()).unwrap();
/// let index = cluster.propose_and_wait(b"x = 1".to_vec(), 500).unwrap();
/// assert!(cluster.all_applied_through(index));
/// for id in cluster.ids() {
///     assert!(cluster.applied(id).iter().any(|(_, cmd)| cmd == b"x = 1"));
/// }
/// ```
///
/// The disks default to [`SimLog`]; with the `wal` feature,
/// `ClusterBuilder::<WalDisk>::new()` runs the same cluster over real
/// `WalLog` directories.
#[derive(Debug)]
pub struct Cluster<D: SimDisk = SimLog> {
    seed: u64,
    now: u64,
    rng: SimRng,
    faults: FaultPlan,
    machines: BTreeMap<NodeId, Machine<D>>,
    network: Network,
    checker: SafetyChecker,
    /// Reused output buffer (the hot path allocates nothing per step).
    out: Vec<Action>,
    /// Reads in flight: id -> the highest index applied anywhere when the
    /// read was issued (a linearizable read must reflect at least that).
    reads: BTreeMap<u64, Index>,
    next_read_id: u64,
    /// Print every step to stderr (for replaying a failing seed).
    trace: bool,
    /// Inside [`tick`](Self::tick) (for the history's times).
    ticking: bool,
    /// Machines crashed so far (between steps or inside one).
    crashes: u64,
    /// Membership changes the leader accepted (see `churn`).
    membership_changes: u64,
    /// Set when healing after churn: every node becomes a voter again.
    restoring_membership: bool,
    /// Snapshot chunks delivered so far.
    snapshot_chunks_delivered: u64,
    /// Shared-command appends delivered so far.
    shared_appends_delivered: u64,
    /// How many `Event::SnapshotPiece`s a machine answers a snapshot hint
    /// with (`1`: one whole `Event::Snapshot`).
    snapshot_pieces: usize,
    /// A failure found outside a step (a disk that could not be created or
    /// recovered), reported by the next `tick` or `step`.
    failed: Option<SimFailure>,
    /// Makes each node's state machine.
    factory: MachineFactory,
    /// Client operations and their history.
    clients: ClientOps,
    /// A client resends an operation not answered within this many ticks.
    retry_after: u64,
    /// The fault injector of [`run_with_faults`](Self::run_with_faults).
    nemesis: Nemesis,
    /// Nodes stopped because their disk failed a `sync`.
    sync_failures: u64,
    /// Retried client writes a replica did not apply again.
    duplicates: u64,
}

impl Cluster<SimLog> {
    /// `n` nodes over [`SimLog`]s on a perfect network.
    pub fn new(n: u64, seed: u64) -> Self {
        Self::builder().nodes(n).seed(seed).build()
    }

    /// A builder with every option, over [`SimLog`]s.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }
}

/// What one `drive` feeds a node.
#[derive(Debug)]
enum Input {
    Event(Event),
    /// `RaftNode::propose_shared`.
    Shared(raft_core::SharedCommand),
    /// `RaftNode::flush_into`.
    Flush,
}

impl<D: SimDisk> Cluster<D> {
    pub(crate) fn from_parts(
        seed: u64,
        faults: FaultPlan,
        mut machines: BTreeMap<NodeId, Machine<D>>,
        failed: Option<SimFailure>,
        factory: MachineFactory,
    ) -> Self {
        // Clock rates come from their own stream, so that turning skew on
        // or off leaves every other random choice of the run unchanged.
        let mut clocks = SimRng::new(seed ^ 0xC10C_5EED_0000_0001);
        let mut timeout = 1;
        let mut checker = SafetyChecker::new();
        for machine in machines.values_mut() {
            machine.clock = Clock::skewed(&mut clocks);
            timeout = timeout.max(u64::from(machine.config.election_timeout().1));
            if let Some(node) = &machine.node {
                // A fresh node breaks nothing; the checker learns its state.
                checker.observe(node, &[]).ok();
            }
        }
        Self {
            seed,
            now: 0,
            rng: SimRng::new(seed),
            faults,
            machines,
            network: Network::new(),
            checker,
            out: Vec::new(),
            reads: BTreeMap::new(),
            next_read_id: 1,
            trace: false,
            ticking: false,
            crashes: 0,
            membership_changes: 0,
            restoring_membership: false,
            snapshot_chunks_delivered: 0,
            shared_appends_delivered: 0,
            snapshot_pieces: 1,
            failed,
            factory,
            clients: ClientOps::default(),
            retry_after: 2 * timeout,
            nemesis: Nemesis::default(),
            sync_failures: 0,
            duplicates: 0,
        }
    }

    pub(crate) fn take_failure(&mut self) -> Option<SimFailure> {
        self.failed.take()
    }

    /// Prints every event and the actions it produced to stderr.
    pub fn set_trace(&mut self, trace: bool) {
        self.trace = trace;
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The current tick.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Every node id, running or not.
    pub fn ids(&self) -> Vec<NodeId> {
        self.machines.keys().copied().collect()
    }

    /// The running node `id`, if it is up.
    pub fn node(&self, id: NodeId) -> Option<&RaftNode<D>> {
        self.machines.get(&id).and_then(|m| m.node.as_ref())
    }

    /// Commands applied by `id`'s state machine since it last started, as
    /// logged (a client write with its header, see
    /// [`client_write`](Self::client_write)).
    pub fn applied(&self, id: NodeId) -> &[(Index, Vec<u8>)] {
        self.machines.get(&id).map_or(&[], |m| m.replica.applied())
    }

    /// The running leader with the highest term, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.running()
            .filter(|node| node.role() == Role::Leader)
            .max_by_key(|node| node.term())
            .map(RaftNode::id)
    }

    /// The highest commit index of any running node.
    pub fn max_commit(&self) -> Index {
        self.running()
            .map(RaftNode::commit_index)
            .max()
            .unwrap_or(0)
    }

    /// Whether every running node has applied through `index`.
    pub fn all_applied_through(&self, index: Index) -> bool {
        self.running().all(|node| node.last_applied() >= index)
    }

    fn running(&self) -> impl Iterator<Item = &RaftNode<D>> {
        self.machines.values().filter_map(|m| m.node.as_ref())
    }

    /// The network, to inspect.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The safety checker, to inspect.
    pub fn checker(&self) -> &SafetyChecker {
        &self.checker
    }

    /// The fault plan in force.
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// Replaces the fault plan (e.g. calm the network to check liveness).
    pub fn set_faults(&mut self, faults: FaultPlan) {
        self.faults = faults;
    }

    /// The run's RNG, for workloads that must replay with the seed.
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    fn fail(&self, reason: impl std::fmt::Display) -> SimFailure {
        SimFailure {
            seed: self.seed,
            tick: self.now,
            reason: reason.to_string(),
        }
    }

    /// Steps node `id` with `event`, checks every property, routes its
    /// messages and records its applies. A non-fatal protocol error (say,
    /// `NotLeader`) is returned as `Ok(Err(..))`. A node that is down
    /// ignores the event; a paused one keeps a message for its resume and
    /// ignores anything else. A storage failure of a disk whose crash or
    /// sync failure was armed stops the node (returned as `Ok(Err(..))`);
    /// any other fails the run.
    pub fn step(&mut self, id: NodeId, event: Event) -> SimResult<Result<(), Error>> {
        self.drive(id, Input::Event(event))
    }

    /// Like [`step`](Self::step) with `Event::Propose(command)`, in the
    /// form node `id` uses: through `RaftNode::propose_shared` under
    /// `RaftConfig::with_shared_commands`.
    pub fn step_propose(&mut self, id: NodeId, command: Vec<u8>) -> SimResult<Result<(), Error>> {
        let shared = self
            .machines
            .get(&id)
            .is_some_and(|m| m.config.shared_commands());
        if shared {
            self.drive(id, Input::Shared(command.into()))
        } else {
            self.drive(id, Input::Event(Event::Propose(command)))
        }
    }

    /// With deferred sync ([`RaftConfig::with_deferred_sync`]): makes node
    /// `id`'s writes durable and hands out what it held (`RaftNode::flush`),
    /// checked and routed like a step. The cluster flushes every such node
    /// at the end of each tick, so a crash between a step and the flush
    /// loses exactly the unsynced writes.
    pub fn flush(&mut self, id: NodeId) -> SimResult<Result<(), Error>> {
        self.drive(id, Input::Flush)
    }

    /// One step or one flush of node `id`.
    fn drive(&mut self, id: NodeId, input: Input) -> SimResult<Result<(), Error>> {
        if let Some(failure) = self.failed.take() {
            return Err(failure);
        }
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let Some(machine) = self.machines.get_mut(&id) else {
            return Ok(Ok(()));
        };
        let Some(node) = machine.node.as_mut() else {
            return Ok(Ok(()));
        };
        if let Some(pause) = machine.pause.as_mut() {
            // A paused machine takes no step: messages wait for it.
            if let Input::Event(Event::Message(message)) = input {
                pause.hold(message);
            }
            return Ok(Ok(()));
        }
        if self.trace && !matches!(input, Input::Event(Event::Tick)) {
            eprintln!("[{}] node {id} <- {input:?}", self.now);
        }
        let fed = match input {
            Input::Event(event) => node.step_into(event, &mut out),
            Input::Shared(command) => node.propose_shared(command, &mut out).map(drop),
            Input::Flush => node.flush_into(&mut out),
        };
        match fed {
            Ok(()) => {}
            Err(error @ Error::Storage { .. }) if node.log().crash_at_sync() => {
                // The armed crash: the machine died before its sync. Nothing
                // of this step leaves it.
                self.out = out;
                self.try_crash(id)?;
                return Ok(Err(error));
            }
            Err(error @ Error::Storage { .. }) if node.log().sync_failure() => {
                // The disk failed its sync: the node must stop.
                self.out = out;
                self.stop_failed_node(id, &error)?;
                return Ok(Err(error));
            }
            Err(error @ Error::Storage { .. }) => {
                return Err(self.fail(format_args!("node {id} storage failure: {error}")));
            }
            Err(error) => {
                self.out = out;
                return Ok(Err(error));
            }
        }
        let result = self.after_step(id, &mut out);
        self.out = out;
        if let Some((index, data)) = result? {
            self.answer_snapshot_hint(id, index, data)?;
        }
        Ok(Ok(()))
    }

    /// The state machine answers a snapshot hint at once: whole, or in
    /// `snapshot_pieces` pieces, one step each.
    fn answer_snapshot_hint(&mut self, id: NodeId, index: Index, data: Vec<u8>) -> SimResult<()> {
        if self.snapshot_pieces <= 1 {
            self.step(id, Event::Snapshot { index, data })?.ok();
            return Ok(());
        }
        let size = data.len().div_ceil(self.snapshot_pieces).max(1);
        let count = data.len().div_ceil(size).max(1);
        for n in 0..count {
            let piece = data.get(n * size..data.len().min((n + 1) * size));
            let event = Event::SnapshotPiece {
                index,
                offset: (n * size) as u64,
                data: piece.unwrap_or_default().to_vec(),
                done: n + 1 == count,
            };
            match self.step(id, event)? {
                Ok(()) => {}
                // Every piece continues the last one: a refusal is a bug.
                Err(Error::InvalidRequest { what }) => {
                    return Err(
                        self.fail(format_args!("node {id} refused a snapshot piece: {what}"))
                    );
                }
                // The node crashed or failed: the rest of this snapshot is lost.
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Makes every machine answer snapshot hints in `pieces`
    /// `Event::SnapshotPiece`s (`1`, the default: one whole
    /// `Event::Snapshot`).
    pub(crate) fn set_snapshot_pieces(&mut self, pieces: usize) {
        self.snapshot_pieces = pieces;
    }

    /// Checks the step, routes its messages and records its applies;
    /// returns a requested snapshot (index and data), if any.
    fn after_step(
        &mut self,
        id: NodeId,
        out: &mut Vec<Action>,
    ) -> SimResult<Option<(Index, Vec<u8>)>> {
        let Some(machine) = self.machines.get_mut(&id) else {
            return Ok(None);
        };
        let Some(node) = machine.node.as_ref() else {
            return Ok(None);
        };
        if let Err(violation) = self.checker.observe(node, out) {
            return Err(self.fail(violation));
        }
        if self.trace {
            for action in out.iter() {
                eprintln!("[{}] node {id} -> {action:?}", self.now);
            }
        }
        let mut snapshot = None;
        for action in out.drain(..) {
            // The replica records applies as owned bytes, either form.
            let action = match action {
                Action::ApplyShared {
                    index,
                    term,
                    command,
                } => Action::Apply {
                    index,
                    term,
                    command: command.to_vec(),
                },
                other => other,
            };
            match action {
                Action::Send { to, message } => {
                    self.network
                        .send(&mut self.rng, &self.faults, self.now, id, to, message);
                }
                Action::Apply { index, command, .. } => {
                    let outcome = match machine.replica.apply(index, command) {
                        Applied::Raw => Ok(()),
                        Applied::Duplicate => {
                            self.duplicates += 1;
                            Ok(())
                        }
                        Applied::Op { op, response } => {
                            let time = if self.ticking { self.now } else { self.now + 1 };
                            self.clients.applied(op, response, id, time)
                        }
                    };
                    outcome.map_err(|reason| SimFailure {
                        seed: self.seed,
                        tick: self.now,
                        reason,
                    })?;
                }
                Action::RestoreSnapshotFromLog { index, .. } => {
                    let mut data = Vec::new();
                    let restored = node
                        .snapshot_reader()
                        .read_to_end(&mut data)
                        .map_err(|error| format!("node {id} cannot read its snapshot: {error}"))
                        .and_then(|_| restore(&self.checker, id, index, &data));
                    let decoded = restored.map_err(|reason| SimFailure {
                        seed: self.seed,
                        tick: self.now,
                        reason,
                    })?;
                    machine.replica.restore(decoded.applied, decoded.machine);
                }
                Action::RestoreSnapshot { index, data, .. } => {
                    let decoded =
                        restore(&self.checker, id, index, &data).map_err(|reason| SimFailure {
                            seed: self.seed,
                            tick: self.now,
                            reason,
                        })?;
                    machine.replica.restore(decoded.applied, decoded.machine);
                }
                Action::Snapshot { index, .. } => {
                    // Taken where the hint stands among the actions: later
                    // applies of the same batch (deferred sync releases
                    // several steps at once) are not in it.
                    snapshot = Some((index, machine.replica.snapshot(index)));
                }
                Action::ReadReady { id: read, index } => {
                    if let Some(floor) = self.reads.remove(&read)
                        && index < floor
                    {
                        return Err(SimFailure {
                            seed: self.seed,
                            tick: self.now,
                            reason: Violation {
                                property: "linearizable read",
                                detail: format!(
                                    "read {read} served at index {index} by node {id}, but \
                                     index {floor} was applied before the read was issued"
                                ),
                            }
                            .to_string(),
                        });
                    }
                    let time = if self.ticking { self.now } else { self.now + 1 };
                    self.clients
                        .read_ready(read, time, machine.replica.machine().as_ref());
                }
                _ => {}
            }
        }
        Ok(snapshot)
    }

    /// One tick of simulated time: paused nodes due to resume resume, client
    /// operations are sent (or resent) to the leader, every running node
    /// ticks (under [`FaultPlan::clock_skew`], at its own rate), then every
    /// message due is delivered (each delivery is a checked step).
    pub fn tick(&mut self) -> SimResult {
        if let Some(failure) = self.failed.take() {
            return Err(failure);
        }
        self.now += 1;
        self.ticking = true;
        let result = self.tick_steps();
        self.ticking = false;
        result
    }

    /// The steps of one tick.
    fn tick_steps(&mut self) -> SimResult {
        self.resume_due()?;
        self.drive_clients()?;
        self.restore_membership()?;
        let skewed = self.faults.clock_skew;
        for id in self.ids() {
            let ticks = self
                .machines
                .get_mut(&id)
                .map_or(0, |machine| machine.clock.ticks(skewed));
            for _ in 0..ticks {
                self.step(id, Event::Tick)?.ok();
            }
        }
        while let Some(item) = self.network.next_due(self.now) {
            match item.message {
                Message::SnapshotChunk(_) => self.snapshot_chunks_delivered += 1,
                Message::AppendShared(_) => self.shared_appends_delivered += 1,
                _ => {}
            }
            self.step(item.to, Event::Message(item.message))?.ok();
        }
        // Group commit: a node with deferred sync makes the tick's writes
        // durable once, at its end.
        for id in self.ids() {
            if self
                .machines
                .get(&id)
                .is_some_and(|m| m.config.deferred_sync())
            {
                self.flush(id)?.ok();
            }
        }
        Ok(())
    }

    /// Snapshot chunks delivered so far (a snapshot streams in several).
    pub fn snapshot_chunks_delivered(&self) -> u64 {
        self.snapshot_chunks_delivered
    }

    /// `AppendShared` messages delivered so far (nodes sharing commands).
    pub fn shared_appends_delivered(&self) -> u64 {
        self.shared_appends_delivered
    }

    /// The time a client event happening now is recorded at in the history:
    /// during tick `t`, `t`; between ticks `t` and `t + 1`, `t + 1`. (A
    /// monotone map of the true order, so it never orders two operations
    /// that overlapped, and it orders an operation completed during tick `t`
    /// before one invoked after that tick.)
    pub(crate) fn client_time(&self) -> u64 {
        if self.ticking { self.now } else { self.now + 1 }
    }

    /// Runs `ticks` ticks.
    pub fn run_for(&mut self, ticks: u64) -> SimResult {
        for _ in 0..ticks {
            self.tick()?;
        }
        Ok(())
    }

    /// Ticks until `done` holds (checked before each tick), for at most
    /// `max_ticks`; failing if it never does.
    pub fn run_until(&mut self, max_ticks: u64, mut done: impl FnMut(&Self) -> bool) -> SimResult {
        for _ in 0..max_ticks {
            if done(self) {
                return Ok(());
            }
            self.tick()?;
        }
        if done(self) {
            Ok(())
        } else {
            Err(self.fail(format_args!(
                "liveness: condition not reached within {max_ticks} ticks; {}",
                self.describe()
            )))
        }
    }

    /// One line per node: role, term, leader, commit, applied, last index.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (id, machine) in &self.machines {
            let line = match &machine.node {
                Some(node) => format!(
                    "\n    node {id}: {:?} term {} leader {:?} commit {} applied {} last {} \
                     (last term {}) voters {:?} outgoing {:?} learners {:?}",
                    node.role(),
                    node.term(),
                    node.leader(),
                    node.commit_index(),
                    node.last_applied(),
                    node.log().last_index(),
                    node.log().last_term(),
                    node.membership().voters(),
                    node.membership().outgoing_voters(),
                    node.learners()
                ),
                None => format!("\n    node {id}: down"),
            };
            let line = if machine.pause.is_some() {
                line + " (paused)"
            } else {
                line
            };
            text.push_str(&line);
        }
        text
    }

    /// The term of the current leader, or the highest term of any node.
    pub fn term(&self) -> Term {
        self.running().map(RaftNode::term).max().unwrap_or(0)
    }
}
