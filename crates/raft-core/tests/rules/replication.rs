//! Log replication (Raft §5.3): batching, flow control, the follower's
//! append path, and conflict-hint backtracking.

use raft_core::{Action, Event, Message, RaftNode, ReplicationState};

use crate::common::*;

/// The entry indices of each `AppendEntries` sent to `to`.
fn batches_to(actions: &[Action], to: u64) -> Vec<Vec<u64>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send {
                to: dest,
                message: Message::AppendEntries(m),
            } if *dest == to => Some(m.entries.iter().map(|e| e.index).collect()),
            _ => None,
        })
        .collect()
}

// Raft §5.3 (engineering bound): one AppendEntries carries at most
// `max_batch` entries; a longer backlog goes out as several appends.
#[test]
fn append_batches_bounded_by_max_batch_entries() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_max_batch(2));
    elect_and_settle(&mut leader);
    let actions = leader
        .step_many(proposals(&[b"a", b"b", b"c", b"d", b"e"]))
        .unwrap();
    let e = |i: u64, c: &[u8]| entry(1, i, c);
    let mut expected = Vec::new();
    for to in [2, 3] {
        expected.push(send(to, ae(1, 1, (1, 1), vec![e(2, b"a"), e(3, b"b")], 1)));
        expected.push(send(to, ae(1, 1, (3, 1), vec![e(4, b"c"), e(5, b"d")], 1)));
        expected.push(send(to, ae(1, 1, (5, 1), vec![e(6, b"e")], 1)));
    }
    assert_eq!(actions, expected);
}

// The byte bound: a batch stops before exceeding `max_batch_bytes`, and an
// entry larger than the bound still goes out, alone.
#[test]
fn append_batches_bounded_by_max_batch_bytes() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_max_batch_bytes(25));
    elect_and_settle(&mut leader);
    let ten = [7u8; 10];
    let big = [9u8; 100];
    let actions = leader
        .step_many(proposals(&[&ten, &ten, &ten, &ten, &big, &ten]))
        .unwrap();
    let expected = vec![vec![2, 3], vec![4, 5], vec![6], vec![7]];
    assert_eq!(batches_to(&actions, 2), expected);
    assert_eq!(batches_to(&actions, 3), expected);
}

// Probe state: while the leader does not know where a follower's log
// matches, it has at most one append outstanding (one per round trip).
#[test]
fn probe_state_sends_one_append_per_round_trip() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect(&mut leader); // the no-op append is the outstanding probe to 2 and 3
    assert_eq!(leader.step(Event::Propose(b"a".to_vec())).unwrap(), vec![]);
    assert_eq!(leader.step(Event::Propose(b"b".to_vec())).unwrap(), vec![]);
    for peer in leader.status().peers {
        assert_eq!(peer.state, ReplicationState::Probe);
    }
    // Node 2 answers: it switches to replicating and gets the backlog.
    let (a, b) = (entry(1, 2, b"a"), entry(1, 3, b"b"));
    assert_eq!(
        leader.step(msg(ae_ok(1, 2, 1))).unwrap(),
        vec![send(2, ae(1, 1, (1, 1), vec![a.clone(), b.clone()], 1))]
    );
    // Node 3 answers with a rejection: exactly one new probe.
    assert_eq!(
        leader.step(msg(ae_reject(1, 3, 1, 0))).unwrap(),
        vec![send(3, ae(1, 1, (0, 0), vec![noop(1, 1), a, b], 1))]
    );
    // A new proposal is pipelined to 2, and not sent to the probing 3.
    let c = entry(1, 4, b"c");
    assert_eq!(
        leader.step(Event::Propose(b"c".to_vec())).unwrap(),
        vec![send(2, ae(1, 1, (3, 1), vec![c], 1))]
    );
}

