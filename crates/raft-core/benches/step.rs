//! Criterion benchmarks of `RaftNode::step` on the hot paths: idle ticks,
//! heartbeats, votes, proposals, commit, follower appends, reads.
//!
//! Run: `cargo xtask bench criterion` (or `cargo bench -p raft-core --bench step`).

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]
#![allow(clippy::unwrap_used, reason = "a benchmark aborts on a broken setup")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use raft_core::{
    Action, AppendEntries, AppendEntriesReply, Event, LogEntry, Message, RaftConfig, RaftNode,
    RequestVote, RequestVoteReply,
};

const COMMAND: [u8; 64] = [7; 64];

/// Node 1 of {1, 2, 3}, elected leader by hand (no pre-vote, long timers).
fn three_node_leader(heartbeat_interval: u32) -> RaftNode {
    let config = RaftConfig::new(1, [2, 3])
        .with_election_timeout(1000, 1000)
        .with_heartbeat_interval(heartbeat_interval)
        .with_pre_vote(false)
        .with_check_quorum(false);
    let mut node = RaftNode::new(config);
    while node.term() == 0 {
        node.step(Event::Tick).unwrap();
    }
    let vote = RequestVoteReply {
        term: 1,
        vote_granted: true,
        from: 2,
    };
    node.step(Event::Message(Message::RequestVoteReply(vote)))
        .unwrap();
    assert!(node.is_leader());
    node
}

fn single_node_leader() -> RaftNode {
    let mut node = RaftNode::new(RaftConfig::single(1));
    while !node.is_leader() {
        node.step(Event::Tick).unwrap();
    }
    node
}

fn follower() -> RaftNode {
    RaftNode::new(RaftConfig::new(2, [1, 3]).with_election_timeout(1_000_000, 1_000_000))
}

fn ticks(c: &mut Criterion) {
    let mut node = follower();
    let mut out = Vec::with_capacity(16);
    c.bench_function("follower idle tick (step_into)", |b| {
        b.iter(|| {
            node.step_into(black_box(Event::Tick), &mut out).unwrap();
            out.clear();
        })
    });

    // Heartbeat interval 1: every tick sends a heartbeat to both followers.
    let mut leader = three_node_leader(1);
    c.bench_function("leader heartbeat tick, 2 followers (step_into)", |b| {
        b.iter(|| {
            leader.step_into(black_box(Event::Tick), &mut out).unwrap();
            out.clear();
        })
    });
}

fn votes(c: &mut Criterion) {
    let mut node = follower();
    let mut term = 0;
    c.bench_function("vote request (grant, persist, reply)", |b| {
        b.iter(|| {
            term += 1;
            let request = RequestVote {
                term,
                candidate: 1,
                last_log_index: 0,
                last_log_term: 0,
                force: true,
            };
            black_box(
                node.step(Event::Message(Message::RequestVote(request)))
                    .unwrap(),
            )
        })
    });
}

fn proposals(c: &mut Criterion) {
    let mut node = single_node_leader();
    c.bench_function("single-node propose (append, sync, commit, apply)", |b| {
        b.iter(|| black_box(node.step(Event::Propose(COMMAND.to_vec())).unwrap()))
    });

    let mut node = single_node_leader();
    let mut id = 0;
    c.bench_function("single-node read", |b| {
        b.iter(|| {
            id += 1;
            black_box(node.step(Event::Read { id }).unwrap())
        })
    });

    // Timed: only the reply that commits (the proposal before it is setup).
    let mut leader = three_node_leader(1000);
    c.bench_function("commit on append reply (3 nodes)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                leader.step(Event::Propose(COMMAND.to_vec())).unwrap();
                let reply = AppendEntriesReply {
                    term: 1,
                    success: true,
                    from: 2,
                    match_index: leader.log_last_index(),
                    conflict_index: 0,
                    conflict_term: 0,
                };
                let started = Instant::now();
                let actions = leader
                    .step(Event::Message(Message::AppendEntriesReply(reply)))
                    .unwrap();
                total += started.elapsed();
                debug_assert!(actions.iter().any(|a| matches!(a, Action::Apply { .. })));
                black_box(actions);
            }
            total
        })
    });
}

fn follower_append(c: &mut Criterion) {
    let mut node = follower();
    let mut last = 0;
    c.bench_function("follower append of 8 entries", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let entries = (last + 1..=last + 8)
                    .map(|index| LogEntry::new(1, index, COMMAND.to_vec()))
                    .collect();
                let request = AppendEntries {
                    term: 1,
                    leader: 1,
                    prev_log_index: last,
                    prev_log_term: if last == 0 { 0 } else { 1 },
                    entries,
                    leader_commit: last,
                };
                last += 8;
                let started = Instant::now();
                let actions = node
                    .step(Event::Message(Message::AppendEntries(request)))
                    .unwrap();
                total += started.elapsed();
                black_box(actions);
            }
            total
        })
    });
}

trait LastIndex {
    fn log_last_index(&self) -> u64;
}

impl LastIndex for RaftNode {
    fn log_last_index(&self) -> u64 {
        raft_core::RaftLog::last_index(self.log())
    }
}

criterion_group!(benches, ticks, votes, proposals, follower_append);
criterion_main!(benches);
