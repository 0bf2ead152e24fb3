//! Check-quorum (Raft thesis 6.2): a leader that cannot hear from a
//! majority steps down.

use raft_core::{Event, RaftNode, Role};

use crate::common::*;

// Thesis 6.2: "a leader steps down if an election timeout elapses without a
// successful round of heartbeats to a majority of its cluster". Counting
// from the last reply, that is at most two (minimum) election timeouts.
#[test]
fn leader_cut_off_from_majority_steps_down_within_two_election_timeouts() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader); // both followers just replied
    let mut ticks = 0;
    while leader.is_leader() {
        ticks += 1;
        assert!(ticks <= 2 * 10, "still leader after {ticks} ticks");
        let actions = leader.step(Event::Tick).unwrap();
        if !leader.is_leader() {
            assert_eq!(actions, vec![], "stepping down sends nothing");
        }
    }
    assert!(
        ticks > 10,
        "it had heard from a majority in the first window"
    );
    assert_eq!(
        (leader.role(), leader.term(), leader.leader()),
        (Role::Follower, 1, None)
    );
    // A deposed leader refuses proposals.
    assert!(leader.step(Event::Propose(b"x".to_vec())).is_err());
}

// Thesis 6.2: hearing from one follower is a majority of three: it stays.
#[test]
fn leader_hearing_from_a_majority_stays_leader() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    for _ in 0..100 {
        leader.step(Event::Tick).unwrap();
        leader.step(msg(ae_ok(1, 2, 1))).unwrap();
    }
    assert!(leader.is_leader());
}

// With check-quorum off, nothing makes an isolated leader step down.
#[test]
fn without_check_quorum_isolated_leader_stays() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_check_quorum(false));
    elect(&mut leader);
    for _ in 0..200 {
        leader.step(Event::Tick).unwrap();
    }
    assert!(leader.is_leader());
}
