//! The in-memory cluster on raft-rs (`raft` 0.7), through its public
//! `RawNode` API: one `step` per delivered message, each followed by the
//! documented ready loop (persist entries and hard state to `MemStorage`,
//! send, apply, advance). Same driver shape and same counting as
//! `cluster.rs`.

use std::collections::VecDeque;
use std::time::Duration;

use raft::eraftpb::{ConfState, EntryType, Message};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole};

use crate::cluster::{Harness, PAYLOAD, Sample, drive};

/// One raft-rs node and its storage.
struct Node {
    raw: RawNode<MemStorage>,
    applied: u64,
}

fn new_node(id: u64, count: u64) -> Node {
    let config = Config {
        id,
        election_tick: 10,
        heartbeat_tick: 3,
        max_inflight_msgs: 256,
        max_size_per_msg: 1024 * 1024,
        ..Default::default()
    };
    config.validate().unwrap();
    let voters: Vec<u64> = (1..=count).collect();
    let storage = MemStorage::new_with_conf_state(ConfState::from((voters, vec![])));
    let logger = slog::Logger::root(slog::Discard, slog::o!());
    Node {
        raw: RawNode::new(&config, storage, &logger).unwrap(),
        applied: 0,
    }
}

/// Runs the ready loop once if there is anything ready; queues what it sends.
fn drain_ready(node: &mut Node, queue: &mut VecDeque<Message>) {
    if !node.raw.has_ready() {
        return;
    }
    let mut ready = node.raw.ready();
    queue.extend(ready.take_messages());
    let store = node.raw.raft.raft_log.store.clone();
    if !ready.snapshot().is_empty() {
        store.wl().apply_snapshot(ready.snapshot().clone()).unwrap();
    }
    apply(&mut node.applied, ready.take_committed_entries());
    if !ready.entries().is_empty() {
        store.wl().append(ready.entries()).unwrap();
    }
    if let Some(hard_state) = ready.hs() {
        store.wl().set_hardstate(hard_state.clone());
    }
    queue.extend(ready.take_persisted_messages());
    let mut light = node.raw.advance(ready);
    if let Some(commit) = light.commit_index() {
        store.wl().mut_hard_state().commit = commit;
    }
    queue.extend(light.take_messages());
    apply(&mut node.applied, light.take_committed_entries());
    node.raw.advance_apply();
}

fn apply(applied: &mut u64, entries: Vec<raft::eraftpb::Entry>) {
    for entry in entries {
        if entry.get_entry_type() == EntryType::EntryNormal && !entry.data.is_empty() {
            std::hint::black_box(&entry.data);
            *applied += 1;
        }
    }
}

/// Delivers every queued message (and what it causes) until quiet.
fn deliver_all(nodes: &mut [Node], queue: &mut VecDeque<Message>) {
    while let Some(message) = queue.pop_front() {
        deliver(nodes, queue, message);
    }
}

fn deliver(nodes: &mut [Node], queue: &mut VecDeque<Message>, message: Message) {
    let Some(node) = usize::try_from(message.to)
        .ok()
        .and_then(|to| to.checked_sub(1))
        .and_then(|i| nodes.get_mut(i))
    else {
        return;
    };
    node.raw.step(message).unwrap();
    drain_ready(node, queue);
}

/// Same contract as `cluster::ours::run`.
pub(crate) fn run(count: u64, window: u64, commands: u64, budget: Duration) -> Sample {
    let mut cluster = RawCluster {
        nodes: (1..=count).map(|id| new_node(id, count)).collect(),
        queue: VecDeque::new(),
    };
    cluster.nodes[0].raw.campaign().unwrap();
    drain_ready(&mut cluster.nodes[0], &mut cluster.queue);
    deliver_all(&mut cluster.nodes, &mut cluster.queue);
    assert_eq!(cluster.nodes[0].raw.raft.state, StateRole::Leader);
    measured_run(&mut cluster, window, commands, budget)
}

/// Never inlined, so a profile can collect in it alone
/// (`--toggle-collect='*raftrs*measured_run*'`).
#[inline(never)]
fn measured_run(cluster: &mut RawCluster, window: u64, commands: u64, budget: Duration) -> Sample {
    drive(cluster, window, commands, budget)
}

/// The raft-rs nodes and the messages in flight.
struct RawCluster {
    nodes: Vec<Node>,
    queue: VecDeque<Message>,
}

impl Harness for RawCluster {
    fn leader_commit(&self) -> u64 {
        self.nodes[0].raw.raft.raft_log.committed
    }

    fn propose(&mut self) {
        self.nodes[0]
            .raw
            .propose(vec![], vec![0xab; PAYLOAD])
            .unwrap();
        drain_ready(&mut self.nodes[0], &mut self.queue);
    }

    fn deliver_next(&mut self) -> bool {
        let Some(message) = self.queue.pop_front() else {
            return false;
        };
        deliver(&mut self.nodes, &mut self.queue, message);
        true
    }

    fn tick_leader(&mut self) {
        self.nodes[0].raw.tick();
        drain_ready(&mut self.nodes[0], &mut self.queue);
    }

    fn applied_everywhere(&self) -> u64 {
        self.nodes
            .iter()
            .map(|node| node.applied)
            .min()
            .unwrap_or(0)
    }
}
