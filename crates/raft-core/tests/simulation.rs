//! Whole-cluster properties, on the deterministic simulator: safety under
//! every fault at once, and the liveness and stability bounds the design
//! promises. (`cargo xtask ci` also runs 5,000 release-mode seeds.)

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use raft_core::{RaftLog, Role};
use raft_testkit::{Cluster, FaultPlan, FuzzOptions, run_seed};

/// Raft paper Figure 3 (all five safety properties), checked after every
/// step by the testkit, under loss, duplication, reordering, partitions and
/// crashes, with liveness after healing.
#[test]
fn safety_holds_under_every_fault_at_once() {
    let options = FuzzOptions::default();
    for seed in 0..60 {
        if let Err(failure) = run_seed(seed, &options) {
            panic!("{failure}");
        }
    }
}

/// Thesis 6.2 (check-quorum): a leader cut off in a minority steps down
/// within two election timeouts.
#[test]
fn minority_leader_steps_down_within_two_election_timeouts() {
    for seed in 0..20 {
        let mut cluster = Cluster::new(5, seed);
        cluster.run_until(500, |c| c.leader().is_some()).unwrap();
        let leader = cluster.leader().unwrap();
        let (_, timeout_max) = cluster.node(leader).unwrap().config().election_timeout();
        cluster.isolate(leader);
        let cut_at = cluster.now();
        cluster
            .run_until(2 * u64::from(timeout_max), |c| {
                c.node(leader).unwrap().role() != Role::Leader
            })
            .unwrap_or_else(|failure| panic!("{failure}"));
        assert!(cluster.now() - cut_at <= 2 * u64::from(timeout_max));
    }
}

/// Thesis 9.6 and 4.2.3: a node partitioned away and rejoining does not
/// depose a healthy leader (its term never moved while it was alone).
#[test]
fn rejoining_node_does_not_depose_a_healthy_leader() {
    for seed in 0..20 {
        let mut cluster = Cluster::new(3, seed);
        cluster.propose_and_wait(b"before".to_vec(), 1000).unwrap();
        let leader = cluster.leader().unwrap();
        let term = cluster.node(leader).unwrap().term();
        let follower = cluster.ids().into_iter().find(|&id| id != leader).unwrap();
        cluster.isolate(follower);
        cluster.run_for(200).unwrap();
        assert_eq!(
            cluster.node(follower).unwrap().term(),
            term,
            "pre-vote keeps an isolated node's term still"
        );
        cluster.heal();
        cluster.run_for(200).unwrap();
        assert_eq!(cluster.leader(), Some(leader), "seed {seed}");
        assert_eq!(cluster.node(leader).unwrap().term(), term, "seed {seed}");
        let last = cluster.node(leader).unwrap().log().last_index();
        assert!(
            cluster.all_applied_through(last),
            "the rejoined node caught up"
        );
    }
}

/// Thesis 9.6: without pre-vote the same scenario does disrupt the leader
/// (the isolated node's term climbs), which is what the rule prevents.
#[test]
fn without_pre_vote_a_rejoining_node_inflates_its_term() {
    let mut cluster = Cluster::builder()
        .nodes(3)
        .seed(4)
        .tune(|config| config.with_pre_vote(false))
        .build();
    cluster.propose_and_wait(b"x".to_vec(), 1000).unwrap();
    let leader = cluster.leader().unwrap();
    let term = cluster.node(leader).unwrap().term();
    let follower = cluster.ids().into_iter().find(|&id| id != leader).unwrap();
    cluster.isolate(follower);
    cluster.run_for(200).unwrap();
    assert!(cluster.node(follower).unwrap().term() > term);
}

/// Reads stay linearizable under faults: the cluster checks every
/// `ReadReady` index against the writes applied before the read was issued.
#[test]
fn reads_under_partitions_are_never_stale() {
    let faults = FaultPlan {
        crashes: false,
        ..FaultPlan::all()
    };
    for seed in 100..130 {
        let mut cluster = Cluster::builder()
            .nodes(3)
            .seed(seed)
            .faults(faults.clone())
            .build();
        for round in 0..300u64 {
            cluster.tick().unwrap_or_else(|f| panic!("{f}"));
            if round % 3 == 0 {
                cluster.propose(round.to_le_bytes().to_vec()).unwrap();
            }
            if round % 2 == 0 {
                cluster.read().unwrap_or_else(|f| panic!("{f}"));
            }
            if round % 50 == 25 {
                let victim = cluster.leader().unwrap_or(1);
                cluster.isolate(victim);
            }
            if round % 50 == 45 {
                cluster.heal();
            }
        }
    }
}