// Replicate state: appends are pipelined up to `max_inflight`; then the
// leader pauses, and each acknowledgement frees the window again.
#[test]
fn replicate_state_pipelines_up_to_max_inflight_then_pauses() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_max_inflight(2).with_max_batch(1));
    elect_and_settle(&mut leader);
    let e = |i: u64, c: &[u8]| entry(1, i, c);
    let actions = leader
        .step_many(proposals(&[b"a", b"b", b"c", b"d"]))
        .unwrap();
    assert_eq!(
        actions,
        vec![
            send(2, ae(1, 1, (1, 1), vec![e(2, b"a")], 1)),
            send(2, ae(1, 1, (2, 1), vec![e(3, b"b")], 1)),
            send(3, ae(1, 1, (1, 1), vec![e(2, b"a")], 1)),
            send(3, ae(1, 1, (2, 1), vec![e(3, b"b")], 1)),
        ]
    );
    for peer in leader.status().peers {
        assert_eq!(
            (peer.state, peer.inflight, peer.next_index),
            (ReplicationState::Replicate, 2, 4)
        );
    }
    assert_eq!(leader.step(Event::Propose(b"f".to_vec())).unwrap(), vec![]);
    // One acknowledgement frees one slot.
    assert_eq!(
        leader.step(msg(ae_ok(1, 2, 2))).unwrap(),
        vec![
            send(2, ae(1, 1, (3, 1), vec![e(4, b"c")], 2)),
            Action::Apply {
                index: 2,
                term: 1,
                command: b"a".to_vec()
            },
        ]
    );
    // A cumulative acknowledgement frees every append it covers.
    assert_eq!(
        leader.step(msg(ae_ok(1, 2, 4))).unwrap(),
        vec![
            send(2, ae(1, 1, (4, 1), vec![e(5, b"d")], 4)),
            send(2, ae(1, 1, (5, 1), vec![e(6, b"f")], 4)),
            Action::Apply {
                index: 3,
                term: 1,
                command: b"b".to_vec()
            },
            Action::Apply {
                index: 4,
                term: 1,
                command: b"c".to_vec()
            },
        ]
    );
}

// Raft §5.3: "If an existing entry conflicts with a new one (same index but
// different terms), delete the existing entry and all that follow it" —
// and only then: an append repeating what the follower holds, or a late
// shorter one, truncates nothing.
#[test]
fn follower_truncates_only_on_real_conflict() {
    let (mut follower, log) = recorded_node(cfg(2, &[1, 2, 3]), memory_log(&[1, 1, 1], 1, None));
    let held = |i: u64| entry(1, i, &[i as u8]);

    // A duplicate of entries 2..3.
    assert_eq!(
        follower
            .step(msg(ae(2, 1, (1, 1), vec![held(2), held(3)], 0)))
            .unwrap(),
        vec![send(1, ae_ok(2, 2, 3))]
    );
    assert!(
        !log.take()
            .iter()
            .any(|c| matches!(c, Call::Append { .. } | Call::Truncate(_)))
    );
    // A late, shorter append: it matches through 2, says nothing of 3.
    assert_eq!(
        follower
            .step(msg(ae(2, 1, (1, 1), vec![held(2)], 0)))
            .unwrap(),
        vec![send(1, ae_ok(2, 2, 2))]
    );
    assert_eq!(log.take(), vec![], "nothing written, nothing synced");
    assert_eq!(terms(follower.log()), vec![1, 1, 1]);
    // A retransmission that extends the log appends only the new tail.
    assert_eq!(
        follower
            .step(msg(ae(
                2,
                1,
                (1, 1),
                vec![held(2), held(3), entry(2, 4, b"n")],
                0
            )))
            .unwrap(),
        vec![send(1, ae_ok(2, 2, 4))]
    );
    assert_eq!(
        log.take(),
        vec![Call::Append { first: 4, count: 1 }, Call::Sync]
    );
    // A real conflict at index 2: truncate from 2, then append.
    assert_eq!(
        follower
            .step(msg(ae(3, 3, (1, 1), vec![entry(3, 2, b"x")], 0)))
            .unwrap(),
        vec![send(3, ae_ok(3, 2, 2))]
    );
    let calls = log.take();
    assert!(calls.contains(&Call::Truncate(2)), "{calls:?}");
    assert!(
        calls.contains(&Call::Append { first: 2, count: 1 }),
        "{calls:?}"
    );
    assert_eq!(terms(follower.log()), vec![1, 3]);
}

/// Delivers messages between `leader` and follower `peer` until both are
/// quiet; returns every `AppendEntries` the leader sent it.
fn exchange(leader: &mut RaftNode, follower: &mut RaftNode, first: Vec<Action>) -> Vec<Message> {
    let (leader_id, peer) = (leader.id(), follower.id());
    let mut to_follower: Vec<Message> = Vec::new();
    let mut sent = Vec::new();
    let collect = |actions: Vec<Action>, dest: u64, queue: &mut Vec<Message>| {
        for a in actions {
            if let Action::Send { to, message } = a
                && to == dest
            {
                queue.push(message);
            }
        }
    };
    collect(first, peer, &mut to_follower);
    for _ in 0..20 {
        if to_follower.is_empty() {
            return sent;
        }
        let mut to_leader = Vec::new();
        for m in std::mem::take(&mut to_follower) {
            sent.push(m.clone());
            collect(follower.step(msg(m)).unwrap(), leader_id, &mut to_leader);
        }
        for m in to_leader {
            collect(leader.step(msg(m)).unwrap(), peer, &mut to_follower);
        }
    }
    panic!("no quiescence");
}

