//! Bad input from the network: unknown senders, malformed appends,
//! impossible replies, term 0. Never a panic; each has a defined outcome.

use raft_core::{Action, Event, RaftNode, Role};

use crate::common::*;

// Replies from nodes outside the configuration are ignored: they count
// toward no quorum (votes, commits, reads) and move no progress.
#[test]
fn replies_from_unknown_nodes_change_nothing() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::Propose(b"a".to_vec())).unwrap();
    let before = leader.status();
    assert_eq!(leader.step(msg(ae_ok(1, 99, 2))).unwrap(), vec![]);
    assert_eq!(leader.step(msg(ae_reject(1, 99, 1, 0))).unwrap(), vec![]);
    leader.step(Event::Read { id: 1 }).unwrap();
    assert_eq!(leader.step(msg(probe_reply(1, 99, 1))).unwrap(), vec![]);
    assert_eq!(leader.status().peers, before.peers);
    assert_eq!(leader.commit_index(), 1);

    // A candidate counts no vote from a stranger.
    let mut candidate = RaftNode::new(cfg(1, &[1, 2, 3]).with_pre_vote(false));
    tick_until_output(&mut candidate, 100);
    assert_eq!(candidate.step(msg(rv_reply(1, 99, true))).unwrap(), vec![]);
    assert_eq!(candidate.role(), Role::Candidate);
    // Nor a pre-candidate.
    let mut pre = RaftNode::new(cfg(1, &[1, 2, 3]));
    tick_until_output(&mut pre, 100);
    assert_eq!(pre.step(msg(pv_reply(1, 99, true))).unwrap(), vec![]);
    assert_eq!((pre.role(), pre.term()), (Role::Candidate, 0));
}

// Thesis 4.1: servers process requests without consulting their current
// configuration, so a vote request from a server we do not know (it may be
// in a configuration we have not seen yet) is judged like any other.
#[test]
fn vote_request_from_unknown_node_is_judged_normally() {
    let mut node = RaftNode::new(cfg(2, &[1, 2, 3]));
    assert_eq!(
        node.step(msg(rv(1, 99, (0, 0)))).unwrap(),
        vec![send(99, rv_reply(1, 2, true))]
    );
}

// Messages that claim to come from the node itself are dropped.
#[test]
fn messages_from_self_are_ignored() {
    let mut node = RaftNode::new(cfg(2, &[1, 2, 3]));
    assert_eq!(node.step(msg(ae(5, 2, (0, 0), vec![], 0))).unwrap(), vec![]);
    assert_eq!(node.step(msg(rv(5, 2, (0, 0)))).unwrap(), vec![]);
    assert_eq!(node.term(), 0);
}

// AppendEntries must carry contiguous entries from `prev_log_index + 1`
// whose terms never decrease and never exceed the message's term. Anything
// else is corrupt: ignored, with no reply and no write.
#[test]
fn malformed_append_entries_is_ignored() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 0)))
        .unwrap();
    let malformed = [
        // A gap inside the batch.
        ae(1, 1, (1, 1), vec![entry(1, 2, b"a"), entry(1, 4, b"b")], 0),
        // Not starting right after prev.
        ae(1, 1, (1, 1), vec![entry(1, 3, b"a")], 0),
        // An entry of a term newer than the leader's.
        ae(1, 1, (1, 1), vec![entry(2, 2, b"a")], 2),
        // Terms going backwards.
        ae(1, 1, (1, 1), vec![entry(1, 2, b"a"), entry(0, 3, b"b")], 0),
        // Index arithmetic overflow.
        ae(1, 1, (u64::MAX, 1), vec![entry(1, 0, b"a")], 0),
    ];
    for m in malformed {
        assert_eq!(follower.step(msg(m.clone())).unwrap(), vec![], "{m:?}");
        assert_eq!(terms(follower.log()), vec![1], "{m:?}");
        assert_eq!(follower.commit_index(), 0);
    }
    // Absurd but well-formed values get ordinary answers.
    assert_eq!(
        follower
            .step(msg(ae(1, 1, (u64::MAX, 1), vec![], u64::MAX)))
            .unwrap(),
        vec![send(1, ae_reject(1, 2, 2, 0))]
    );
    assert_eq!(
        follower
            .step(msg(ae(1, 1, (1, 1), vec![], u64::MAX)))
            .unwrap(),
        vec![send(1, ae_ok(1, 2, 1))]
    );
    assert_eq!(follower.commit_index(), 1);
}

