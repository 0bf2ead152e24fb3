//! Elections: timeouts, votes, the election restriction, term rules.

use std::collections::BTreeSet;

use raft_core::{Action, Event, HardState, MemoryLog, RaftNode, Role};

use crate::common::*;

// Raft §5.2: a follower that hears nothing for a randomised election timeout
// in [min, max] starts an election (here its pre-vote round, thesis 9.6).
#[test]
fn follower_times_out_within_bounds_and_campaigns() {
    for seed in 0..50 {
        let mut node = RaftNode::new(cfg(1, &[1, 2, 3]).with_seed(seed));
        let (ticks, actions) = tick_until_output(&mut node, 100);
        assert!((10..=20).contains(&ticks), "seed {seed}: {ticks} ticks");
        assert_eq!(
            actions,
            vec![send(2, pv(1, 1, (0, 0))), send(3, pv(1, 1, (0, 0))),],
            "seed {seed}"
        );
        assert_eq!(node.role(), Role::Candidate);
    }
}

// Raft §5.2: "election timeouts are chosen randomly" so split votes are rare;
// the randomness is seeded, so the same seed replays the same timeout.
#[test]
fn randomised_election_timeouts_differ_between_seeds() {
    let first_timeout = |seed| {
        let mut node = RaftNode::new(cfg(1, &[1, 2, 3]).with_seed(seed));
        tick_until_output(&mut node, 100).0
    };
    let timeouts: BTreeSet<u32> = (0..20).map(first_timeout).collect();
    assert!(timeouts.len() >= 3, "too little spread: {timeouts:?}");
    for seed in 0..5 {
        assert_eq!(first_timeout(seed), first_timeout(seed), "seed {seed}");
    }
}

// Raft §5.2: a candidate that receives votes from a majority becomes leader;
// §8: it appends a no-op entry of its own term and replicates it at once.
#[test]
fn candidate_with_majority_becomes_leader_and_appends_noop() {
    let mut node = RaftNode::new(cfg(1, &[1, 2, 3]).with_pre_vote(false));
    let (_, actions) = tick_until_output(&mut node, 100);
    assert_eq!(
        actions,
        vec![send(2, rv(1, 1, (0, 0))), send(3, rv(1, 1, (0, 0)))]
    );
    assert_eq!((node.role(), node.term()), (Role::Candidate, 1));

    // A refusal alone decides nothing.
    assert_eq!(node.step(msg(rv_reply(1, 2, false))).unwrap(), vec![]);
    assert_eq!(node.role(), Role::Candidate);

    let actions = node.step(msg(rv_reply(1, 3, true))).unwrap();
    assert_eq!(node.role(), Role::Leader);
    assert_eq!(node.leader(), Some(1));
    assert_eq!(node.log().entry(1), Some(noop(1, 1)));
    assert_eq!(
        actions,
        vec![
            send(2, ae(1, 1, (0, 0), vec![noop(1, 1)], 0)),
            send(3, ae(1, 1, (0, 0), vec![noop(1, 1)], 0)),
        ]
    );
}

// Raft §5.2: "each server will vote for at most one candidate in a given
// term, on a first-come-first-served basis".
#[test]
fn vote_granted_at_most_once_per_term() {
    let mut node = RaftNode::new(cfg(2, &[1, 2, 3]));
    assert_eq!(
        node.step(msg(rv(1, 1, (0, 0)))).unwrap(),
        vec![send(1, rv_reply(1, 2, true))]
    );
    assert_eq!(
        node.step(msg(rv(1, 3, (0, 0)))).unwrap(),
        vec![send(3, rv_reply(1, 2, false))],
        "a second candidate of the same term is refused"
    );
    // The same candidate asking again (a retransmission) is answered alike.
    assert_eq!(
        node.step(msg(rv(1, 1, (0, 0)))).unwrap(),
        vec![send(1, rv_reply(1, 2, true))]
    );
    assert_eq!(
        node.log().hard_state(),
        HardState {
            term: 1,
            voted_for: Some(1)
        }
    );
    // A new term brings a new vote.
    assert_eq!(
        node.step(msg(rv(2, 3, (0, 0)))).unwrap(),
        vec![send(3, rv_reply(2, 2, true))]
    );
}

