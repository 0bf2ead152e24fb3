//! A minimal hand-driven cluster for the examples: it shows everything a
//! driver does (tick every node, route every `Send` through a transport,
//! hand every `Apply` to a state machine, answer snapshot hints, restore
//! snapshots), with switches to cut nodes off and to start and stop nodes
//! while the cluster runs.

#![allow(dead_code, reason = "each example uses a different part")]
#![allow(unreachable_pub, reason = "shared by the example binaries")]

use std::collections::{BTreeMap, BTreeSet};

use raft_io::{
    Action, Error, Event, Index, MemoryTransport, NodeId, RaftConfig, RaftLog, RaftNode,
    RaftTransport,
};

/// How long the helpers wait for an outcome before they give up.
const MAX_WAIT_TICKS: u32 = 200;

/// What an example's `main` returns.
pub type Outcome<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// What a node's commands drive. The cluster hands it every `Apply`, asks it
/// for its state when the node hints a snapshot, and resets it on
/// `RestoreSnapshot`.
pub trait StateMachine: Default {
    /// Applies one committed command.
    fn apply(&mut self, command: &[u8]);
    /// The whole state, as bytes.
    fn snapshot(&self) -> Vec<u8>;
    /// Replaces the state with one `snapshot` produced. Bytes that do not
    /// decode leave an empty state (they came from our own `snapshot`).
    fn restore(&mut self, data: &[u8]);
}

/// The default state machine: the commands applied, in order.
impl StateMachine for Vec<Vec<u8>> {
    fn apply(&mut self, command: &[u8]) {
        self.push(command.to_vec());
    }

    /// Each command as a 4-byte little-endian length and its bytes.
    fn snapshot(&self) -> Vec<u8> {
        let mut data = Vec::new();
        for command in self {
            let len = u32::try_from(command.len()).unwrap_or(u32::MAX);
            data.extend_from_slice(&len.to_le_bytes());
            data.extend_from_slice(command);
        }
        data
    }

    fn restore(&mut self, mut data: &[u8]) {
        self.clear();
        while let Some((len, rest)) = data.split_first_chunk::<4>() {
            let len = u32::from_le_bytes(*len) as usize;
            let Some((command, rest)) = rest.split_at_checked(len) else {
                break;
            };
            self.push(command.to_vec());
            data = rest;
        }
    }
}

/// What the cluster saw a node do, for the examples to print and assert.
#[derive(Debug, Default)]
pub struct Seen {
    /// Every `Action::MembershipChanged { members }`, in order.
    pub membership_changes: Vec<Vec<NodeId>>,
    /// Snapshots taken on the node's own hint (the indices).
    pub snapshots_taken: Vec<Index>,
    /// Snapshots installed from the leader (the indices).
    pub snapshots_restored: Vec<Index>,
    /// `Action::ReadReady { id, index }`, in order.
    pub reads_ready: Vec<(u64, Index)>,
    /// Messages the node sent.
    pub messages_sent: usize,
}

/// Nodes `1..=n` (more can start later), an in-memory network, and each
/// node's state machine.
pub struct Cluster<M: StateMachine = Vec<Vec<u8>>> {
    pub nodes: BTreeMap<NodeId, RaftNode>,
    /// Each node's state machine (by default: the commands it applied).
    pub applied: BTreeMap<NodeId, M>,
    pub seen: BTreeMap<NodeId, Seen>,
    network: MemoryTransport,
    /// Nodes cut off from everyone else.
    isolated: BTreeSet<NodeId>,
}

impl Cluster {
    /// `n` nodes with default settings, recording the commands they apply.
    pub fn new(n: u64) -> Self {
        Self::build(n, |config| config)
    }
}

impl<M: StateMachine> Cluster<M> {
    /// `n` nodes whose configurations `tune` adjusts (say, to turn on
    /// snapshot hints).
    pub fn build(n: u64, tune: impl Fn(RaftConfig) -> RaftConfig) -> Self {
        let ids: Vec<NodeId> = (1..=n).collect();
        let mut cluster = Self {
            nodes: BTreeMap::new(),
            applied: BTreeMap::new(),
            seen: BTreeMap::new(),
            network: MemoryTransport::new(),
            isolated: BTreeSet::new(),
        };
        for &id in &ids {
            cluster.start(tune(RaftConfig::new(id, ids.iter().copied())));
        }
        cluster
    }

    /// Starts a node with `config` (for one that joins a running cluster:
    /// `RaftConfig::joining(id)`), with an empty log and state machine.
    pub fn start(&mut self, config: RaftConfig) {
        let id = config.id();
        self.nodes.insert(id, RaftNode::new(config));
        self.applied.insert(id, M::default());
        self.seen.insert(id, Seen::default());
    }

    /// Stops a node for good (say, once it was removed): it gets no more
    /// ticks, and messages to it are lost.
    pub fn stop(&mut self, id: NodeId) {
        self.nodes.remove(&id);
        self.applied.remove(&id);
    }

