//! The shared-command fast path allocates one buffer per node per command:
//! a 3-node cluster driven through `step_into` with a reused output buffer
//! allocates, per committed command, the client's `SharedCommand` and one
//! entries `Vec` per follower's append, and nothing else (no command is
//! copied into a log, an append or an apply). The owned path, in the same
//! process, allocates several times as much. (One test per binary: the
//! counter is process-wide.)

#![allow(
    unsafe_code,
    reason = "a counting GlobalAlloc needs `unsafe impl`; test-only"
)]
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::collections::VecDeque;

use raft_core::{Action, Event, Message, RaftConfig, RaftNode, SharedCommand};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

struct Cluster {
    nodes: Vec<RaftNode>,
    queue: VecDeque<(u64, Message)>,
    out: Vec<Action>,
    applied: usize,
}

impl Cluster {
    fn new(shared: bool) -> Self {
        let nodes = (1..=3)
            .map(|id| {
                let config = RaftConfig::new(id, (1..=3).filter(|&p| p != id))
                    .with_election_timeout(10, 10)
                    .with_shared_commands(shared);
                RaftNode::new(config)
            })
            .collect();
        let mut cluster = Self {
            nodes,
            queue: VecDeque::with_capacity(256),
            out: Vec::with_capacity(64),
            applied: 0,
        };
        while !cluster.nodes[0].is_leader() {
            cluster.step(0, Event::Tick);
            cluster.deliver();
        }
        cluster
    }

    fn step(&mut self, slot: usize, event: Event) {
        self.out.clear();
        self.nodes[slot].step_into(event, &mut self.out).unwrap();
        self.route();
    }

    /// Carries out what a node just emitted into `out`.
    fn route(&mut self) {
        for action in self.out.drain(..) {
            match action {
                Action::Send { to, message } => self.queue.push_back((to, message)),
                Action::Apply { .. } | Action::ApplyShared { .. } => self.applied += 1,
                _ => {}
            }
        }
    }

    fn deliver(&mut self) {
        while let Some((to, message)) = self.queue.pop_front() {
            self.step(usize::try_from(to - 1).unwrap(), Event::Message(message));
        }
    }

    /// Proposes and commits `count` commands one at a time; the
    /// allocations per command.
    fn commit(&mut self, count: usize, shared: bool) -> f64 {
        let allocated = allocations_during(|| {
            for i in 0..count {
                let bytes = [i.to_le_bytes()[0]; 64];
                if shared {
                    self.out.clear();
                    let command = SharedCommand::from(&bytes[..]);
                    self.nodes[0]
                        .propose_shared(command, &mut self.out)
                        .unwrap();
                    self.route();
                } else {
                    self.step(0, Event::Propose(bytes.to_vec()));
                }
                self.deliver();
            }
        });
        allocated as f64 / count as f64
    }
}

#[test]
fn a_shared_cluster_allocates_one_buffer_per_node_per_command() {
    let mut shared = Cluster::new(true);
    // Warm up: the logs', queue's and buffers' capacities grow first.
    shared.commit(5_000, true);
    let applied = shared.applied;
    let per_command = shared.commit(5_000, true);
    // Each command committed on the leader and both followers applied the
    // one before it (their commit index arrives with the next append).
    assert!(shared.applied - applied >= 3 * 5_000 - 2);
    // 3 = the command + one entries `Vec` per follower's append; the logs'
    // `Vec`s double now and then (a handful over the run).
    assert!(per_command <= 3.01, "{per_command} allocations per command");

    let mut owned = Cluster::new(false);
    owned.commit(5_000, false);
    let owned_per_command = owned.commit(5_000, false);
    // The owned path copies each command into both appends and all three
    // applies: at least 5 more.
    assert!(
        owned_per_command >= per_command + 5.0,
        "owned {owned_per_command}, shared {per_command}"
    );
}
