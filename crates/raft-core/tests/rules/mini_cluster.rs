//! A hand-driven cluster of `RaftNode`s over `MemoryLog`s: a FIFO network
//! that can lose messages (seeded, so a run replays) and nodes that can be
//! stopped. Small enough to read in one sitting; the rule tests use it where
//! a rule only shows across nodes, and `tests/hostile.rs` uses it to reach
//! random cluster states before feeding one node hostile input.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use raft_core::{Action, Event, Message, NodeId, RaftConfig, RaftNode, Role, Term};

/// `n` nodes with ids `1..=n`.
pub struct MiniCluster {
    nodes: Vec<RaftNode>,
    /// Messages in flight: (to, message), delivered in order.
    queue: VecDeque<(NodeId, Message)>,
    /// Stopped nodes: they take no step, and messages to them are lost.
    down: BTreeSet<NodeId>,
    /// Messages are lost with this probability, in thousandths.
    drop_per_mille: u64,
    rng: u64,
    /// Every vote granted: (voter, term) -> candidate.
    votes: BTreeMap<(NodeId, Term), NodeId>,
    /// Grants to a second candidate in a term (Raft 5.2 forbids them).
    double_votes: Vec<String>,
}

impl MiniCluster {
    /// `n` nodes configured by `tune` (applied to the default config), on a
    /// perfect network.
    pub fn new(n: u64, tune: impl Fn(RaftConfig) -> RaftConfig) -> Self {
        let ids: Vec<NodeId> = (1..=n).collect();
        let nodes = ids
            .iter()
            .map(|&id| RaftNode::new(tune(RaftConfig::new(id, ids.iter().copied()))))
            .collect();
        Self {
            nodes,
            queue: VecDeque::new(),
            down: BTreeSet::new(),
            drop_per_mille: 0,
            rng: 0,
            votes: BTreeMap::new(),
            double_votes: Vec::new(),
        }
    }

    /// Loses each message with probability `per_mille / 1000`, drawn from a
    /// generator seeded with `seed`.
    pub fn set_loss(&mut self, per_mille: u64, seed: u64) {
        self.drop_per_mille = per_mille;
        self.rng = seed;
    }

    pub fn node(&self, id: NodeId) -> &RaftNode {
        &self.nodes[Self::slot(id)]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut RaftNode {
        &mut self.nodes[Self::slot(id)]
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(RaftNode::id).collect()
    }

    fn slot(id: NodeId) -> usize {
        usize::try_from(id - 1).unwrap()
    }

    /// Stops node `id`: it takes no step and its messages are lost.
    pub fn stop(&mut self, id: NodeId) {
        self.down.insert(id);
    }

    /// The leader of the highest term among running nodes, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .filter(|n| !self.down.contains(&n.id()) && n.role() == Role::Leader)
            .max_by_key(|n| n.term())
            .map(RaftNode::id)
    }

    /// Steps node `id` with `event`, queues what it sends and answers its
    /// snapshot hints at once. Returns the step's result (a stopped node
    /// ignores the event).
    pub fn step(&mut self, id: NodeId, event: Event) -> raft_core::Result<Vec<Action>> {
        if self.down.contains(&id) {
            return Ok(Vec::new());
        }
        let actions = self.node_mut(id).step(event)?;
        let mut hints = Vec::new();
        for action in &actions {
            match action {
                Action::Send { to, message } => {
                    self.record_vote(id, *to, message);
                    self.queue.push_back((*to, message.clone()));
                }
                Action::Snapshot { index, .. } => hints.push(*index),
                _ => {}
            }
        }
        for index in hints {
            let snapshot = Event::Snapshot {
                index,
                data: index.to_le_bytes().to_vec(),
            };
            // Answered at once, and not as part of the step's own actions.
            // A hint the node can no longer honour is no error of the
            // cluster; the next hint retries.
            let _ = self.node_mut(id).step(snapshot);
        }
        Ok(actions)
    }

    /// `RaftNode::propose_shared` on node `id`, its sends queued.
    pub fn propose_shared(&mut self, id: NodeId, command: raft_core::SharedCommand) {
        let mut out = Vec::new();
        self.node_mut(id).propose_shared(command, &mut out).unwrap();
        for action in out {
            if let Action::Send { to, message } = action {
                self.record_vote(id, to, &message);
                self.queue.push_back((to, message));
            }
        }
    }

    /// Delivers queued messages (and those they cause) until none is left
    /// or `limit` were handled.
    pub fn deliver_all(&mut self, limit: usize) {
        for _ in 0..limit {
            let Some((to, message)) = self.queue.pop_front() else {
                return;
            };
            if self.lose() || !self.ids().contains(&to) {
                continue;
            }
            self.step(to, Event::Message(message)).unwrap();
        }
    }

    /// One tick for every running node, then delivery.
    pub fn tick(&mut self) {
        for id in self.ids() {
            self.step(id, Event::Tick).unwrap();
        }
        self.deliver_all(10_000);
    }

    pub fn run(&mut self, ticks: u32) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    /// Ticks until a running node leads, at most `max_ticks` ticks.
    pub fn run_until_leader(&mut self, max_ticks: u32) -> Option<NodeId> {
        for _ in 0..max_ticks {
            if let Some(leader) = self.leader() {
                return Some(leader);
            }
            self.tick();
        }
        self.leader()
    }

    /// Every vote granted to a second candidate in the same term, described.
    pub fn double_votes(&self) -> &[String] {
        &self.double_votes
    }

    fn record_vote(&mut self, voter: NodeId, candidate: NodeId, message: &Message) {
        if let Message::RequestVoteReply(reply) = message
            && reply.vote_granted
        {
            let first = *self.votes.entry((voter, reply.term)).or_insert(candidate);
            if first != candidate {
                self.double_votes.push(format!(
                    "node {voter} voted for {first} and {candidate} in term {}",
                    reply.term
                ));
            }
        }
    }

    fn lose(&mut self) -> bool {
        if self.drop_per_mille == 0 {
            return false;
        }
        // SplitMix64: a seeded run replays exactly.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % 1000 < self.drop_per_mille
    }
}
