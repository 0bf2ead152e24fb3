//! Group commit: committed proposals per second of a 3-node cluster of
//! `RaftNode<WalLog>`s (temp dirs on the same disk), driven by hand, with 1
//! proposal in flight against 64.
//!
//! Each round, every node handles all the messages sent to it in the
//! previous round (the leader also takes the new proposals that refill its
//! window) with **one** `step_many`, so one fsync per node per round however
//! many proposals and messages the round carries. At 1 in flight a commit
//! costs about three fsyncs (leader, then both followers, in sequence); at
//! 64 in flight the same three fsyncs commit up to 64 proposals.
//!
//! Run with `cargo bench -p raft-log-wal --bench cluster`; numbers measured
//! on the project machine are in `docs/BENCHMARKS.md`.

// Benchmarks unwrap like tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use raft_core::{Action, Event, NodeId, RaftConfig, RaftNode};
use raft_log_wal::WalLog;
use tempfile::TempDir;

const PAYLOAD: usize = 64;

/// Three nodes on their own `WalLog` directories, node 1 the leader.
struct Cluster {
    nodes: BTreeMap<NodeId, RaftNode<WalLog>>,
    inboxes: BTreeMap<NodeId, Vec<Event>>,
    leader: NodeId,
    _dir: TempDir,
}

impl Cluster {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ids = [1, 2, 3];
        let nodes = ids
            .iter()
            .map(|&id| {
                let log = WalLog::open(dir.path().join(format!("node-{id}"))).unwrap();
                let peers = ids.iter().copied().filter(|&p| p != id);
                let config = RaftConfig::new(id, peers).with_seed(id);
                (id, RaftNode::with_log(config, log))
            })
            .collect();
        let mut cluster = Self {
            nodes,
            inboxes: ids.iter().map(|&id| (id, Vec::new())).collect(),
            leader: 1,
            _dir: dir,
        };
        // Only node 1 is ticked, so it times out, campaigns and wins.
        while !cluster.nodes[&1].is_leader() {
            let actions = cluster
                .nodes
                .get_mut(&1)
                .unwrap()
                .step(Event::Tick)
                .unwrap();
            cluster.route(1, actions);
            cluster.round(Vec::new());
        }
        // Let the no-op commit everywhere before measuring.
        for _ in 0..4 {
            cluster.round(Vec::new());
        }
        cluster
    }

    fn route(&mut self, from: NodeId, actions: Vec<Action>) {
        for action in actions {
            if let Action::Send { to, message } = action {
                debug_assert_ne!(to, from);
                self.inboxes
                    .get_mut(&to)
                    .unwrap()
                    .push(Event::Message(message));
            }
        }
    }

    /// One round: each node in turn handles everything sent to it so far
    /// (the leader first, with `proposals` after its messages) in a single
    /// `step_many`, hence a single fsync.
    fn round(&mut self, mut proposals: Vec<Event>) {
        for id in [1, 2, 3] {
            let mut events = std::mem::take(self.inboxes.get_mut(&id).unwrap());
            if id == self.leader {
                events.append(&mut proposals);
            }
            if events.is_empty() {
                continue;
            }
            let actions = self.nodes.get_mut(&id).unwrap().step_many(events).unwrap();
            self.route(id, actions);
        }
    }

    fn commit_index(&self) -> u64 {
        self.nodes[&self.leader].commit_index()
    }

    /// Proposes and commits `total` commands keeping at most `window` in
    /// flight; returns how long it took.
    fn commit(&mut self, total: u64, window: u64) -> Duration {
        let start_commit = self.commit_index();
        let mut proposed = 0u64;
        let started = Instant::now();
        while self.commit_index() - start_commit < total {
            let in_flight = proposed - (self.commit_index() - start_commit);
            let room = window.saturating_sub(in_flight).min(total - proposed);
            let proposals = (0..room)
                .map(|_| Event::Propose(vec![0xab; PAYLOAD]))
                .collect();
            proposed += room;
            self.round(proposals);
        }
        started.elapsed()
    }
}

fn group_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("3-node cluster on WalLog, commits");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15));
    for (window, per_iter) in [(1u64, 16u64), (64, 64 * 16)] {
        group.throughput(Throughput::Elements(per_iter));
        let mut cluster = Cluster::new();
        group.bench_function(format!("{window} in flight"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| cluster.commit(per_iter, window)).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, group_commit);
criterion_main!(benches);