// Raft §5.3 optimisation: with the conflicting term and its first index in
// the rejection, the leader skips a whole term per round trip. Here the
// follower holds five entries of a term the leader never had: one
// rejection, then the right append.
#[test]
fn conflict_hint_skips_a_term_the_leader_never_had() {
    let mut leader = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1, 1, 1, 4, 4], 4, None));
    let first = elect(&mut leader);
    assert_eq!(leader.term(), 5);
    let mut follower = RaftNode::with_log(
        cfg(2, &[1, 2, 3]),
        memory_log(&[1, 1, 1, 2, 2, 2, 2, 2], 2, None),
    );
    let appends = exchange(&mut leader, &mut follower, first);
    let held = |t: u64, i: u64| entry(t, i, &[i as u8]);
    assert_eq!(
        appends,
        vec![
            ae(5, 1, (5, 4), vec![noop(5, 6)], 0),
            ae(5, 1, (3, 1), vec![held(4, 4), held(4, 5), noop(5, 6)], 0),
        ],
        "one rejection, then straight to the last common index"
    );
    assert_eq!(terms(follower.log()), vec![1, 1, 1, 4, 4, 5]);
    assert_eq!(leader.commit_index(), 6);
}

// Raft §5.3 optimisation, leader side: when the leader also has entries of
// the follower's conflicting term, it resumes right after its last one.
#[test]
fn conflict_hint_resumes_after_leaders_last_entry_of_that_term() {
    let mut leader = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1, 2, 2, 3], 3, None));
    let first = elect(&mut leader);
    assert_eq!(leader.term(), 4);
    let mut follower =
        RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1, 2, 2, 2, 2, 2], 2, None));
    let appends = exchange(&mut leader, &mut follower, first);
    let held = |t: u64, i: u64| entry(t, i, &[i as u8]);
    assert_eq!(
        appends,
        vec![
            ae(4, 1, (4, 3), vec![noop(4, 5)], 0),
            ae(4, 1, (3, 2), vec![held(3, 4), noop(4, 5)], 0),
        ]
    );
    assert_eq!(terms(follower.log()), vec![1, 2, 2, 3, 4]);
}

// A follower whose log is too short says where it ends: one round trip.
#[test]
fn conflict_hint_for_a_short_log_jumps_to_its_end() {
    let mut leader = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1, 1, 1, 1], 1, None));
    let first = elect(&mut leader);
    let mut follower = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1], 1, None));
    let appends = exchange(&mut leader, &mut follower, first);
    assert_eq!(appends.len(), 2, "{appends:?}");
    let Message::AppendEntries(second) = &appends[1] else {
        panic!()
    };
    assert_eq!((second.prev_log_index, second.prev_log_term), (1, 1));
    assert_eq!(terms(follower.log()), vec![1, 1, 1, 1, 2]);
}

// Raft 5.3 (retrying AppendEntries), sized: an unanswered probe is retried
// at each heartbeat as an empty append, so an unreachable follower costs a
// heartbeat per interval, not a full batch; the entries follow its answer.
#[test]
fn unanswered_probe_is_retried_without_entries() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect(&mut leader); // the no-op append is the outstanding probe
    assert_eq!(leader.step(Event::Propose(b"a".to_vec())).unwrap(), vec![]);
    let mut heartbeat = Vec::new();
    while heartbeat.is_empty() {
        heartbeat = leader.step(Event::Tick).unwrap();
    }
    assert_eq!(
        heartbeat,
        vec![
            send(2, ae(1, 1, (0, 0), vec![], 0)),
            send(3, ae(1, 1, (0, 0), vec![], 0)),
        ]
    );
    // Node 2 answers the empty probe: now it gets the entries.
    assert_eq!(
        leader.step(msg(ae_ok(1, 2, 0))).unwrap(),
        vec![send(
            2,
            ae(1, 1, (0, 0), vec![noop(1, 1), entry(1, 2, b"a")], 0)
        )]
    );
}

// Raft 5.2: a leader sends heartbeats (empty AppendEntries) periodically:
// once per heartbeat interval (3 ticks here), silent in between.
#[test]
fn leader_heartbeats_once_per_interval_and_is_silent_between() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    let heartbeat = vec![
        send(2, ae(1, 1, (1, 1), vec![], 1)),
        send(3, ae(1, 1, (1, 1), vec![], 1)),
    ];
    for _ in 0..2 {
        assert_eq!(leader.step(Event::Tick).unwrap(), vec![]);
        assert_eq!(leader.step(Event::Tick).unwrap(), vec![]);
        assert_eq!(leader.step(Event::Tick).unwrap(), heartbeat);
    }
}