    /// Steps one node and carries out its actions, in order.
    pub fn step(&mut self, id: NodeId, event: Event) -> raft_io::Result<()> {
        let node = self.nodes.get_mut(&id).ok_or(Error::InvalidRequest {
            what: "no such node",
        })?;
        let actions = node.step(event)?;
        let seen = self.seen.entry(id).or_default();
        let machine = self.applied.entry(id).or_default();
        let mut snapshot_hint = None;
        for action in actions {
            match action {
                Action::Send { to, message } => {
                    seen.messages_sent += 1;
                    self.network.send(to, message)?;
                }
                Action::Apply { command, .. } => machine.apply(&command),
                Action::Snapshot { index, .. } => snapshot_hint = Some(index),
                Action::RestoreSnapshot { index, data, .. } => {
                    machine.restore(&data);
                    seen.snapshots_restored.push(index);
                }
                Action::MembershipChanged { members } => seen.membership_changes.push(members),
                Action::ReadReady { id, index } => seen.reads_ready.push((id, index)),
                _ => {}
            }
        }
        // Answer the hint: the state machine is applied through `index`
        // (every `Apply` before the hint was handled above).
        if let Some(index) = snapshot_hint {
            let data = machine.snapshot();
            seen.snapshots_taken.push(index);
            self.step(id, Event::Snapshot { index, data })?;
        }
        Ok(())
    }

    /// One tick everywhere, then deliver messages until the network is quiet.
    pub fn tick(&mut self) -> raft_io::Result<()> {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            self.step(id, Event::Tick)?;
        }
        while self.network.pending() > 0 {
            for (to, message) in self.network.take() {
                let from = message.from();
                let cut_off = self.isolated.contains(&from) || self.isolated.contains(&to);
                if cut_off || !self.nodes.contains_key(&to) {
                    continue; // the partition drops it, or nobody is there
                }
                self.step(to, Event::Message(message))?;
            }
        }
        Ok(())
    }

    /// Ticks until `done` holds, for at most `max_ticks`; returns whether it
    /// did.
    pub fn run_until(
        &mut self,
        max_ticks: u32,
        done: impl Fn(&Self) -> bool,
    ) -> raft_io::Result<bool> {
        for _ in 0..max_ticks {
            if done(self) {
                return Ok(true);
            }
            self.tick()?;
        }
        Ok(done(self))
    }

    /// Runs until some connected node leads, and returns it.
    pub fn elect(&mut self) -> Outcome<NodeId> {
        self.run_until(200, |c| c.leader().is_some())?;
        Ok(self.leader().ok_or("no leader elected within 200 ticks")?)
    }

    /// The leader with the highest term among the connected nodes.
    pub fn leader(&self) -> Option<NodeId> {
        self.nodes
            .values()
            .filter(|n| n.is_leader() && !self.isolated.contains(&n.id()))
            .max_by_key(|n| n.term())
            .map(|n| n.id())
    }

    /// Asks the leader for a membership change and waits until it commits
    /// (see [`request`](Self::request) and
    /// [`wait_config_committed`](Self::wait_config_committed)).
    pub fn change_membership(&mut self, event: Event) -> Outcome {
        self.request(event.clone())?;
        self.wait_config_committed()
            .map_err(|e| format!("{event:?}: {e}").into())
    }

    /// Hands `event` to the leader, retrying while it answers
    /// `ConfigInProgress` (a change still uncommitted, or a new leader that
    /// has not yet committed an entry of its term) or while there is no
    /// leader. Returns the leader that accepted it; any other refusal is
    /// returned as the error.
    pub fn request(&mut self, event: Event) -> Outcome<NodeId> {
        for _ in 0..MAX_WAIT_TICKS {
            let leader = self.elect()?;
            match self.step(leader, event.clone()) {
                Ok(()) => return Ok(leader),
                Err(Error::ConfigInProgress | Error::NotLeader { .. }) => self.tick()?,
                Err(error) => return Err(error.into()),
            }
        }
        Err(format!("{event:?} still refused after {MAX_WAIT_TICKS} ticks").into())
    }

    /// Ticks until the leader of the moment has committed its
    /// configuration (and left a joint one).
    pub fn wait_config_committed(&mut self) -> Outcome {
        let committed = self.run_until(MAX_WAIT_TICKS, |c| {
            c.leader()
                .is_some_and(|leader| !c.nodes[&leader].is_config_pending())
        })?;
        if !committed {
            return Err(
                format!("configuration not committed within {MAX_WAIT_TICKS} ticks").into(),
            );
        }
        Ok(())
    }

    /// Proposes `command` at the leader and waits until the leader applied
    /// it (it committed).
    pub fn write(&mut self, command: &[u8]) -> Outcome {
        let leader = self.elect()?;
        let target = self.nodes[&leader].log().last_index() + 1;
        self.step(leader, Event::Propose(command.to_vec()))?;
        let applied = self.run_until(MAX_WAIT_TICKS, |c| {
            c.nodes
                .get(&leader)
                .is_some_and(|n| n.last_applied() >= target)
        })?;
        if !applied {
            return Err(format!("node {leader} did not commit index {target}").into());
        }
        Ok(())
    }

    /// Whether the running nodes agree: one commit index, everything
    /// committed applied, and equal state machines.
    pub fn converged(&self) -> bool
    where
        M: PartialEq,
    {
        let mut machines = self.applied.values();
        let first = machines.next();
        let same = machines.all(|m| Some(m) == first);
        let applied_all = self
            .nodes
            .values()
            .all(|n| n.last_applied() == n.commit_index());
        let commits: BTreeSet<Index> = self.nodes.values().map(|n| n.commit_index()).collect();
        same && applied_all && commits.len() == 1
    }

    /// Each running node's voters, as `members()` reports them.
    pub fn member_lists(&self) -> BTreeMap<NodeId, Vec<NodeId>> {
        self.nodes
            .iter()
            .map(|(&id, node)| (id, node.members().to_vec()))
            .collect()
    }

    pub fn isolate(&mut self, id: NodeId) {
        self.isolated.insert(id);
    }

    pub fn heal(&mut self) {
        self.isolated.clear();
    }
}
