//! A minimal hand-driven cluster for the examples: it shows everything a
//! driver does (tick every node, route every `Send` through a transport,
//! hand every `Apply` to a state machine), with a switch to cut nodes off.

#![allow(dead_code, reason = "each example uses a different part")]
#![allow(unreachable_pub, reason = "shared by the example binaries")]

use std::collections::{BTreeMap, BTreeSet};

use raft_io::{Action, Error, Event, MemoryTransport, NodeId, RaftConfig, RaftNode, RaftTransport};

/// What an example's `main` returns.
pub type Outcome<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Nodes `1..=n`, an in-memory network, and each node's applied commands.
pub struct Cluster {
    pub nodes: BTreeMap<NodeId, RaftNode>,
    pub applied: BTreeMap<NodeId, Vec<Vec<u8>>>,
    network: MemoryTransport,
    /// Nodes cut off from everyone else.
    isolated: BTreeSet<NodeId>,
}

impl Cluster {
    pub fn new(n: u64) -> Self {
        let ids: Vec<NodeId> = (1..=n).collect();
        let nodes = ids
            .iter()
            .map(|&id| (id, RaftNode::new(RaftConfig::new(id, ids.iter().copied()))))
            .collect();
        let applied = ids.iter().map(|&id| (id, Vec::new())).collect();
        Self {
            nodes,
            applied,
            network: MemoryTransport::new(),
            isolated: BTreeSet::new(),
        }
    }

    /// Steps one node and carries out its actions, in order.
    pub fn step(&mut self, id: NodeId, event: Event) -> raft_io::Result<()> {
        let node = self.nodes.get_mut(&id).ok_or(Error::InvalidRequest {
            what: "no such node",
        })?;
        for action in node.step(event)? {
            match action {
                Action::Send { to, message } => self.network.send(to, message)?,
                Action::Apply { command, .. } => {
                    self.applied.entry(id).or_default().push(command);
                }
                _ => {}
            }
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
                if self.isolated.contains(&from) || self.isolated.contains(&to) {
                    continue; // the partition drops it
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

    pub fn isolate(&mut self, id: NodeId) {
        self.isolated.insert(id);
    }

    pub fn heal(&mut self) {
        self.isolated.clear();
    }
}
