//! The step shapes of `crates/raft-core/benches/step.rs`, written once and
//! instantiated for our `raft_core` and for the raft-io 1.0 crate (the same
//! API), so both run the very same workload code.
//!
//! Only `measured_step` is measured: callgrind collects inside it alone
//! (`--toggle-collect`), and the allocation counters are read around it, so
//! setup (building entries, the proposal before a committing reply) is
//! excluded exactly as the criterion benches exclude it.

/// One step shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    FollowerIdleTick,
    LeaderHeartbeatTick,
    VoteRequest,
    SingleNodePropose,
    CommitOnAppendReply,
    FollowerAppend1,
    FollowerAppend8,
    SingleNodeRead,
}

impl Shape {
    /// Every shape, in table order.
    pub(crate) const ALL: [Shape; 8] = [
        Shape::FollowerIdleTick,
        Shape::LeaderHeartbeatTick,
        Shape::VoteRequest,
        Shape::SingleNodePropose,
        Shape::CommitOnAppendReply,
        Shape::FollowerAppend1,
        Shape::FollowerAppend8,
        Shape::SingleNodeRead,
    ];

    /// The command-line name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Shape::FollowerIdleTick => "follower-idle-tick",
            Shape::LeaderHeartbeatTick => "leader-heartbeat-tick",
            Shape::VoteRequest => "vote-request",
            Shape::SingleNodePropose => "single-node-propose",
            Shape::CommitOnAppendReply => "commit-on-append-reply",
            Shape::FollowerAppend1 => "follower-append-1",
            Shape::FollowerAppend8 => "follower-append-8",
            Shape::SingleNodeRead => "single-node-read",
        }
    }

    /// What the table says.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Shape::FollowerIdleTick => "follower idle tick",
            Shape::LeaderHeartbeatTick => "leader heartbeat tick, 2 followers",
            Shape::VoteRequest => "vote request (grant, persist, reply)",
            Shape::SingleNodePropose => "single-node propose (append, sync, commit, apply)",
            Shape::CommitOnAppendReply => "commit on append reply (3 nodes)",
            Shape::FollowerAppend1 => "follower append of 1 entry",
            Shape::FollowerAppend8 => "follower append of 8 entries",
            Shape::SingleNodeRead => "single-node read",
        }
    }

    /// The shape called `name`.
    pub(crate) fn parse(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|shape| shape.name() == name)
    }
}

