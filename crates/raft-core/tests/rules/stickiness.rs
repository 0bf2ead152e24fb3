//! Leader stickiness (Raft thesis 4.2.3): a server that heard from a leader
//! within the minimum election timeout ignores would-be candidates.

use raft_core::{Event, HardState, RaftNode, Role};

use crate::common::*;

/// Node 2, following leader 1 in term 1 (just heard from it).
fn follower_of_1(config: raft_core::RaftConfig) -> RaftNode {
    let mut node = RaftNode::new(config);
    assert_eq!(
        node.step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 0)))
            .unwrap(),
        vec![send(1, ae_ok(1, 2, 1))]
    );
    node
}

// Thesis 4.2.3: "if a server receives a RequestVote request within the
// minimum election timeout of hearing from a current leader, it does not
// update its term or grant its vote" — no reply at all; a pre-vote is
// refused.
#[test]
fn follower_in_lease_ignores_higher_term_vote_request() {
    let mut node = follower_of_1(cfg(2, &[1, 2, 3]));
    assert_eq!(node.step(msg(rv(2, 3, (1, 1)))).unwrap(), vec![]);
    assert_eq!(node.term(), 1);
    assert_eq!(
        node.log().hard_state(),
        HardState {
            term: 1,
            voted_for: None
        }
    );
    // Still inside the lease one tick before the minimum timeout.
    for _ in 0..9 {
        assert_eq!(node.step(Event::Tick).unwrap(), vec![]);
    }
    assert_eq!(node.step(msg(rv(5, 3, (1, 1)))).unwrap(), vec![]);
    assert_eq!(
        node.step(msg(pv(2, 3, (1, 1)))).unwrap(),
        vec![send(3, pv_reply(1, 2, false))]
    );
    assert_eq!((node.term(), node.leader()), (1, Some(1)));
}

// Thesis 4.2.3: the lease lasts the minimum election timeout; after it, a
// vote request is considered normally.
#[test]
fn stickiness_ends_after_minimum_election_timeout() {
    let mut node = follower_of_1(cfg(2, &[1, 2, 3]).with_election_timeout(10, 1000));
    for _ in 0..10 {
        assert_eq!(node.step(Event::Tick).unwrap(), vec![]);
    }
    assert_eq!(
        node.step(msg(rv(2, 3, (1, 1)))).unwrap(),
        vec![send(3, rv_reply(2, 2, true))]
    );
    assert_eq!(node.term(), 2);
}

// Thesis 3.10 / 4.2.3: a leadership transfer's vote request (`force`)
// bypasses stickiness, and the target of `TimeoutNow` campaigns at once,
// skipping pre-vote, with `force` set.
#[test]
fn forced_vote_request_bypasses_stickiness() {
    let mut node = follower_of_1(cfg(2, &[1, 2, 3]));
    assert_eq!(
        node.step(msg(rv_forced(2, 3, (1, 1)))).unwrap(),
        vec![send(3, rv_reply(2, 2, true))]
    );
    assert_eq!(
        node.log().hard_state(),
        HardState {
            term: 2,
            voted_for: Some(3)
        }
    );

    let mut target = follower_of_1(cfg(2, &[1, 2, 3]));
    let actions = target
        .step(msg(raft_core::Message::TimeoutNow(raft_core::TimeoutNow {
            term: 1,
            leader: 1,
        })))
        .unwrap();
    assert_eq!(
        actions,
        vec![
            send(1, rv_forced(2, 2, (1, 1))),
            send(3, rv_forced(2, 2, (1, 1))),
        ]
    );
    assert_eq!((target.role(), target.term()), (Role::Candidate, 2));
}

// Thesis 4.2.3 applied to the leader itself: a leader (which hears from
// itself) ignores a higher-term vote request and keeps leading.
#[test]
fn leader_ignores_unforced_higher_term_vote_request() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    assert_eq!(leader.step(msg(rv(7, 3, (9, 1)))).unwrap(), vec![]);
    assert_eq!((leader.role(), leader.term()), (Role::Leader, 1));
}

// Thesis 4.2.3 with 6.2: stickiness is only safe alongside check-quorum.
// Without it, a leader that can send but not receive would keep every
// follower sticky forever and never be replaced, so followers grant votes
// normally.
#[test]
fn without_check_quorum_followers_are_not_sticky() {
    let mut node = follower_of_1(cfg(2, &[1, 2, 3]).with_check_quorum(false));
    assert_eq!(
        node.step(msg(rv(2, 3, (1, 1)))).unwrap(),
        vec![send(3, rv_reply(2, 2, true))]
    );
    assert_eq!(node.term(), 2);
}

// Thesis 6.4.1 with 4.2.3: with lease reads on, a node that starts (or
// restarts) may have acknowledged a leader's lease round just before, so
// for a minimum election timeout it refuses votes as if it had just heard
// from a leader; from then on it votes normally.
#[test]
fn with_lease_reads_a_starting_node_refuses_votes_for_a_minimum_election_timeout() {
    let mut node = RaftNode::new(cfg(2, &[1, 2, 3]).with_lease_reads(1000));
    assert_eq!(node.step(msg(rv(1, 3, (0, 0)))).unwrap(), vec![]);
    for _ in 0..9 {
        assert_eq!(node.step(Event::Tick).unwrap(), vec![]);
    }
    assert_eq!(node.step(msg(rv(1, 3, (0, 0)))).unwrap(), vec![]);
    assert_eq!(node.term(), 0);
    node.step(Event::Tick).unwrap();
    assert_eq!(
        node.step(msg(rv(2, 3, (0, 0)))).unwrap(),
        vec![send(3, rv_reply(2, 2, true))]
    );
    assert_eq!(node.term(), 2);
}
