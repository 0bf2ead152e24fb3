//! Our in-memory cluster on the fast path: the same workload as
//! `cluster::ours` (one event per step, a window of 64-byte proposals),
//! driven through `step_into` with one reused output buffer, and with
//! `RaftConfig::with_shared_commands`, so each command is one allocation
//! (made by the driver) that the leader's log, its appends, the followers'
//! logs and every `ApplyShared` share.

use std::collections::VecDeque;
use std::time::Duration;

use raft_core::{Action, Event, Message, RaftConfig, RaftNode, SharedCommand};

use crate::cluster::{Harness, PAYLOAD, Sample, drive};

/// Same contract as `cluster::ours::run`.
pub(crate) fn run(count: u64, window: u64, commands: u64, budget: Duration) -> Sample {
    run_on(elect(count), window, commands, budget)
}

/// `run` on elected nodes; never inlined, so a profile can collect in it
/// alone (`--toggle-collect='*fast_cluster*run_on*'`).
#[inline(never)]
pub(crate) fn run_on(nodes: Vec<RaftNode>, window: u64, commands: u64, budget: Duration) -> Sample {
    let applied = vec![0; nodes.len()];
    let mut cluster = FastNodes {
        nodes,
        queue: VecDeque::with_capacity(1024),
        out: Vec::with_capacity(64),
        applied,
    };
    drive(&mut cluster, window, commands, budget)
}

/// Nodes 1..=`count` sharing commands, node 1 elected and its first entry
/// committed everywhere (timing as in `shapes::ours::elect`).
fn elect(count: u64) -> Vec<RaftNode> {
    let nodes: Vec<RaftNode> = (1..=count)
        .map(|id| {
            let peers = (1..=count).filter(move |&p| p != id);
            let config = RaftConfig::new(id, peers)
                .with_election_timeout(10, 10)
                .with_heartbeat_interval(3)
                .with_shared_commands(true);
            RaftNode::new(config)
        })
        .collect();
    let mut cluster = FastNodes {
        applied: vec![0; nodes.len()],
        nodes,
        queue: VecDeque::new(),
        out: Vec::new(),
    };
    for _ in 0..1000 {
        if cluster.nodes[0].is_leader() {
            break;
        }
        cluster.step(0, Event::Tick);
        while cluster.deliver_next() {}
    }
    assert!(cluster.nodes[0].is_leader(), "no leader elected");
    cluster.nodes
}

struct FastNodes {
    nodes: Vec<RaftNode>,
    queue: VecDeque<(u64, Message)>,
    /// Every step's output, reused.
    out: Vec<Action>,
    applied: Vec<u64>,
}

impl FastNodes {
    fn step(&mut self, index: usize, event: Event) {
        self.out.clear();
        self.nodes[index].step_into(event, &mut self.out).unwrap();
        self.route(index);
    }

    /// Carries out what node `index` just emitted into `out`.
    fn route(&mut self, index: usize) {
        for action in self.out.drain(..) {
            match action {
                Action::Send { to, message } => self.queue.push_back((to, message)),
                Action::ApplyShared { command, .. } => {
                    std::hint::black_box(command);
                    self.applied[index] += 1;
                }
                _ => {}
            }
        }
    }
}

impl Harness for FastNodes {
    fn leader_commit(&self) -> u64 {
        self.nodes[0].commit_index()
    }

    fn propose(&mut self) {
        let command = SharedCommand::from(&[0xab; PAYLOAD][..]);
        self.out.clear();
        self.nodes[0]
            .propose_shared(command, &mut self.out)
            .unwrap();
        self.route(0);
    }

    fn deliver_next(&mut self) -> bool {
        let Some((to, message)) = self.queue.pop_front() else {
            return false;
        };
        if let Some(index) = usize::try_from(to - 1)
            .ok()
            .filter(|&i| i < self.nodes.len())
        {
            self.step(index, Event::Message(message));
        }
        true
    }

    fn tick_leader(&mut self) {
        self.step(0, Event::Tick);
    }

    fn applied_everywhere(&self) -> u64 {
        self.applied.iter().copied().min().unwrap_or(0)
    }
}