// Raft 5.3 with one probe per round trip: a follower being probed gets one
// append at a time, and an empty probe counts. Until it answers, entries
// proposed meanwhile are held back from it (they follow its answer).
#[test]
fn an_unanswered_empty_probe_holds_back_new_entries() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    // Node 3 refuses with a hint just past the leader's log: it is probed
    // from index 2, which holds nothing yet, so nothing goes out now.
    assert_eq!(leader.step(msg(ae_reject(1, 3, 2, 0))).unwrap(), vec![]);
    let (_, heartbeat) = tick_until_output(&mut leader, 100);
    assert!(heartbeat.contains(&send(3, ae(1, 1, (1, 1), vec![], 1))));
    assert_eq!(
        leader.step(Event::Propose(b"x".to_vec())).unwrap(),
        vec![send(2, ae(1, 1, (1, 1), vec![entry(1, 2, b"x")], 1))],
        "node 3 has a probe out"
    );
    assert_eq!(
        leader.step(msg(ae_ok(1, 3, 1))).unwrap(),
        vec![send(3, ae(1, 1, (1, 1), vec![entry(1, 2, b"x")], 1))]
    );
}

// Raft 5.3 conflict hints: a follower refusing with a conflicting term the
// leader also holds is probed from just after the leader's *last* entry of
// that term, here the entry right before the leader's no-op, so only the
// no-op is resent.
#[test]
fn a_conflict_hint_resumes_after_the_leaders_last_entry_of_that_term() {
    let mut leader = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1, 1], 1, None));
    elect(&mut leader);
    let term = leader.term();
    assert_eq!(leader.log().entry(3), Some(noop(term, 3)));
    // Node 2 holds a term-1 entry at 3 that conflicts with the no-op.
    assert_eq!(
        leader.step(msg(ae_reject(term, 2, 3, 1))).unwrap(),
        vec![send(2, ae(term, 1, (2, 1), vec![noop(term, 3)], 0))]
    );
}

// Raft 5.3 conflict hints while probing: the hint is the first index of
// the follower's conflicting term, and that term can begin at or below the
// index the follower acknowledged while the conflict lies past it. Here
// node 2 acknowledged index 3 and holds a stale term-2 entry at 4 (its
// term 2 starts at 2): the probe at 4 is refused with the hint (2, term 2),
// and the leader must resume after its own last term-2 entry, not drop
// the hint as late (which repeated the refused probe forever: simulator
// seed 0x263a2).
#[test]
fn a_probe_heeds_a_conflict_hint_below_the_acknowledged_index() {
    let mut leader = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1, 2, 2], 2, None));
    elect(&mut leader);
    let term = leader.term();
    assert_eq!(leader.log().entry(4), Some(noop(term, 4)));
    leader.step(msg(ae_ok(term, 2, 3))).unwrap();
    // "My log ends at 4": probed from 5, with an empty append at 4.
    leader.step(msg(ae_reject(term, 2, 5, 0))).unwrap();
    let (_, heartbeat) = tick_until_output(&mut leader, 100);
    assert!(
        heartbeat.contains(&send(2, ae(term, 1, (4, term), vec![], 0))),
        "{heartbeat:?}"
    );
    assert_eq!(
        leader.step(msg(ae_reject(term, 2, 2, 2))).unwrap(),
        vec![send(2, ae(term, 1, (3, 2), vec![noop(term, 4)], 0))]
    );
}

// Raft 5.3 ("the leader retries AppendEntries indefinitely"), without
// retrying what is still on its way: at a heartbeat, a pipeline whose match
// index moved since the previous heartbeat gets an empty heartbeat, and
// only one that made no progress over a whole interval is restarted from
// its match index.
#[test]
fn only_a_pipeline_that_made_no_progress_for_an_interval_is_restarted() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::Propose(b"x".to_vec())).unwrap(); // lost on the way
    // The match index moved (the no-op) since the last heartbeat.
    assert_eq!(
        tick_until_output(&mut leader, 100).1,
        vec![
            send(2, ae(1, 1, (1, 1), vec![], 1)),
            send(3, ae(1, 1, (1, 1), vec![], 1)),
        ]
    );
    // A whole interval without progress: the append is sent again.
    assert_eq!(
        tick_until_output(&mut leader, 100).1,
        vec![
            send(2, ae(1, 1, (1, 1), vec![entry(1, 2, b"x")], 1)),
            send(3, ae(1, 1, (1, 1), vec![entry(1, 2, b"x")], 1)),
        ]
    );
}
