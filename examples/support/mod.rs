//! A minimal hand-driven cluster for the examples: it shows everything a
//! driver does (tick every node, route every `Send`, hand every `Apply` to a
//! state machine), with a switch to cut nodes off.

#![allow(dead_code, reason = "each example uses a different part")]
#![allow(unreachable_pub, reason = "shared by the example binaries")]
#![allow(
    clippy::expect_used,
    reason = "an example aborts loudly on a broken expectation"
)]

use std::collections::{BTreeMap, BTreeSet};

use raft_io::{Action, Event, MemoryTransport, NodeId, RaftConfig, RaftNode, RaftTransport};

/// Nodes `1..=n`, an in-memory network, and each node's applied commands.
pub struct Cluster {
    pub nodes: BTreeMap<NodeId, RaftNode>,
    pub applied: BTreeMap<NodeId, Vec<Vec<u8>>>,
    network: MemoryTransport,
    /// Messages a node sent, waiting for the next delivery round.
    outbox: Vec<(NodeId, NodeId, raft_io::Message)>,
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
            outbox: Vec::new(),
            isolated: BTreeSet::new(),
        }
    }

    /// Steps one node and carries out its actions.
    pub fn step(&mut self, id: NodeId, event: Event) -> raft_io::Result<()> {
        let node = self.nodes.get_mut(&id).expect("known node");
        for action in node.step(event)? {
            match action {
                Action::Send { to, message } => {
                    self.network.send(to, message)?;
                    let (to, message) = self.network.take().pop().expect("just sent");
                    self.outbox.push((id, to, message));
                }
                Action::Apply { command, .. } => {
                    self.applied.get_mut(&id).expect("known node").push(command)
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// One tick everywhere, then deliver messages until the network is quiet.
    pub fn tick(&mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            self.step(id, Event::Tick)
                .expect("ticks never fail in memory");
        }
        while !self.outbox.is_empty() {
            for (from, to, message) in std::mem::take(&mut self.outbox) {
                if self.isolated.contains(&from) || self.isolated.contains(&to) {
                    continue; // the partition drops it
                }
                self.step(to, Event::Message(message))
                    .expect("in-memory steps never fail");
            }
        }
    }

    pub fn run_until(&mut self, max_ticks: u32, done: impl Fn(&Self) -> bool) -> bool {
        for _ in 0..max_ticks {
            if done(self) {
                return true;
            }
            self.tick();
        }
        done(self)
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
