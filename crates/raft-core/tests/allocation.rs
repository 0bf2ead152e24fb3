//! Hot paths that have nothing to do allocate nothing: an idle follower
//! tick and a quiet leader tick through `step_into` with a reused buffer.
//! (One test per binary: the counter is process-wide.)

#![allow(
    unsafe_code,
    reason = "a counting GlobalAlloc needs `unsafe impl`; test-only"
)]

use raft_core::{Event, Message, RaftConfig, RaftNode, RequestVoteReply};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

#[test]
fn idle_ticks_through_step_into_allocate_nothing() {
    // A follower whose election timeout is far away.
    let mut follower = RaftNode::new(RaftConfig::new(1, [2, 3]).with_election_timeout(1000, 1000));
    let mut out = Vec::with_capacity(64);
    let allocated = allocations_during(|| {
        for _ in 0..500 {
            follower.step_into(Event::Tick, &mut out).unwrap();
        }
    });
    assert!(out.is_empty());
    assert_eq!(allocated, 0, "an idle follower tick allocated");

    // A leader between heartbeats (and between check-quorum rounds).
    let config = RaftConfig::new(1, [2, 3])
        .with_election_timeout(1000, 1000)
        .with_heartbeat_interval(100)
        .with_pre_vote(false);
    let mut leader = RaftNode::new(config);
    while leader.term() == 0 {
        leader.step(Event::Tick).unwrap();
    }
    let vote = RequestVoteReply {
        term: 1,
        vote_granted: true,
        from: 2,
    };
    leader
        .step(Event::Message(Message::RequestVoteReply(vote)))
        .unwrap();
    assert!(leader.is_leader());
    out.clear();
    let allocated = allocations_during(|| {
        for _ in 0..50 {
            leader.step_into(Event::Tick, &mut out).unwrap();
        }
    });
    assert!(out.is_empty(), "no heartbeat due yet: {out:?}");
    assert_eq!(allocated, 0, "a quiet leader tick allocated");
}
