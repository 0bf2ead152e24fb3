//! Client operations on the simulated cluster: exactly-once writes across
//! retries, snapshots and restarts; reads served by the leader's state
//! machine; histories checked for linearizability (and violations caught);
//! and the new faults: pauses, failing syncs, clock skew, with liveness in
//! its stated bound.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use std::sync::atomic::{AtomicU64, Ordering};

use raft_core::Event;
use raft_testkit::{
    Cluster, FaultPlan, FuzzOptions, KvBytesModel, KvInput, KvMachine, KvOutput, StateMachine, kv,
    run_seed,
};

fn append(key: &str, value: &str) -> Vec<u8> {
    kv::encode_input(&KvInput::Append(key.into(), value.into()))
}

fn get(key: &str) -> Vec<u8> {
    kv::encode_input(&KvInput::Get(key.into()))
}

fn value(cluster: &Cluster, id: u64, key: &str) -> Option<Vec<u8>> {
    let answer = cluster.state_machine(id)?.query(&get(key));
    match kv::decode_output(&answer) {
        Some(KvOutput::Value(value)) => value,
        other => panic!("a Get answered {other:?}"),
    }
}

/// The leader takes a write and replicates it, then crashes before it
/// learns the write committed: the client resends it to the next leader, so
/// the log holds it twice. Every replica applies it once.
#[test]
fn a_write_retried_after_a_leader_crash_is_applied_once() {
    let mut cluster = Cluster::builder()
        .nodes(3)
        .seed(21)
        .state_machine(KvMachine::default)
        .build();
    cluster.run_until(500, |c| c.leader().is_some()).unwrap();
    let leader = cluster.leader().unwrap();
    let op = cluster.client_write(1, append("k", "x"));
    cluster.tick().unwrap(); // sent to the leader
    cluster.tick().unwrap(); // on the followers; their acks are in flight
    assert!(!cluster.completed(op));
    cluster.crash(leader);
    cluster.run_until_complete(&[op], 1_000).unwrap();
    cluster.restart(leader);
    cluster.heal_and_settle(1_000).unwrap();
    for id in cluster.ids() {
        let copies = cluster
            .applied(id)
            .iter()
            .filter(|(_, command)| command.ends_with(&append("k", "x")))
            .count();
        assert_eq!(copies, 2, "node {id}: the write is in the log twice");
        assert_eq!(value(&cluster, id, "k").as_deref(), Some(&b"x"[..]));
    }
    assert!(cluster.duplicates_suppressed() >= 3);
    assert_eq!(
        kv::decode_output(cluster.response(op).unwrap()),
        Some(KvOutput::Done)
    );
}

/// Deduplication survives compaction and restarts: a node restored from a
/// snapshot rebuilds the set of applied operations from the snapshot, so
/// appends retried across snapshots still land once.
#[test]
fn exactly_once_survives_snapshots_and_restarts() {
    let mut cluster = Cluster::builder()
        .nodes(3)
        .seed(5)
        .snapshot_every(4)
        .faults(FaultPlan {
            partitions: false,
            ..FaultPlan::all()
        })
        .state_machine(KvMachine::default)
        .build();
    let mut ops = Vec::new();
    for round in 0..60u64 {
        ops.push(cluster.client_write(round % 3, append("k", &format!("{round},"))));
        cluster.run_with_faults(15).unwrap();
        if round % 10 == 9 {
            let victim = 1 + round / 10 % 3;
            cluster.crash(victim);
            cluster.run_for(30).unwrap();
            cluster.restart(victim);
        }
    }
    cluster.heal_and_check_liveness().unwrap();
    cluster.run_until_complete(&ops, 2_000).unwrap();
    cluster.heal_and_settle(1_000).unwrap();
    assert!(cluster.crashes() > 6);
    let reference = value(&cluster, 1, "k").unwrap();
    let text = String::from_utf8(reference.clone()).unwrap();
    for round in 0..60u64 {
        let count = text.split(',').filter(|v| *v == round.to_string()).count();
        assert_eq!(count, 1, "append {round} applied {count} times: {text}");
    }
    for id in cluster.ids() {
        assert_eq!(value(&cluster, id, "k").as_ref(), Some(&reference));
    }
    assert!(
        cluster
            .check_linearizable(KvBytesModel::new())
            .unwrap()
            .is_ok()
    );
}

/// Reads are answered by the leader's state machine, after every write that
/// completed before them; a single node answers at once.
#[test]
fn reads_see_completed_writes() {
    for nodes in [1, 3, 5] {
        let mut cluster = Cluster::builder()
            .nodes(nodes)
            .seed(nodes)
            .state_machine(KvMachine::default)
            .build();
        let before = cluster.client_read(1, get("k"));
        cluster.run_until_complete(&[before], 1_000).unwrap();
        let write = cluster.client_write(2, append("k", "v"));
        cluster.run_until_complete(&[write], 1_000).unwrap();
        let after = cluster.client_read(1, get("k"));
        cluster.run_until_complete(&[after], 1_000).unwrap();
        let read = |op| kv::decode_output(cluster.response(op).unwrap()).unwrap();
        assert_eq!(read(before), KvOutput::Value(None));
        assert_eq!(read(after), KvOutput::Value(Some(b"v".to_vec())));
        let history = cluster.history();
        assert_eq!(history.len(), 3);
        assert!(
            history.get(write).unwrap().returned_at() < history.get(after).unwrap().returned_at()
        );
    }
}

