//! Pre-vote (Raft thesis 9.6): a would-be candidate first asks whether it
//! could win, and nobody's term changes until it could.

use raft_core::{Action, Event, HardState, MemoryLog, Message, RaftNode, Role};

use crate::common::*;

// Thesis 9.6: the pre-candidate asks at term + 1 but keeps its own term; it
// bumps the term only once a majority granted the pre-vote.
#[test]
fn pre_candidate_does_not_bump_its_term() {
    let (mut node, log) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    let (_, actions) = tick_until_output(&mut node, 100);
    assert_eq!(
        actions,
        vec![send(2, pv(1, 1, (0, 0))), send(3, pv(1, 1, (0, 0)))]
    );
    assert_eq!((node.role(), node.term()), (Role::Candidate, 0));
    assert_eq!(node.log().hard_state(), HardState::default());
    assert_eq!(log.take(), vec![], "a pre-vote round writes nothing");

    // Refused by a majority: back to follower, still term 0.
    assert_eq!(node.step(msg(pv_reply(0, 2, false))).unwrap(), vec![]);
    assert_eq!(node.step(msg(pv_reply(0, 3, false))).unwrap(), vec![]);
    assert_eq!((node.role(), node.term()), (Role::Follower, 0));
    assert_eq!(log.take(), vec![]);

    // Next time it is granted: only now does the term move, durably.
    tick_until_output(&mut node, 100);
    let actions = node.step(msg(pv_reply(1, 3, true))).unwrap();
    assert_eq!(
        actions,
        vec![send(2, rv(1, 1, (0, 0))), send(3, rv(1, 1, (0, 0)))]
    );
    assert_eq!(node.term(), 1);
    assert_eq!(
        log.take(),
        vec![
            Call::SetHardState(HardState {
                term: 1,
                voted_for: Some(1)
            }),
            Call::Sync
        ]
    );
}

// Thesis 9.6: granting a pre-vote changes neither the voter's term nor its
// vote; it only says "I would vote for you".
#[test]
fn pre_vote_granted_without_changing_voters_term_or_vote() {
    let (mut voter, log) = recorded_node(cfg(2, &[1, 2, 3]), MemoryLog::new());
    assert_eq!(
        voter.step(msg(pv(1, 1, (0, 0)))).unwrap(),
        vec![send(1, pv_reply(1, 2, true))]
    );
    assert_eq!(voter.term(), 0);
    assert_eq!(voter.log().hard_state(), HardState::default());
    assert_eq!(log.take(), vec![]);
    // The real vote of term 1 is still free: another candidate may take it.
    assert_eq!(
        voter.step(msg(rv(1, 3, (0, 0)))).unwrap(),
        vec![send(3, rv_reply(1, 2, true))]
    );

    // A pre-vote is refused by the election restriction (Raft 5.4.1) too,
    // and the refusal carries the voter's own term.
    let mut voter = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1, 2], 2, None));
    assert_eq!(
        voter.step(msg(pv(3, 1, (5, 1)))).unwrap(),
        vec![send(1, pv_reply(2, 2, false))]
    );
    assert_eq!(voter.term(), 2);
}

// Thesis 9.6: a server that cannot win (partitioned, or with a stale log)
// never increments its term, so rejoining the cluster disrupts nobody.
#[test]
fn node_that_cannot_win_pre_vote_never_disrupts() {
    // Leader 1 and follower 2 at term 1 with the no-op committed.
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect(&mut leader);
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let actions = follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 0)))
        .unwrap();
    assert_eq!(actions, vec![send(1, ae_ok(1, 2, 1))]);
    leader.step(msg(ae_ok(1, 2, 1))).unwrap();
    assert_eq!(leader.commit_index(), 1);

    // Node 3 voted in term 1 but never got an entry, then was cut off. It
    // campaigns over and over without ever bumping its term.
    let mut isolated = RaftNode::with_log(cfg(3, &[1, 2, 3]), memory_log(&[], 1, None));
    let mut pre_votes = Vec::new();
    for _ in 0..200 {
        for action in isolated.step(Event::Tick).unwrap() {
            assert!(
                matches!(&action, Action::Send { message: Message::PreVote(m), .. } if m.term == 2),
                "unexpected {action:?}"
            );
            pre_votes.push(action);
        }
        assert_eq!(isolated.term(), 1);
    }
    assert!(pre_votes.len() >= 2 * 10, "it kept campaigning");
    assert_eq!(isolated.log().hard_state().term, 1);

    // It rejoins: both refuse (the leader leads; the follower hears from it
    // and has a longer log), and nobody's term moves.
    assert_eq!(
        leader.step(msg(pv(2, 3, (0, 0)))).unwrap(),
        vec![send(3, pv_reply(1, 1, false))]
    );
    assert_eq!(
        follower.step(msg(pv(2, 3, (0, 0)))).unwrap(),
        vec![send(3, pv_reply(1, 2, false))]
    );
    assert_eq!(isolated.step(msg(pv_reply(1, 1, false))).unwrap(), vec![]);
    assert_eq!(isolated.step(msg(pv_reply(1, 2, false))).unwrap(), vec![]);
    assert_eq!(isolated.role(), Role::Follower);
    for (node_term, role) in [
        (leader.term(), leader.role()),
        (follower.term(), follower.role()),
        (isolated.term(), isolated.role()),
    ] {
        assert_eq!(node_term, 1);
        assert_ne!(role, Role::Candidate);
    }
    assert!(leader.is_leader());
}

