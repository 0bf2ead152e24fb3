//! Linearizable reads by ReadIndex (Raft thesis 6.4).

use raft_core::{Action, Error, Event, RaftConfig, RaftNode, Role};

use crate::common::*;

fn ready(id: u64, index: u64) -> Action {
    Action::ReadReady { id, index }
}

// Thesis 6.4: only the leader serves reads; a follower redirects.
#[test]
fn read_on_follower_is_refused_with_leader_hint() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    assert_eq!(
        follower.step(Event::Read { id: 1 }),
        Err(Error::NotLeader { leader: None })
    );
    follower.step(msg(ae(1, 1, (0, 0), vec![], 0))).unwrap();
    assert_eq!(
        follower.step(Event::Read { id: 1 }),
        Err(Error::NotLeader { leader: Some(1) })
    );
}

// Thesis 6.4 step 3: the leader confirms it is still leader with a round
// of heartbeats sent *after* the read arrived; an acknowledgement of an
// earlier round does not confirm a later read.
#[test]
fn read_ready_only_after_majority_acks_a_probe_sent_after_the_read() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    assert_eq!(
        leader.step(Event::Read { id: 7 }).unwrap(),
        vec![send(2, probe(1, 1, 1)), send(3, probe(1, 1, 1))]
    );
    assert_eq!(
        leader.step(Event::Read { id: 8 }).unwrap(),
        vec![send(2, probe(1, 1, 2)), send(3, probe(1, 1, 2))]
    );
    // Round 1 acknowledged by a majority (2 + the leader): read 7 only.
    assert_eq!(
        leader.step(msg(probe_reply(1, 2, 1))).unwrap(),
        vec![ready(7, 1)]
    );
    assert_eq!(leader.step(msg(probe_reply(1, 3, 1))).unwrap(), vec![]);
    // Round 2: read 8.
    assert_eq!(
        leader.step(msg(probe_reply(1, 3, 2))).unwrap(),
        vec![ready(8, 1)]
    );
    // An acknowledgement of a round never sent confirms nothing.
    leader.step(Event::Read { id: 9 }).unwrap();
    assert_eq!(leader.step(msg(probe_reply(1, 2, 99))).unwrap(), vec![]);
}

// Thesis 6.4 step 1: a new leader does not know the commit index until an
// entry of its own term commits; reads wait for its no-op.
#[test]
fn new_leader_defers_reads_until_its_noop_commits() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect(&mut leader);
    assert_eq!(leader.step(Event::Read { id: 5 }).unwrap(), vec![]);
    assert_eq!(
        leader.step(msg(ae_ok(1, 2, 1))).unwrap(),
        vec![send(2, probe(1, 1, 1)), send(3, probe(1, 1, 1))]
    );
    assert_eq!(
        leader.step(msg(probe_reply(1, 3, 1))).unwrap(),
        vec![ready(5, 1)]
    );
}

// Thesis 6.4: a leader deposed before its read is confirmed never answers
// it, whatever arrives later.
#[test]
fn deposed_leader_never_answers_pending_read() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::Read { id: 9 }).unwrap();
    assert_eq!(
        leader.step(msg(ae(2, 3, (1, 1), vec![], 1))).unwrap(),
        vec![send(3, ae_ok(2, 1, 1))]
    );
    assert!(!leader.is_leader());
    let mut later = Vec::new();
    later.extend(leader.step(msg(probe_reply(1, 2, 1))).unwrap());
    later.extend(leader.step(msg(probe_reply(2, 2, 1))).unwrap());
    // Even re-elected later, the old read stays dropped.
    later.extend(elect(&mut leader));
    let term = leader.term();
    later.extend(leader.step(msg(ae_ok(term, 2, 2))).unwrap());
    later.extend(leader.step(msg(probe_reply(term, 2, 1))).unwrap());
    later.extend(leader.step(msg(probe_reply(term, 3, 1))).unwrap());
    assert!(
        !later.iter().any(|a| matches!(a, Action::ReadReady { .. })),
        "{later:?}"
    );
}

// Thesis 6.4: a single-node cluster is its own majority, and a sole voter's
// commit index is always the cluster's: reads are ready at once, at the
// current commit index.
#[test]
fn single_node_answers_reads_immediately() {
    let mut node = RaftNode::new(RaftConfig::single(1));
    elect(&mut node);
    assert_eq!(node.step(Event::Read { id: 3 }).unwrap(), vec![ready(3, 0)]);
    node.step(Event::Propose(b"x".to_vec())).unwrap();
    assert_eq!(node.step(Event::Read { id: 4 }).unwrap(), vec![ready(4, 1)]);
}