// Raft Figure 2 ("Persistent state ... updated on stable storage before
// responding to RPCs"): the term and the vote are written, and synced, in
// the very step whose actions carry the reply.
#[test]
fn term_and_vote_persisted_in_the_step_that_replies() {
    let (mut voter, log) = recorded_node(cfg(2, &[1, 2, 3]), MemoryLog::new());
    let actions = voter.step(msg(rv(4, 1, (0, 0)))).unwrap();
    assert_eq!(actions, vec![send(1, rv_reply(4, 2, true))]);
    assert_eq!(
        voter.log().hard_state(),
        HardState {
            term: 4,
            voted_for: Some(1)
        }
    );
    assert_eq!(
        log.take(),
        vec![
            Call::SetHardState(HardState {
                term: 4,
                voted_for: None
            }),
            Call::SetHardState(HardState {
                term: 4,
                voted_for: Some(1)
            }),
            Call::Sync,
        ]
    );

    let (mut candidate, log) =
        recorded_node(cfg(1, &[1, 2, 3]).with_pre_vote(false), MemoryLog::new());
    let (_, actions) = tick_until_output(&mut candidate, 100);
    assert_eq!(actions.len(), 2);
    assert_eq!(
        log.take(),
        vec![
            Call::SetHardState(HardState {
                term: 1,
                voted_for: Some(1)
            }),
            Call::Sync,
        ]
    );
}

// Raft §5.4.1: a voter denies its vote if its own log is more up to date:
// a higher last term, or the same last term and a longer log.
#[test]
fn election_restriction_refuses_less_up_to_date_candidates() {
    // Our log: terms [1, 2], so last (index 2, term 2).
    let mut node = RaftNode::with_log(cfg(2, &[1, 2, 3, 4, 5]), memory_log(&[1, 2], 2, None));
    // Lower last term, even with a much longer log.
    assert_eq!(
        node.step(msg(rv(3, 1, (9, 1)))).unwrap(),
        vec![send(1, rv_reply(3, 2, false))]
    );
    // Same last term, shorter log.
    assert_eq!(
        node.step(msg(rv(3, 3, (1, 2)))).unwrap(),
        vec![send(3, rv_reply(3, 2, false))]
    );
    assert_eq!(node.log().hard_state().voted_for, None);
    // Same last term, same length: at least as up to date.
    assert_eq!(
        node.step(msg(rv(3, 4, (2, 2)))).unwrap(),
        vec![send(4, rv_reply(3, 2, true))]
    );

    // A higher last term wins even with a shorter log.
    let mut node = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1, 1, 1], 1, None));
    assert_eq!(
        node.step(msg(rv(2, 3, (1, 2)))).unwrap(),
        vec![send(3, rv_reply(2, 2, true))]
    );
}

// Raft §5.1: "If a server receives a request with a higher term, or its term
// is out of date, it immediately reverts to follower state."
#[test]
fn higher_term_makes_leader_and_candidate_step_down() {
    // A leader learns of term 2 from a reply.
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    assert_eq!(leader.term(), 1);
    assert_eq!(leader.step(msg(ae_reject(2, 2, 0, 0))).unwrap(), vec![]);
    assert_eq!((leader.role(), leader.term()), (Role::Follower, 2));
    assert_eq!(leader.leader(), None);
    assert_eq!(
        leader.log().hard_state(),
        HardState {
            term: 2,
            voted_for: None
        }
    );
    // A leader learns of term 3 from the new leader's append.
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    let actions = leader.step(msg(ae(3, 2, (1, 1), vec![], 1))).unwrap();
    assert_eq!(actions, vec![send(2, ae_ok(3, 1, 1))]);
    assert_eq!(
        (leader.role(), leader.term(), leader.leader()),
        (Role::Follower, 3, Some(2))
    );

    // A candidate learns of term 5 from a vote refusal.
    let mut candidate = RaftNode::new(cfg(1, &[1, 2, 3]).with_pre_vote(false));
    tick_until_output(&mut candidate, 100);
    assert_eq!(candidate.step(msg(rv_reply(5, 2, false))).unwrap(), vec![]);
    assert_eq!((candidate.role(), candidate.term()), (Role::Follower, 5));

    // Raft §5.2: a candidate that hears from a leader of its own term
    // recognises it and returns to follower.
    let mut candidate = RaftNode::new(cfg(1, &[1, 2, 3]).with_pre_vote(false));
    tick_until_output(&mut candidate, 100);
    let actions = candidate.step(msg(ae(1, 3, (0, 0), vec![], 0))).unwrap();
    assert_eq!(actions, vec![send(3, ae_ok(1, 1, 0))]);
    assert_eq!(
        (candidate.role(), candidate.term(), candidate.leader()),
        (Role::Follower, 1, Some(3))
    );
}