// Thesis 9.6: without pre-vote the same isolated node inflates its term at
// every timeout (the disruption pre-vote exists to prevent).
#[test]
fn without_pre_vote_an_isolated_node_inflates_its_term() {
    let mut isolated = RaftNode::with_log(
        cfg(3, &[1, 2, 3]).with_pre_vote(false),
        memory_log(&[], 1, None),
    );
    for _ in 0..200 {
        isolated.step(Event::Tick).unwrap();
    }
    assert!(isolated.term() > 200 / 20, "term {}", isolated.term());
}

// Raft 5.1 ("if a response contains term T > currentTerm: set currentTerm =
// T, convert to follower") holds for a refused pre-vote too (thesis 9.6):
// only a *granted* pre-vote reply carries a term nobody holds yet. A
// pre-candidate refused by a node of a later term joins that term.
#[test]
fn a_refused_pre_vote_with_a_higher_term_makes_the_pre_candidate_follow_it() {
    let (mut node, log) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    tick_until_output(&mut node, 100);
    assert_eq!((node.role(), node.term()), (Role::Candidate, 0));
    assert_eq!(node.step(msg(pv_reply(5, 2, false))).unwrap(), vec![]);
    assert_eq!((node.role(), node.term()), (Role::Follower, 5));
    assert_eq!(
        log.take(),
        vec![
            Call::SetHardState(HardState {
                term: 5,
                voted_for: None
            }),
            Call::Sync
        ]
    );
}

// Thesis 9.6, at the boundary: a pre-vote is granted only for a term above
// the voter's own (PROTOCOL.md, pre-vote). A pre-candidate proposing the
// term the voter already holds is one term behind: it is refused with the
// voter's term, which it then joins.
#[test]
fn a_pre_vote_for_the_voters_own_term_is_refused() {
    let mut voter = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1], 2, None));
    assert_eq!(
        voter.step(msg(pv(2, 1, (1, 1)))).unwrap(),
        vec![send(1, pv_reply(2, 2, false))]
    );
    // One term later, the same log is granted.
    assert_eq!(
        voter.step(msg(pv(3, 1, (1, 1)))).unwrap(),
        vec![send(1, pv_reply(3, 2, true))]
    );
    assert_eq!(voter.term(), 2);
}

// Thesis 9.6 with Raft 5.2: a pre-candidate that hears from a leader of its
// term is a follower again, and its pre-vote round is over: grants that
// arrive late are not counted, so they cannot start the election that would
// depose the leader it now follows.
#[test]
fn late_pre_vote_grants_are_ignored_once_the_node_follows_a_leader() {
    let mut node = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1], 1, None));
    let (_, actions) = tick_until_output(&mut node, 100);
    assert_eq!(
        actions,
        vec![send(2, pv(2, 1, (1, 1))), send(3, pv(2, 1, (1, 1)))]
    );
    node.step(msg(ae(1, 3, (1, 1), vec![], 1))).unwrap();
    assert_eq!((node.role(), node.leader()), (Role::Follower, Some(3)));
    assert_eq!(node.step(msg(pv_reply(2, 2, true))).unwrap(), vec![]);
    assert_eq!(
        (node.role(), node.term(), node.leader()),
        (Role::Follower, 1, Some(3))
    );
}

// Thesis 9.6: a granted pre-vote carries the term it was granted for, the
// pre-candidate's term + 1. A grant for another term answers an earlier
// round (one that started from an older term) and is not counted, so it
// cannot end the current round.
#[test]
fn a_grant_for_another_term_is_not_counted() {
    let mut node = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1], 1, None));
    let (_, actions) = tick_until_output(&mut node, 100);
    assert_eq!(
        actions,
        vec![send(2, pv(2, 1, (1, 1))), send(3, pv(2, 1, (1, 1)))]
    );
    // Node 2's grant of an earlier round, for term 1.
    assert_eq!(node.step(msg(pv_reply(1, 2, true))).unwrap(), vec![]);
    assert_eq!((node.role(), node.term()), (Role::Candidate, 1));
    // Its grant for this round, term 2, wins it.
    node.step(msg(pv_reply(2, 2, true))).unwrap();
    assert_eq!((node.role(), node.term()), (Role::Candidate, 2));
}
