//! The in-memory cluster on raft-rs (`raft` 0.7), through its public
//! `RawNode` API: one `step` per delivered message, each followed by the
//! documented ready loop (persist entries and hard state to `MemStorage`,
//! send, apply, advance). Same driver shape and same counting as
//! `cluster.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use raft::eraftpb::{ConfState, EntryType, Message};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole};

use crate::alloc_counter;
use crate::cluster::{PAYLOAD, Sample};

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

/// Same contract as `cluster::ours::run`. Never inlined, so a profile can
/// collect in it alone (`--toggle-collect='*raftrs*measured_run*'`).
pub(crate) fn run(count: u64, window: u64, commands: u64, budget: Duration) -> Sample {
    measured_run(count, window, commands, budget)
}

#[inline(never)]
fn measured_run(count: u64, window: u64, commands: u64, budget: Duration) -> Sample {
    let mut nodes: Vec<Node> = (1..=count).map(|id| new_node(id, count)).collect();
    let mut queue = VecDeque::new();
    nodes[0].raw.campaign().unwrap();
    drain_ready(&mut nodes[0], &mut queue);
    deliver_all(&mut nodes, &mut queue);
    assert_eq!(nodes[0].raw.raft.state, StateRole::Leader);
    let base = nodes[0].raw.raft.raft_log.committed;
    let mut proposed = 0u64;
    let mut steps = 0u64;
    let mut flush_ticks = 0;
    let before = alloc_counter::now();
    let started = Instant::now();
    loop {
        let committed = nodes[0].raw.raft.raft_log.committed - base;
        while proposed - committed.min(proposed) < window && proposed < commands {
            nodes[0].raw.propose(vec![], vec![0xab; PAYLOAD]).unwrap();
            drain_ready(&mut nodes[0], &mut queue);
            proposed += 1;
        }
        let Some(message) = queue.pop_front() else {
            // Quiet: the last commit index reaches the followers with the
            // next heartbeat, so tick the leader.
            if proposed == commands && flush_ticks < 20 {
                flush_ticks += 1;
                nodes[0].raw.tick();
                drain_ready(&mut nodes[0], &mut queue);
                continue;
            }
            break;
        };
        deliver(&mut nodes, &mut queue, message);
        steps += 1;
        if steps.is_multiple_of(64) && started.elapsed() > budget {
            break;
        }
    }
    let elapsed = started.elapsed();
    Sample {
        applied: nodes.iter().map(|node| node.applied).min().unwrap_or(0),
        elapsed,
        counts: alloc_counter::now().since(before),
    }
}