/// A machine whose answers differ from node to node (it counts how many
/// instances were made before it) is caught the first time two replicas
/// answer one write differently.
#[test]
fn a_nondeterministic_machine_is_caught() {
    static MADE: AtomicU64 = AtomicU64::new(0);
    struct Moody(u64);
    impl StateMachine for Moody {
        fn apply(&mut self, _: &[u8]) -> Vec<u8> {
            self.0.to_le_bytes().to_vec()
        }
        fn query(&self, _: &[u8]) -> Vec<u8> {
            Vec::new()
        }
        fn snapshot(&self) -> Vec<u8> {
            Vec::new()
        }
        fn restore(&mut self, _: &[u8]) {}
    }
    let mut cluster = Cluster::builder()
        .state_machine(|| Moody(MADE.fetch_add(1, Ordering::Relaxed)))
        .build();
    let op = cluster.client_write(1, b"anything".to_vec());
    let failure = cluster
        .run_until_complete(&[op], 1_000)
        .and_then(|()| cluster.run_for(50))
        .unwrap_err();
    assert!(failure.reason.contains("determinism"), "{}", failure.reason);
}

/// A machine serving stale reads (it answers with the value before the
/// latest write) produces a history the checker rejects, with the key.
#[test]
fn stale_reads_fail_the_linearizability_check() {
    #[derive(Default)]
    struct Stale {
        kv: KvMachine,
        previous: KvMachine,
    }
    impl StateMachine for Stale {
        fn apply(&mut self, command: &[u8]) -> Vec<u8> {
            self.previous = self.kv.clone();
            self.kv.apply(command)
        }
        fn query(&self, query: &[u8]) -> Vec<u8> {
            self.previous.query(query)
        }
        fn snapshot(&self) -> Vec<u8> {
            self.kv.snapshot()
        }
        fn restore(&mut self, snapshot: &[u8]) {
            self.kv.restore(snapshot);
        }
    }
    let mut cluster = Cluster::builder()
        .seed(3)
        .state_machine(Stale::default)
        .build();
    let write = cluster.client_write(1, append("x", "1"));
    cluster.run_until_complete(&[write], 1_000).unwrap();
    let read = cluster.client_read(2, get("x"));
    cluster.run_until_complete(&[read], 1_000).unwrap();
    let failure = cluster.check_linearizable(KvBytesModel::new()).unwrap_err();
    assert!(failure.reason.contains("key \"x\""), "{}", failure.reason);
}

/// A paused leader keeps its state; messages to it wait; on resume it
/// learns the new term and follows. A client read sent to it before the
/// pause is answered by the next leader.
#[test]
fn a_paused_leader_is_replaced_and_then_follows() {
    let mut cluster = Cluster::builder()
        .nodes(3)
        .seed(12)
        .state_machine(KvMachine::default)
        .build();
    cluster.run_until(500, |c| c.leader().is_some()).unwrap();
    let old = cluster.leader().unwrap();
    let log_before = cluster.node(old).unwrap().log().clone();
    cluster.pause(old, 80);
    let write = cluster.client_write(1, append("p", "1"));
    cluster
        .run_until(80, |c| c.leader().is_some_and(|l| l != old))
        .unwrap();
    assert!(cluster.is_paused(old));
    assert_eq!(
        raft_core::RaftLog::last_index(cluster.node(old).unwrap().log()),
        raft_core::RaftLog::last_index(&log_before),
        "a paused node takes no step"
    );
    cluster.run_until_complete(&[write], 500).unwrap();
    cluster.run_for(100).unwrap();
    assert!(!cluster.is_paused(old));
    cluster.heal_and_settle(500).unwrap();
    assert_eq!(value(&cluster, old, "p").as_deref(), Some(&b"1"[..]));
}

/// A disk whose sync fails stops its node (the node refuses every later
/// step, as checked by the cluster); the node restarts from what it synced.
#[test]
fn a_failing_sync_stops_the_node_and_it_restarts_from_its_synced_state() {
    let mut cluster = Cluster::builder()
        .nodes(3)
        .seed(30)
        .state_machine(KvMachine::default)
        .build();
    let first = cluster.client_write(1, append("s", "a"));
    cluster.run_until_complete(&[first], 1_000).unwrap();
    cluster.run_for(10).unwrap();
    let follower = cluster
        .ids()
        .into_iter()
        .find(|&id| Some(id) != cluster.leader())
        .unwrap();
    cluster.fail_sync(follower);
    let second = cluster.client_write(1, append("s", "b"));
    cluster.run_until_complete(&[second], 1_000).unwrap();
    assert!(!cluster.is_up(follower), "its disk failed while appending");
    assert_eq!(cluster.sync_failures(), 1);
    cluster.restart(follower);
    cluster.heal_and_settle(1_000).unwrap();
    assert_eq!(value(&cluster, follower, "s").as_deref(), Some(&b"ab"[..]));
    // Stepping a node by hand works as before.
    assert!(cluster.step(follower, Event::Tick).unwrap().is_ok());
}

