//! Hostile terms and indices (PROTOCOL.md §2.1): a term above `TERM_MAX`,
//! a log term above the message's own term, or an adopted index above
//! `INDEX_MAX` is corrupt input and changes nothing; a node never increments
//! its term past `TERM_MAX`, so no campaign can overflow.

use raft_core::{
    AppendEntriesReply, Event, HardState, INDEX_MAX, InstallSnapshot, InstallSnapshotReply,
    Message, RaftNode, Role, Snapshot, TERM_MAX, TimeoutNow,
};

use crate::common::*;
use crate::mini_cluster::MiniCluster;

/// One message of every kind, from node 1, carrying `term`.
fn every_kind_at(term: u64) -> Vec<Message> {
    vec![
        pv(term, 1, (0, 0)),
        pv_reply(term, 1, true),
        pv_reply(term, 1, false),
        rv(term, 1, (0, 0)),
        rv_forced(term, 1, (0, 0)),
        rv_reply(term, 1, true),
        ae(term, 1, (0, 0), vec![], 0),
        ae_ok(term, 1, 0),
        ae_reject(term, 1, 1, 0),
        Message::InstallSnapshot(InstallSnapshot {
            term,
            leader: 1,
            snapshot: Snapshot::new(5, 1, b"s".to_vec()),
        }),
        Message::InstallSnapshotReply(InstallSnapshotReply {
            term,
            from: 1,
            last_index: 0,
        }),
        Message::TimeoutNow(TimeoutNow { term, leader: 1 }),
        probe(term, 1, 1),
        probe_reply(term, 1, 1),
    ]
}

// §2.1: no honest node ever sends a term above TERM_MAX, so such a message
// is corrupt or forged: dropped before the term rules, with no reply, no
// write and no term change.
#[test]
fn a_message_above_the_term_ceiling_changes_nothing() {
    let (mut node, probe) = recorded_node(cfg(2, &[1, 2, 3]), memory_log(&[1], 1, None));
    for term in [TERM_MAX + 1, u64::MAX / 2, u64::MAX] {
        for m in every_kind_at(term) {
            assert_eq!(node.step(msg(m.clone())).unwrap(), vec![], "{m:?}");
            assert_eq!((node.term(), node.role()), (1, Role::Follower), "{m:?}");
            assert_eq!(probe.take(), vec![], "{m:?}");
        }
    }
    // At the ceiling itself a term is still honest and adopted.
    node.step(msg(ae(TERM_MAX, 1, (1, 1), vec![], 0))).unwrap();
    assert_eq!(node.term(), TERM_MAX);
}

// §2.1: a log never holds an entry newer than its owner's term, so a
// candidate's last log term, a leader's previous log term, a conflict term
// or a snapshot term above the message's own term is corrupt.
#[test]
fn a_log_term_above_the_message_term_changes_nothing() {
    let (mut node, probe) = recorded_node(cfg(2, &[1, 2, 3]), memory_log(&[1], 1, None));
    let corrupt = [
        pv(3, 1, (9, 4)),
        rv(3, 1, (9, 4)),
        ae(3, 1, (1, 4), vec![], 0),
        Message::AppendEntriesReply(AppendEntriesReply {
            term: 3,
            success: false,
            from: 1,
            match_index: 0,
            conflict_index: 1,
            conflict_term: 4,
        }),
        Message::InstallSnapshot(InstallSnapshot {
            term: 3,
            leader: 1,
            snapshot: Snapshot::new(5, 4, b"s".to_vec()),
        }),
    ];
    for m in corrupt {
        assert_eq!(node.step(msg(m.clone())).unwrap(), vec![], "{m:?}");
        assert_eq!(node.term(), 1, "{m:?}");
        assert_eq!(probe.take(), vec![], "{m:?}");
    }
}