// Raft §5.1: "If a server receives a request with a stale term number, it
// rejects the request" — and the refusal carries its term so the sender
// learns it is stale. Stale replies are dropped silently.
#[test]
fn stale_term_requests_are_refused_with_our_term() {
    let mut node = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1, 3], 3, None));
    assert_eq!(
        node.step(msg(ae(2, 1, (1, 1), vec![entry(2, 2, b"x")], 2)))
            .unwrap(),
        vec![send(1, ae_reject(3, 2, 0, 0))]
    );
    assert_eq!(
        node.step(msg(rv(2, 1, (9, 2)))).unwrap(),
        vec![send(1, rv_reply(3, 2, false))]
    );
    assert_eq!(
        node.step(msg(pv(2, 1, (9, 2)))).unwrap(),
        vec![send(1, pv_reply(3, 2, false))]
    );
    assert_eq!(
        node.step(msg(probe(2, 1, 7))).unwrap(),
        vec![send(1, probe_reply(3, 2, 7))]
    );
    for stale_reply in [
        ae_ok(2, 1, 5),
        rv_reply(2, 1, true),
        pv_reply(2, 1, true),
        probe_reply(2, 1, 1),
    ] {
        assert_eq!(node.step(msg(stale_reply)).unwrap(), Vec::<Action>::new());
    }
    // Nothing changed.
    assert_eq!(terms(node.log()), vec![1, 3]);
    assert_eq!(
        node.log().hard_state(),
        HardState {
            term: 3,
            voted_for: None
        }
    );
    assert_eq!(
        (node.term(), node.leader(), node.commit_index()),
        (3, None, 0)
    );
}

// Raft 5.4.2 and Figure 8: entries of an earlier term commit only with an
// entry of the current term, one voter or many. A sole voter that inherits
// an uncommitted tail appends its no-op and commits the tail with it (the
// raft-io 1.0 `persistent_node` program ends at commit index 4 this way).
#[test]
fn sole_voter_inheriting_an_uncommitted_tail_commits_it_with_a_noop() {
    let log = memory_log(&[1, 1, 1], 1, Some(1));
    let mut node = RaftNode::with_log(raft_core::RaftConfig::single(1), log);
    assert_eq!(node.commit_index(), 0);
    elect(&mut node);
    assert_eq!(node.term(), 2);
    assert_eq!(node.log().entry(4), Some(noop(2, 4)));
    assert_eq!(node.commit_index(), 4, "the tail commits with the no-op");
}

// A sole voter over a fully committed (here: empty) log has nothing of an
// earlier term to commit, so it appends no no-op: the first proposal of a
// new single-node cluster lands at index 1, as the seed's quick start shows.
#[test]
fn sole_voter_over_a_committed_log_appends_no_noop() {
    let mut node = RaftNode::new(raft_core::RaftConfig::single(1));
    elect(&mut node);
    assert_eq!(node.log().last_index(), 0, "no no-op appended");
    node.step(Event::Propose(b"x".to_vec())).unwrap();
    assert_eq!((node.log().last_index(), node.commit_index()), (1, 1));
}

// Raft 5.2: a candidate wins with votes from a majority, so in a cluster of
// five, two refusals leave the round open (three may still grant); only a
// third refusal would lose it.
#[test]
fn two_refusals_of_five_leave_the_election_open() {
    let mut node = RaftNode::new(cfg(1, &[1, 2, 3, 4, 5]).with_pre_vote(false));
    tick_until_output(&mut node, 100);
    assert_eq!((node.role(), node.term()), (Role::Candidate, 1));
    assert_eq!(node.step(msg(rv_reply(1, 2, false))).unwrap(), vec![]);
    assert_eq!(node.step(msg(rv_reply(1, 3, false))).unwrap(), vec![]);
    assert_eq!(node.role(), Role::Candidate, "two refusals of five");
    assert_eq!(node.step(msg(rv_reply(1, 4, true))).unwrap(), vec![]);
    node.step(msg(rv_reply(1, 5, true))).unwrap();
    assert_eq!((node.role(), node.term()), (Role::Leader, 1));
}

// Operators read a node's state in logs: its `Debug` output names its id,
// role and term (the Raft state of Figure 2 that matters when debugging).
#[test]
fn a_nodes_debug_output_names_its_id_role_and_term() {
    let mut node = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect(&mut node);
    let shown = format!("{node:?}");
    for part in ["RaftNode", "id: 1", "role: Leader", "term: 1"] {
        assert!(shown.contains(part), "{part} missing from {shown}");
    }
}