/// Under clock skew every node ticks at its own seeded rate, and the
/// cluster still elects and commits.
#[test]
fn skewed_clocks_still_elect_and_commit() {
    let skew_only = FaultPlan {
        clock_skew: true,
        ..FaultPlan::none()
    };
    for seed in 0..10 {
        let mut cluster = Cluster::builder()
            .nodes(5)
            .seed(seed)
            .faults(skew_only.clone())
            .state_machine(KvMachine::default)
            .build();
        let rates: Vec<u32> = cluster
            .ids()
            .iter()
            .map(|&id| cluster.clock_rate(id).unwrap())
            .collect();
        assert!(rates.iter().any(|&rate| rate != rates[0]), "{rates:?}");
        let write = cluster.client_write(1, append("c", "1"));
        cluster.run_until_complete(&[write], 2_000).unwrap();
        assert!(
            cluster
                .check_linearizable(KvBytesModel::new())
                .unwrap()
                .is_ok()
        );
    }
}

/// After faults of every kind heal, liveness holds within the stated bound,
/// over many seeds; and `run_seed` does the same with snapshots on.
#[test]
fn liveness_holds_within_its_bound_after_every_fault() {
    for seed in 0..20 {
        let mut cluster = Cluster::builder()
            .nodes(3 + seed % 2 * 2)
            .seed(seed)
            .faults(FaultPlan::all())
            .state_machine(KvMachine::default)
            .build();
        for round in 0..30u64 {
            cluster.client_write(round % 3, append("l", &round.to_string()));
            cluster.run_with_faults(20).unwrap();
        }
        let ticks = cluster.heal_and_check_liveness().unwrap();
        assert!(ticks <= cluster.liveness_bound());
    }
    let options = FuzzOptions {
        snapshot_every: 8,
        ..FuzzOptions::default()
    };
    for seed in 0..40 {
        let report = run_seed(seed, &options).unwrap_or_else(|f| panic!("{f}"));
        assert!(report.client_ops_completed > 0 && report.linearizable);
    }
}

/// Thesis 6.4 liveness: a read whose `ReadProbe` round is lost is still
/// answered by a leader that stays in contact with a majority (the leader
/// starts a new round at its next heartbeat), without any client retry.
#[test]
fn a_read_whose_probe_round_is_lost_is_still_answered() {
    let mut cluster = Cluster::new(3, 17);
    cluster.run_until(500, |c| c.leader().is_some()).unwrap();
    cluster.propose_and_wait(b"x".to_vec(), 500).unwrap();
    let leader = cluster.leader().unwrap();
    for id in cluster.ids() {
        cluster.cut_link(leader, id);
    }
    let read = cluster.read().unwrap().unwrap();
    cluster.tick().unwrap(); // the probes are lost
    cluster.heal();
    let answered = cluster.run_until(500, |c| {
        assert!(
            c.node(leader).unwrap().is_leader(),
            "the leader keeps its majority"
        );
        c.read_answered(read)
    });
    assert!(
        answered.is_ok(),
        "read {read} never answered by a leader in contact"
    );
}

/// Regression (found by `raft-sim` once pauses existed): a candidate paused
/// with its vote grants in flight wins its old term on resume, after later
/// terms committed entries it lacks. That is legal Raft (leader completeness
/// only binds leaders of later terms), and the checker accepts it.
#[test]
fn a_candidate_paused_with_votes_in_flight_may_win_an_old_term() {
    run_seed(0x279, &FuzzOptions::default()).unwrap_or_else(|f| panic!("{f}"));
}

/// Regression (found by a 60,000-seed `raft-sim` soak): a follower that
/// acknowledged index 143 and held stale term-9 entries after it refused
/// the leader's probe with the hint "term 9 from 142"; the leader took a
/// hint at or below the acknowledged index for a late reply and repeated
/// the refused probe until the liveness bound ran out. The rule itself is
/// `a_probe_heeds_a_conflict_hint_below_the_acknowledged_index` in
/// raft-core's rules.
#[test]
fn a_probe_refused_with_a_hint_below_the_match_index_still_converges() {
    run_seed(0x263a2, &FuzzOptions::default()).unwrap_or_else(|f| panic!("{f}"));
}

/// Regression (found by a 20-minute `raft-sim` soak): a leader of term 2
/// committed entries and was deposed by a later event of the same
/// `step_many`, so the checker saw a follower with the new commit index
/// and never recorded the term it was committed in; a candidate elected
/// late for term 1 (by delayed votes) was then held to entries committed in
/// term 2, which Leader Completeness does not ask of it.
#[test]
fn a_commit_by_a_leader_deposed_in_the_same_step_is_recorded_with_its_term() {
    run_seed(0x321013, &FuzzOptions::default()).unwrap_or_else(|f| panic!("{f}"));
}