// Raft 5.2 increments the term per campaign; at the ceiling there is no
// next term, so the node stays a follower instead of overflowing (a panic in
// debug builds, a wrap to term 0 and a second vote in a term in release).
#[test]
fn a_node_at_the_term_ceiling_never_campaigns_past_it() {
    for pre_vote in [true, false] {
        for term in [TERM_MAX, u64::MAX] {
            let log = memory_log(&[1], term, Some(1));
            let (mut node, probe) = recorded_node(cfg(1, &[1, 2, 3]).with_pre_vote(pre_vote), log);
            for _ in 0..100 {
                assert_eq!(node.step(Event::Tick).unwrap(), vec![], "term {term}");
            }
            assert_eq!((node.term(), node.role()), (term, Role::Follower));
            assert_eq!(
                node.log().hard_state(),
                HardState {
                    term,
                    voted_for: Some(1)
                }
            );
            assert_eq!(probe.take(), vec![]);
        }
    }
    // A transfer's TimeoutNow at the ceiling cannot campaign either.
    let mut node = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[], TERM_MAX, None));
    let timeout_now = Message::TimeoutNow(TimeoutNow {
        term: TERM_MAX,
        leader: 1,
    });
    assert_eq!(node.step(msg(timeout_now)).unwrap(), vec![]);
    assert_eq!((node.term(), node.role()), (TERM_MAX, Role::Follower));
}

// The spreading attack: one forged frame with term u64::MAX reaches one
// follower. Were it adopted, the follower's stale-term answers would carry
// it to the leader and from there to everyone, and every later campaign
// would overflow, so no election could ever succeed again. Dropped as
// corrupt, it changes nothing: the leader stays, and once it stops a new
// election succeeds.
#[test]
fn a_forged_huge_term_neither_spreads_nor_stops_elections() {
    let mut cluster = MiniCluster::new(3, |config| config);
    let leader = cluster.run_until_leader(200).expect("a first leader");
    let victim = cluster.ids().into_iter().find(|&id| id != leader).unwrap();
    let term = cluster.node(leader).term();
    let forged = [
        ae(u64::MAX, 99, (0, 0), vec![], 0),
        rv(u64::MAX, 99, (0, 0)),
        pv(u64::MAX, 99, (0, 0)),
        probe(u64::MAX, 99, 1),
    ];
    for m in forged {
        cluster.step(victim, msg(m)).unwrap();
    }
    cluster.run(100);
    for id in cluster.ids() {
        assert_eq!(cluster.node(id).term(), term, "node {id}");
    }
    assert_eq!(cluster.leader(), Some(leader));

    cluster.stop(leader);
    let next = cluster.run_until_leader(500).expect("a new leader");
    assert_ne!(next, leader);
    assert!(cluster.node(next).term() > term && cluster.node(next).term() < 100);
}

// §2.1, found by tests/hostile.rs: a snapshot (or an entry) beyond
// INDEX_MAX is corrupt. Adopted, it left no next index: the node's next
// append overflowed `last_index + 1` once it became leader.
#[test]
fn a_snapshot_or_entry_beyond_the_index_ceiling_changes_nothing() {
    let (mut node, probe) = recorded_node(cfg(2, &[1, 2, 3]), memory_log(&[1], 1, None));
    let corrupt = [
        Message::InstallSnapshot(InstallSnapshot {
            term: 3,
            leader: 1,
            snapshot: Snapshot::with_config(u64::MAX, 0, vec![2, 3], vec![]),
        }),
        Message::InstallSnapshot(InstallSnapshot {
            term: 3,
            leader: 1,
            snapshot: Snapshot::new(INDEX_MAX + 1, 1, vec![]),
        }),
        ae(3, 1, (INDEX_MAX, 1), vec![entry(1, INDEX_MAX + 1, b"x")], 0),
    ];
    for m in corrupt {
        assert_eq!(node.step(msg(m.clone())).unwrap(), vec![], "{m:?}");
        assert_eq!((node.term(), node.log().last_index()), (1, 1), "{m:?}");
        assert_eq!(probe.take(), vec![], "{m:?}");
    }
}

// Raft 5.2: a candidate whose election times out starts another, which at
// the ceiling it cannot: it goes back to being a follower at `TERM_MAX`
// (ready to follow a leader of that term) instead of staying a candidate
// of a round that can never end.
#[test]
fn a_candidate_at_the_term_ceiling_falls_back_to_follower() {
    let log = memory_log(&[1], TERM_MAX - 1, None);
    let mut node = RaftNode::with_log(cfg(1, &[1, 2, 3]).with_pre_vote(false), log);
    tick_until_output(&mut node, 100);
    assert_eq!((node.term(), node.role()), (TERM_MAX, Role::Candidate));
    for _ in 0..100 {
        assert_eq!(node.step(Event::Tick).unwrap(), vec![]);
    }
    assert_eq!((node.term(), node.role()), (TERM_MAX, Role::Follower));
}