// A success reply claiming entries the leader never had is ignored.
#[test]
fn reply_claiming_match_beyond_leaders_log_is_ignored() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    let before = leader.status().peers;
    assert_eq!(leader.step(msg(ae_ok(1, 2, 50))).unwrap(), vec![]);
    assert_eq!(leader.step(msg(ae_ok(1, 3, u64::MAX))).unwrap(), vec![]);
    let after = leader.status().peers;
    assert_eq!(
        after.iter().map(|p| p.match_index).collect::<Vec<_>>(),
        before.iter().map(|p| p.match_index).collect::<Vec<_>>()
    );
    assert_eq!(leader.commit_index(), 1);
    // A rejection pointing past the log is clamped: the next probe starts
    // no later than the leader's last index + 1.
    leader.step(msg(ae_reject(1, 2, 1000, 0))).unwrap();
    assert!(leader.status().peers[0].next_index <= leader.log().last_index() + 1);
}

// Raft §5.1: term 0 precedes the first election; no message of a node in
// term >= 1 carries it, so to such a node it is simply stale.
#[test]
fn term_zero_message_is_stale_once_a_term_started() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    follower.step(msg(ae(1, 1, (0, 0), vec![], 0))).unwrap();
    assert_eq!(
        follower
            .step(msg(ae(0, 3, (0, 0), vec![entry(0, 1, b"x")], 1)))
            .unwrap(),
        vec![send(3, ae_reject(1, 2, 0, 0))]
    );
    assert_eq!(follower.log().last_index(), 0);
    assert_eq!(
        follower.step(msg(rv(0, 3, (0, 0)))).unwrap(),
        vec![send(3, rv_reply(1, 2, false))]
    );
}

// Raft §5.1/§5.2: there is no leader in term 0 (the first election makes
// term 1), so an AppendEntries of term 0 can only be corrupt or forged. It
// must be ignored: no leader recognised, nothing appended, and above all
// nothing committed or applied.
#[test]
fn term_zero_append_entries_is_ignored_by_a_fresh_node() {
    let mut fresh = RaftNode::new(cfg(2, &[1, 2, 3]));
    let actions = fresh
        .step(msg(ae(0, 3, (0, 0), vec![entry(0, 1, b"forged")], 1)))
        .unwrap();
    assert!(
        !actions.iter().any(|a| matches!(a, Action::Apply { .. })),
        "{actions:?}"
    );
    assert_eq!(fresh.log().last_index(), 0);
    assert_eq!(fresh.commit_index(), 0);
    assert_eq!(fresh.leader(), None);
}

// Raft 5.2: only a live leader resets a follower's election timer; a
// malformed AppendEntries is no evidence of one, so the follower still
// campaigns on schedule.
#[test]
fn malformed_append_entries_does_not_reset_the_election_timer() {
    let mut node = RaftNode::new(cfg(2, &[1, 2, 3]));
    let (ticks, _) = tick_until_output(&mut node, 100);
    let mut node = RaftNode::new(cfg(2, &[1, 2, 3]));
    for _ in 0..ticks - 1 {
        assert_eq!(node.step(Event::Tick).unwrap(), vec![]);
    }
    // Entries that skip an index: corrupt.
    let gap = ae(1, 1, (0, 0), vec![entry(1, 2, b"x")], 0);
    assert_eq!(node.step(msg(gap)).unwrap(), vec![]);
    assert_eq!(node.leader(), None);
    assert!(
        !node.step(Event::Tick).unwrap().is_empty(),
        "campaigns on schedule"
    );
}
