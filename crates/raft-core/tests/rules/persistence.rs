//! Persist before send (Raft Figure 2; thesis 10.2.1): every write a step
//! makes is synced once, before the step returns, and the leader counts its
//! own log toward commitment only once synced.

use raft_core::{Action, Error, Event, MemoryLog, RaftConfig, RaftLog, RaftNode};

use crate::common::*;

fn is_write(call: &Call) -> bool {
    !matches!(call, Call::Sync)
}

/// Asserts the calls of one step: with writes, exactly one `sync`, after
/// the last of them; without, no `sync` at all.
fn assert_one_trailing_sync(what: &str, calls: &[Call]) {
    let syncs = calls.iter().filter(|c| **c == Call::Sync).count();
    if calls.iter().any(is_write) {
        assert_eq!(syncs, 1, "{what}: {calls:?}");
        assert_eq!(calls.last(), Some(&Call::Sync), "{what}: {calls:?}");
    } else {
        assert_eq!(syncs, 0, "{what}: {calls:?}");
    }
}

// Figure 2 / thesis 10.2.1: a step's writes are durable before its actions
// are handed out, with a single sync (never one per write).
#[test]
fn every_step_with_writes_syncs_once_after_its_writes() {
    let (mut leader, leader_log) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    let mut steps: Vec<(String, Vec<Call>)> = Vec::new();
    let mut run = |name: &str, node: &mut RaftNode<RecordingLog>, event: Event| {
        node.step(event).unwrap();
        steps.push((name.to_owned(), leader_log.take()));
    };
    for i in 0..40 {
        run(&format!("tick {i}"), &mut leader, Event::Tick);
        if leader.role() == raft_core::Role::Candidate {
            break;
        }
    }
    run("pre-vote granted", &mut leader, msg(pv_reply(1, 2, true)));
    run("vote granted", &mut leader, msg(rv_reply(1, 2, true)));
    assert!(leader.is_leader());
    run("ack no-op", &mut leader, msg(ae_ok(1, 2, 1)));
    run("propose", &mut leader, Event::Propose(b"a".to_vec()));
    run("ack", &mut leader, msg(ae_ok(1, 2, 2)));
    for i in 0..6 {
        run(&format!("leader tick {i}"), &mut leader, Event::Tick);
    }
    run("deposed", &mut leader, msg(ae(2, 3, (2, 1), vec![], 2)));
    assert!(steps.iter().any(|(_, calls)| calls.iter().any(is_write)));
    for (name, calls) in &steps {
        assert_one_trailing_sync(name, calls);
    }

    let (mut follower, log) = recorded_node(cfg(2, &[1, 2, 3]), memory_log(&[1, 1, 1], 1, None));
    let events = [
        msg(rv(2, 3, (3, 1))),
        msg(ae(
            2,
            3,
            (1, 1),
            vec![entry(2, 2, b"x"), entry(2, 3, b"y")],
            1,
        )),
        msg(ae(2, 3, (3, 2), vec![], 3)),
        msg(ae(2, 3, (3, 2), vec![entry(2, 4, b"z")], 3)),
        Event::Tick,
    ];
    for (i, event) in events.into_iter().enumerate() {
        follower.step(event).unwrap();
        assert_one_trailing_sync(&format!("follower step {i}"), &log.take());
    }
}

// Group commit: `step_many` with N proposals appends them in one write and
// syncs once.
#[test]
fn step_many_with_n_proposals_appends_once_and_syncs_once() {
    let (mut leader, log) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    elect_and_settle(&mut leader);
    log.take();
    let actions = leader
        .step_many((0..10u8).map(|i| Event::Propose(vec![i])))
        .unwrap();
    assert_eq!(
        log.take(),
        vec![
            Call::Append {
                first: 2,
                count: 10
            },
            Call::Sync
        ]
    );
    assert_eq!(actions.len(), 2, "one append per follower: {actions:?}");
    // One `step` per proposal also appends once per step (and so syncs
    // once per step).
    leader.step(Event::Propose(b"k".to_vec())).unwrap();
    assert_eq!(
        log.take(),
        vec![
            Call::Append {
                first: 12,
                count: 1
            },
            Call::Sync
        ]
    );
}