// A read's index is the commit index when it arrives (thesis 6.4, step 1),
// not what the step commits after it: a sole voter whose term has a
// committed entry answers a read batched after a proposal at the index
// before that proposal, and the reads after it in order. (Before its term
// commits an entry, a read waits: `single_node_answers_reads_immediately`.)
#[test]
fn a_sole_voters_read_is_at_the_commit_index_it_arrived_at() {
    let mut node = RaftNode::new(RaftConfig::single(1));
    elect(&mut node);
    node.step(Event::Propose(b"x".to_vec())).unwrap();
    let actions = node
        .step_many([
            Event::Propose(b"y".to_vec()),
            Event::Read { id: 5 },
            Event::Read { id: 6 },
        ])
        .unwrap();
    let reads: Vec<&Action> = actions
        .iter()
        .filter(|a| matches!(a, Action::ReadReady { .. }))
        .collect();
    assert_eq!(reads, [&ready(5, 1), &ready(6, 1)]);
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Apply { index: 2, .. }))
    );
}

// Thesis 6.4 (liveness): if a probe round or its acknowledgements are lost,
// the leader starts a new round at its next heartbeat, and an ack of that
// later round confirms the read (it was sent after the read arrived).
#[test]
fn lost_probe_round_is_retried_at_the_next_heartbeat() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    let first = leader.step(Event::Read { id: 4 }).unwrap();
    assert_eq!(
        first,
        vec![send(2, probe(1, 1, 1)), send(3, probe(1, 1, 1))]
    );
    // Both probes are lost. At the next heartbeat a new round goes out.
    let mut retry = Vec::new();
    while retry.is_empty() {
        retry = leader.step(Event::Tick).unwrap();
    }
    assert!(retry.contains(&send(2, probe(1, 1, 2))), "{retry:?}");
    assert!(retry.contains(&send(3, probe(1, 1, 2))), "{retry:?}");
    assert_eq!(
        leader.step(msg(probe_reply(1, 2, 2))).unwrap(),
        vec![ready(4, 1)]
    );
}

/// Ticks a new leader to its first heartbeat, which carries a lease round;
/// returns the round's sequence number.
fn tick_to_lease_round(leader: &mut RaftNode) -> u64 {
    let mut seq = 0;
    for _ in 0..3 {
        for action in leader.step(Event::Tick).unwrap() {
            if let raft_core::Action::Send {
                message: raft_core::Message::ReadProbe(probe),
                ..
            } = action
            {
                seq = probe.seq;
            }
        }
    }
    seq
}

// Thesis 6.4.1: with lease reads on, a leader whose heartbeat round a
// majority acknowledged answers a read at once, without a probe round of
// its own, until the lease (the minimum election timeout divided by the
// clock bound, from when the round was sent) runs out; a transfer ends it.
#[test]
fn a_lease_read_is_answered_without_a_probe_round_while_the_lease_holds() {
    use raft_core::Action;
    let config = cfg(1, &[1, 2, 3]).with_lease_reads(2000); // lease: 10 / 2 = 5 ticks
    let mut leader = RaftNode::new(config);
    elect_and_settle(&mut leader);
    // The first heartbeat carries a lease round; node 2 acknowledges it.
    let seq = tick_to_lease_round(&mut leader);
    assert!(seq > 0, "no lease round at the heartbeat");
    leader.step(msg(probe_reply(1, 2, seq))).unwrap();
    assert_eq!(
        leader.step(Event::Read { id: 7 }).unwrap(),
        vec![Action::ReadReady { id: 7, index: 1 }],
        "answered from the lease, no probe"
    );
    // Five ticks after the round was sent, the lease is over (the rounds
    // sent since were not acknowledged): a read waits for a probe again.
    for _ in 0..4 {
        leader.step(Event::Tick).unwrap();
    }
    assert_eq!(
        leader.step(Event::Read { id: 10 }).unwrap(),
        vec![Action::ReadReady { id: 10, index: 1 }],
        "four ticks after: still leased"
    );
    leader.step(Event::Tick).unwrap();
    let actions = leader.step(Event::Read { id: 8 }).unwrap();
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::Send {
                message: raft_core::Message::ReadProbe(_),
                ..
            }
        )),
        "{actions:?}"
    );
}

#[test]
fn a_transfer_ends_the_lease() {
    use raft_core::Action;
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_lease_reads(1000));
    elect_and_settle(&mut leader);
    let seq = tick_to_lease_round(&mut leader);
    leader.step(msg(probe_reply(1, 2, seq))).unwrap();
    leader.step(msg(ae_reject(1, 3, 1, 0))).unwrap();
    leader.step(Event::TransferLeadership(3)).unwrap();
    let actions = leader.step(Event::Read { id: 9 }).unwrap();
    assert!(
        !actions.contains(&Action::ReadReady { id: 9, index: 1 }),
        "{actions:?}"
    );
}

// Thesis 6.4 step 4: a read is served once the state machine has applied
// *at least* its read index. Entries committed and applied while its round
// was out do not hold it back.
#[test]
fn read_is_served_when_more_than_its_index_is_applied() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::Read { id: 7 }).unwrap();
    leader.step(Event::Propose(b"x".to_vec())).unwrap();
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(leader.last_applied(), 2);
    assert_eq!(
        leader.step(msg(probe_reply(1, 3, 1))).unwrap(),
        vec![ready(7, 1)]
    );
}

