//! A hand-driven network for multi-node rules: every `Send` is queued, and
//! the test decides which links deliver. Nodes can be crashed (their queue
//! dropped) and restarted over the log they had synced.

use std::collections::{BTreeMap, VecDeque};

use raft_core::{Action, Event, MemoryLog, Message, NodeId, RaftConfig, RaftNode, Role};

pub struct Net {
    pub nodes: BTreeMap<NodeId, RaftNode>,
    /// Messages in flight: (from, to, message).
    queue: VecDeque<(NodeId, NodeId, Message)>,
    /// Every action each node emitted, for assertions.
    pub actions: BTreeMap<NodeId, Vec<Action>>,
}

impl Net {
    /// Nodes `voters` (each configured with all of them), plus `joining`
    /// nodes that start with no configuration. Pre-vote and check-quorum
    /// are off unless a test turns them on, so a campaign is never held
    /// back: the worst case for safety.
    pub fn new(voters: &[NodeId], joining: &[NodeId]) -> Self {
        let tune = |config: RaftConfig| {
            config
                .with_pre_vote(false)
                .with_check_quorum(false)
                .with_election_timeout(10, 20)
                .with_heartbeat_interval(3)
        };
        let mut nodes = BTreeMap::new();
        for &id in voters {
            let config = tune(RaftConfig::new(id, voters.iter().copied()));
            nodes.insert(id, RaftNode::new(config));
        }
        for &id in joining {
            nodes.insert(id, RaftNode::new(tune(RaftConfig::joining(id))));
        }
        Self {
            nodes,
            queue: VecDeque::new(),
            actions: BTreeMap::new(),
        }
    }

    pub fn node(&self, id: NodeId) -> &RaftNode {
        &self.nodes[&id]
    }

    /// Steps `id` with `event`, queueing what it sends.
    pub fn step(&mut self, id: NodeId, event: Event) -> raft_core::Result<()> {
        let actions = self.nodes.get_mut(&id).unwrap().step(event)?;
        for action in &actions {
            if let Action::Send { to, message } = action {
                self.queue.push_back((id, *to, message.clone()));
            }
        }
        self.actions.entry(id).or_default().extend(actions);
        Ok(())
    }

    /// Delivers queued messages whose link `allow(from, to)` is up (others
    /// are lost) until nothing is in flight.
    pub fn deliver(&mut self, allow: impl Fn(NodeId, NodeId) -> bool) {
        self.deliver_until(allow, |_| false);
    }

    /// Like `deliver`, but stops as soon as `done(self)` holds, leaving the
    /// rest in flight.
    pub fn deliver_until(
        &mut self,
        allow: impl Fn(NodeId, NodeId) -> bool,
        done: impl Fn(&Self) -> bool,
    ) {
        for _ in 0..10_000 {
            if done(self) {
                return;
            }
            let Some((from, to, message)) = self.queue.pop_front() else {
                return;
            };
            if allow(from, to) && self.nodes.contains_key(&to) {
                self.step(to, Event::Message(message)).unwrap();
            }
        }
        panic!("messages kept flowing");
    }

    /// Delivers everything between live nodes.
    pub fn deliver_all(&mut self) {
        self.deliver(|_, _| true);
    }

    /// Ticks `id` until it is no longer a follower (its election timer
    /// fired; a leader is left as it is).
    pub fn time_out(&mut self, id: NodeId) {
        for _ in 0..100 {
            if self.node(id).role() != Role::Follower {
                return;
            }
            self.step(id, Event::Tick).unwrap();
        }
        panic!("node {id} never campaigned");
    }

    /// `id` times out and wins with votes from the nodes `allow` lets
    /// through; its no-op is left in flight.
    pub fn elect(&mut self, id: NodeId, allow: impl Fn(NodeId, NodeId) -> bool + Copy) {
        self.time_out(id);
        self.deliver_until(allow, |net| net.node(id).role() == Role::Leader);
        assert_eq!(
            self.node(id).role(),
            Role::Leader,
            "node {id} was not elected"
        );
    }

    /// Ticks every node in `ids` `n` times, delivering over `allow`.
    pub fn tick(&mut self, ids: &[NodeId], n: u32, allow: impl Fn(NodeId, NodeId) -> bool + Copy) {
        for _ in 0..n {
            for &id in ids {
                self.step(id, Event::Tick).unwrap();
            }
            self.deliver(allow);
        }
    }

    /// Crashes `id` (what it had not synced does not exist: every step
    /// syncs) and drops its traffic; `restart` brings it back.
    pub fn crash(&mut self, id: NodeId) -> (RaftConfig, MemoryLog) {
        let node = self.nodes.remove(&id).unwrap();
        self.queue.retain(|(from, to, _)| *from != id && *to != id);
        (node.config().clone(), node.into_log())
    }

    pub fn restart(&mut self, id: NodeId, (config, log): (RaftConfig, MemoryLog)) {
        self.nodes.insert(id, RaftNode::with_log(config, log));
    }

    /// Drops everything in flight.
    pub fn drop_queue(&mut self) {
        self.queue.clear();
    }

    /// Takes the actions `id` emitted so far.
    pub fn take_actions(&mut self, id: NodeId) -> Vec<Action> {
        self.actions.remove(&id).unwrap_or_default()
    }
}

/// Links between nodes of `group` only.
pub fn within(group: &'static [NodeId]) -> impl Fn(NodeId, NodeId) -> bool + Copy {
    move |from, to| group.contains(&from) && group.contains(&to)
}