// Thesis 10.2.1: the leader may send before its own write is durable, but
// counts itself toward a majority only for what it has synced. If the sync
// fails, the entry never commits, the step fails with `Storage`, and so
// does every later step.
#[test]
fn leader_counts_its_own_entry_only_after_sync() {
    let (mut leader, log) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    elect_and_settle(&mut leader);
    assert_eq!(leader.commit_index(), 1);
    log.fail_sync(true);
    // A follower acknowledges the entry within the same batch, before the
    // leader's own sync: one replica of three is not a majority.
    let result = leader.step_many([Event::Propose(b"x".to_vec()), msg(ae_ok(1, 2, 2))]);
    let failure = Error::storage("sync", "injected failure");
    assert_eq!(result, Err(failure.clone()));
    assert_eq!(leader.commit_index(), 1);
    assert_eq!(leader.last_applied(), 1);
    // The node has stopped: every later step fails the same way, even if
    // the disk came back, and nothing commits.
    log.fail_sync(false);
    assert_eq!(leader.step(Event::Tick), Err(failure.clone()));
    assert_eq!(leader.step(msg(ae_ok(1, 3, 2))), Err(failure.clone()));
    assert_eq!(leader.step(Event::Propose(b"y".to_vec())), Err(failure));
    assert_eq!(leader.commit_index(), 1);

    // A single node is its own majority: its proposal commits only through
    // its own sync, so a failed sync commits nothing.
    let (mut single, log) = recorded_node(RaftConfig::single(1), MemoryLog::new());
    elect(&mut single);
    log.fail_sync(true);
    assert!(matches!(
        single.step(Event::Propose(b"x".to_vec())),
        Err(Error::Storage { .. })
    ));
    assert_eq!(single.commit_index(), 0);
}

// Deferred durability: a follower stepping appends one at a time does not
// sync per step; its replies (which promise durable entries, Raft Figure 2)
// are held until `flush`, which syncs once for all of them.
#[test]
fn a_deferred_follower_holds_its_replies_until_one_flush() {
    let (mut follower, probe) = recorded_node(
        cfg(2, &[1, 2, 3]).with_deferred_sync(true),
        raft_core::MemoryLog::new(),
    );
    for index in 1..=3 {
        let prev = (index - 1, if index == 1 { 0 } else { 1 });
        let actions = follower
            .step(msg(ae(1, 1, prev, vec![entry(1, index, b"x")], 0)))
            .unwrap();
        assert!(
            actions.is_empty(),
            "a reply left before its entry was durable"
        );
    }
    assert!(
        !probe.take().contains(&Call::Sync),
        "no sync before the flush"
    );
    let released = follower.flush().unwrap();
    assert_eq!(probe.take(), vec![Call::Sync], "one sync for three appends");
    assert_eq!(
        released,
        vec![
            send(1, ae_ok(1, 2, 1)),
            send(1, ae_ok(1, 2, 2)),
            send(1, ae_ok(1, 2, 3)),
        ]
    );
}