/// Instantiates the shapes for one crate with the raft-io 1.0 API.
macro_rules! step_shapes {
    ($module:ident, $krate:ident) => {
        pub(crate) mod $module {
            use std::hint::black_box;

            use crate::alloc_counter::{self, Counts};
            use crate::shapes::Shape;
            use $krate::{
                Action, AppendEntries, AppendEntriesReply, Event, LogEntry, MemoryLog, Message,
                RaftConfig, RaftLog, RaftNode, RequestVote,
            };

            const COMMAND: [u8; 64] = [7; 64];

            /// Nodes 1..=`count` on in-memory logs; see `elect_with`.
            pub(crate) fn elect(
                count: u64,
                election_timeout: u32,
                heartbeat_interval: u32,
            ) -> Vec<RaftNode> {
                let logs = (0..count).map(|_| MemoryLog::new()).collect();
                elect_with(logs, election_timeout, heartbeat_interval)
            }

            /// Nodes 1..=`logs.len()` on the defaults except timing; only
            /// node 1 is ticked, so it campaigns and wins (through whatever
            /// pre-vote the implementation does). Every message is routed
            /// until the cluster is quiet, so the leader's first entry is
            /// committed everywhere.
            pub(crate) fn elect_with<L: RaftLog>(
                logs: Vec<L>,
                election_timeout: u32,
                heartbeat_interval: u32,
            ) -> Vec<RaftNode<L>> {
                let count = logs.len() as u64;
                let mut nodes: Vec<RaftNode<L>> = (1..=count)
                    .zip(logs)
                    .map(|(id, log)| {
                        let peers = (1..=count).filter(move |&p| p != id);
                        let config = RaftConfig::new(id, peers)
                            .with_election_timeout(election_timeout, election_timeout)
                            .with_heartbeat_interval(heartbeat_interval);
                        RaftNode::with_log(config, log)
                    })
                    .collect();
                let mut ticks = 0;
                while !nodes[0].is_leader() {
                    ticks += 1;
                    assert!(ticks < 100 * election_timeout, "no leader elected");
                    let actions = nodes[0].step(Event::Tick).unwrap();
                    route(&mut nodes, actions);
                }
                nodes
            }

            /// Delivers every `Send` (and what it causes) until quiet.
            fn route<L: RaftLog>(nodes: &mut [RaftNode<L>], actions: Vec<Action>) {
                let mut queue: std::collections::VecDeque<(u64, Message)> = actions
                    .into_iter()
                    .filter_map(|action| match action {
                        Action::Send { to, message } => Some((to, message)),
                        _ => None,
                    })
                    .collect();
                while let Some((to, message)) = queue.pop_front() {
                    let Some(node) = usize::try_from(to - 1).ok().and_then(|i| nodes.get_mut(i))
                    else {
                        continue;
                    };
                    for action in node.step(Event::Message(message)).unwrap() {
                        if let Action::Send { to, message } = action {
                            queue.push_back((to, message));
                        }
                    }
                }
            }

            /// Node 1 of {1, 2, 3}, leader, its peers gone.
            fn three_node_leader(heartbeat_interval: u32) -> RaftNode {
                let mut nodes = elect(3, 1000, heartbeat_interval);
                nodes.swap_remove(0)
            }

            fn single_node_leader() -> RaftNode {
                let mut node = RaftNode::new(RaftConfig::single(1));
                while !node.is_leader() {
                    node.step(Event::Tick).unwrap();
                }
                node
            }

            fn follower() -> RaftNode {
                RaftNode::new(
                    RaftConfig::new(2, [1, 3]).with_election_timeout(1_000_000, 1_000_000),
                )
            }

            /// The one measured call: callgrind collects only in here.
            #[inline(never)]
            fn measured_step(node: &mut RaftNode, event: Event) -> usize {
                let actions = node.step(event).unwrap();
                black_box(&actions);
                actions.len()
            }

            /// `measured_step` with the allocations it made.
            fn counted_step(node: &mut RaftNode, event: Event, counts: &mut Counts) -> usize {
                let before = alloc_counter::now();
                let actions = measured_step(node, event);
                let during = alloc_counter::now().since(before);
                counts.allocations += during.allocations;
                counts.bytes += during.bytes;
                actions
            }

            /// Prepares the shape's node, steps it `warmup` times unmeasured
            /// and `iterations` times measured; returns the allocations of
            /// the measured steps.
            pub(crate) fn run(shape: Shape, warmup: u64, iterations: u64) -> Counts {
                let mut counts = Counts {
                    allocations: 0,
                    bytes: 0,
                    live: 0,
                };
                let mut driver = Driver::new(shape);
                for _ in 0..warmup {
                    let event = driver.next_event();
                    driver.node.step(event).unwrap();
                }
                for _ in 0..iterations {
                    let event = driver.next_event();
                    counted_step(&mut driver.node, event, &mut counts);
                }
                counts
            }

            /// A node in the shape's state and the events that drive it.
            struct Driver {
                shape: Shape,
                node: RaftNode,
                counter: u64,
            }

            impl Driver {
                fn new(shape: Shape) -> Self {
                    let node = match shape {
                        Shape::FollowerIdleTick
                        | Shape::VoteRequest
                        | Shape::FollowerAppend1
                        | Shape::FollowerAppend8 => follower(),
                        // Heartbeat interval 1: every tick sends to both followers.
                        Shape::LeaderHeartbeatTick => three_node_leader(1),
                        Shape::CommitOnAppendReply => three_node_leader(1000),
                        Shape::SingleNodePropose | Shape::SingleNodeRead => single_node_leader(),
                    };
                    Self {
                        shape,
                        node,
                        counter: 0,
                    }
                }

                /// The next measured event (any unmeasured setup done here).
                fn next_event(&mut self) -> Event {
                    self.counter += 1;
                    match self.shape {
                        Shape::FollowerIdleTick | Shape::LeaderHeartbeatTick => Event::Tick,
                        Shape::VoteRequest => Event::Message(Message::RequestVote(RequestVote {
                            term: self.counter,
                            candidate: 1,
                            last_log_index: 0,
                            last_log_term: 0,
                            force: true,
                        })),
                        Shape::SingleNodePropose => Event::Propose(COMMAND.to_vec()),
                        Shape::SingleNodeRead => Event::Read { id: self.counter },
                        Shape::CommitOnAppendReply => {
                            self.node.step(Event::Propose(COMMAND.to_vec())).unwrap();
                            Event::Message(Message::AppendEntriesReply(AppendEntriesReply {
                                term: self.node.term(),
                                success: true,
                                from: 2,
                                match_index: self.node.log().last_index(),
                                conflict_index: 0,
                                conflict_term: 0,
                            }))
                        }
                        Shape::FollowerAppend1 => self.append(1),
                        Shape::FollowerAppend8 => self.append(8),
                    }
                }

                fn append(&self, count: u64) -> Event {
                    let last = self.node.log().last_index();
                    let entries = (last + 1..=last + count)
                        .map(|index| LogEntry::new(1, index, COMMAND.to_vec()))
                        .collect();
                    Event::Message(Message::AppendEntries(AppendEntries {
                        term: 1,
                        leader: 1,
                        prev_log_index: last,
                        prev_log_term: if last == 0 { 0 } else { 1 },
                        entries,
                        leader_commit: last,
                    }))
                }
            }
        }
    };
}

step_shapes!(ours, raft_core);
step_shapes!(peer, raft_io_peer);