// Thesis 6.4 step 3: the confirming round is a heartbeat. A follower answers
// a read probe with its term and the probe's sequence, and, as for any
// message of its leader, knows the leader and restarts its election timer.
#[test]
fn a_follower_answers_a_read_probe_as_a_heartbeat() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    follower.step(msg(ae(1, 1, (0, 0), vec![], 0))).unwrap();
    for _ in 0..9 {
        assert_eq!(follower.step(Event::Tick).unwrap(), vec![]);
    }
    assert_eq!(
        follower.step(msg(probe(1, 1, 5))).unwrap(),
        vec![send(1, probe_reply(1, 2, 5))]
    );
    // The timer restarted: the minimum timeout (10 ticks) from the probe,
    // not from the append, passes in silence.
    for _ in 0..9 {
        assert_eq!(follower.step(Event::Tick).unwrap(), vec![]);
    }
    assert_eq!(
        (follower.role(), follower.leader()),
        (Role::Follower, Some(1))
    );
}

/// The `ReadProbe` sequence numbers `actions` send to `to`.
fn probe_seqs_to(actions: &[raft_core::Action], to: u64) -> Vec<u64> {
    actions
        .iter()
        .filter_map(|action| match action {
            raft_core::Action::Send {
                to: dest,
                message: raft_core::Message::ReadProbe(probe),
            } if *dest == to => Some(probe.seq),
            _ => None,
        })
        .collect()
}

// Thesis 6.4.1: the lease holds only for a leader whose own round a
// majority acknowledged in its current term. A leader deposed and elected
// again starts without one (its old lease may have outlived its
// leadership), so its first read waits for a probe round.
#[test]
fn a_leader_elected_again_holds_no_lease_from_its_earlier_term() {
    let mut node = RaftNode::new(cfg(1, &[1, 2, 3]).with_lease_reads(1000)); // lease: 10 ticks
    elect_and_settle(&mut node);
    let seq = tick_to_lease_round(&mut node);
    node.step(msg(probe_reply(1, 2, seq))).unwrap();
    assert_eq!(node.step(Event::Read { id: 1 }).unwrap(), vec![ready(1, 1)]);
    node.step(msg(ae(2, 2, (1, 1), vec![], 1))).unwrap();
    assert_eq!((node.role(), node.term()), (Role::Follower, 2));
    elect(&mut node);
    let term = node.term();
    node.step(msg(ae_ok(term, 2, 2))).unwrap();
    assert_eq!(node.commit_index(), 2, "the new term's no-op committed");
    let actions = node.step(Event::Read { id: 2 }).unwrap();
    let seqs = probe_seqs_to(&actions, 2);
    assert_eq!(seqs.len(), 1, "{actions:?}");
    assert_eq!(
        actions,
        vec![
            send(2, probe(term, 1, seqs[0])),
            send(3, probe(term, 1, seqs[0]))
        ],
        "no lease: a probe round, no answer yet"
    );
}

// Thesis 6.4.1 with 3.10: the target of a transfer campaigns past
// stickiness, so while a transfer is under way no round counts toward a
// lease: after the transfer is abandoned, a round acknowledged during it
// does not let the leader answer from a lease.
#[test]
fn rounds_acknowledged_during_a_transfer_give_no_lease_after_it_is_abandoned() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_lease_reads(1000)); // lease: 10 ticks
    elect_and_settle(&mut leader);
    leader.step(Event::TransferLeadership(3)).unwrap();
    // Node 2 answers every heartbeat round; node 3 never takes over. The
    // transfer is abandoned after the longest election timeout (20 ticks),
    // two ticks after the last round went out.
    let mut aborted = false;
    for _ in 0..20 {
        let actions = leader.step(Event::Tick).unwrap();
        aborted |= actions.contains(&raft_core::Action::TransferAborted { target: 3 });
        for seq in probe_seqs_to(&actions, 2) {
            leader.step(msg(probe_reply(1, 2, seq))).unwrap();
        }
        if aborted {
            break;
        }
    }
    assert!(aborted, "the transfer was not abandoned");
    assert!(leader.is_leader());
    let actions = leader.step(Event::Read { id: 5 }).unwrap();
    let seqs = probe_seqs_to(&actions, 2);
    assert_eq!(seqs.len(), 1, "{actions:?}");
    assert_eq!(
        actions,
        vec![send(2, probe(1, 1, seqs[0])), send(3, probe(1, 1, seqs[0]))],
        "no lease: a probe round, no answer yet"
    );
}

// Thesis 6.4.1 with 6.4 step 4: a read answered from the lease waits only
// for its index to be applied; entries committed and applied in the same
// step after it was admitted do not hold it back.
#[test]
fn a_lease_read_is_answered_when_more_than_its_index_is_applied() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_lease_reads(1000));
    elect_and_settle(&mut leader);
    let seq = tick_to_lease_round(&mut leader);
    leader.step(msg(probe_reply(1, 2, seq))).unwrap();
    leader.step(Event::Propose(b"x".to_vec())).unwrap();
    let actions = leader
        .step_many([Event::Read { id: 7 }, msg(ae_ok(1, 2, 2))])
        .unwrap();
    assert_eq!(
        actions,
        vec![
            raft_core::Action::Apply {
                index: 2,
                term: 1,
                command: b"x".to_vec()
            },
            ready(7, 1),
        ]
    );
}