// Thesis 10.2.1: with deferred durability the leader's appends leave before
// its own write is durable, and it counts itself toward commit only after
// the flush: with one follower's ack, nothing commits until then.
#[test]
fn a_deferred_leader_replicates_before_its_sync_and_counts_itself_after() {
    let (mut leader, probe) = recorded_node(
        cfg(1, &[1, 2, 3]).with_deferred_sync(true),
        raft_core::MemoryLog::new(),
    );
    elect(&mut leader);
    leader.flush().unwrap();
    leader.step(msg(ae_ok(1, 2, 1))).unwrap();
    leader.step(msg(ae_ok(1, 3, 1))).unwrap();
    leader.flush().unwrap();
    probe.take();
    let actions = leader.step(Event::Propose(b"p".to_vec())).unwrap();
    assert!(
        actions.contains(&send(2, ae(1, 1, (1, 1), vec![entry(1, 2, b"p")], 1))),
        "the append left before the leader's sync: {actions:?}"
    );
    assert!(!probe.take().contains(&Call::Sync));
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(
        leader.commit_index(),
        1,
        "the leader's own copy is not durable yet"
    );
    let released = leader.flush().unwrap();
    assert_eq!(leader.commit_index(), 2);
    assert!(released.contains(&Action::Apply {
        index: 2,
        term: 1,
        command: b"p".to_vec()
    }));
}

/// A backend written against the raft-io 1.0 trait: the required methods
/// and the 1.0 snapshot methods, none of the later ones, so the node runs on
/// the trait's default methods (`append_from`, `snapshot_membership`,
/// `apply_snapshot_with_membership`, ...).
struct OldStyleLog(MemoryLog);

impl RaftLog for OldStyleLog {
    required_log_methods_of_field_0!();
    fn snapshot_index(&self) -> raft_core::Index {
        self.0.snapshot_index()
    }
    fn snapshot(&self) -> Option<raft_core::Snapshot> {
        self.0.snapshot()
    }
    fn apply_snapshot(&mut self, snapshot: &raft_core::Snapshot) -> raft_core::Result<()> {
        self.0.apply_snapshot(snapshot)
    }
}

// The trait's default methods carry a backend that implements only the
// raft-io 1.0 surface (thesis 10.2.1's durable log, Raft 7's snapshot):
// entries a leader sends are appended, a snapshot it sends is installed, and
// a node reopened over that log takes its voters from the snapshot.
#[test]
fn a_backend_with_only_the_old_trait_methods_replicates_and_installs_snapshots() {
    let mut follower = RaftNode::with_log(cfg(2, &[1, 2, 3]), OldStyleLog(MemoryLog::new()));
    follower
        .step(msg(ae(1, 1, (0, 0), vec![entry(1, 1, b"a")], 0)))
        .unwrap();
    assert_eq!(
        follower.log().last_index(),
        1,
        "appended through the default"
    );
    let snapshot = raft_core::Snapshot::with_config(4, 1, vec![1, 2, 3, 4], b"S".to_vec());
    follower
        .step(msg(raft_core::Message::InstallSnapshot(
            raft_core::InstallSnapshot {
                term: 1,
                leader: 1,
                snapshot,
            },
        )))
        .unwrap();
    assert_eq!(follower.log().snapshot_index(), 4);
    let OldStyleLog(inner) = follower.into_log();
    let reopened = RaftNode::with_log(cfg(2, &[1, 2, 3]), OldStyleLog(inner));
    assert_eq!(reopened.members(), &[1, 2, 3, 4]);
}

// Thesis 10.2.1's durable state machine: a node resumes after what the
// state machine already applied, which must lie within the log, from the
// log's snapshot (inclusive) to its last entry (inclusive).
#[test]
fn resume_accepts_an_applied_index_from_the_snapshot_to_the_last_entry() {
    let log = || {
        let mut log = memory_log(&[1, 1, 1, 1, 1, 1], 1, None);
        log.apply_snapshot(&raft_core::Snapshot::with_config(
            4,
            1,
            vec![1, 2, 3],
            b"S".to_vec(),
        ))
        .unwrap();
        log
    };
    let resume = |applied| RaftNode::resume(cfg(1, &[1, 2, 3]), log(), applied);
    assert_eq!(resume(4).unwrap().last_applied(), 4, "at the snapshot");
    assert_eq!(resume(6).unwrap().last_applied(), 6, "at the last entry");
    assert!(matches!(resume(3), Err(Error::InvalidRequest { .. })));
    assert!(matches!(resume(7), Err(Error::InvalidRequest { .. })));
}
