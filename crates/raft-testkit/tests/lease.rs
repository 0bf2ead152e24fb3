//! Lease reads under clock skew (thesis 6.4.1): with the clock-rate bound
//! stated truthfully, a deposed leader never answers a stale read from its
//! lease; with a bound the skewed clocks violate, it does, and the read
//! checker catches it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(missing_docs)]

use raft_core::RaftConfig;
use raft_testkit::{Cluster, FaultPlan, KvMachine, SimResult};

/// The simulator's clock skew gives each node a rate in 0.5x..=2x, so one
/// clock can run up to 4x another: the true bound is 4000 per mille.
fn truthful(config: RaftConfig) -> RaftConfig {
    timing(config).with_lease_reads(4000)
}

/// Long timeouts, so a lease outlasts the message delays of an election.
fn timing(config: RaftConfig) -> RaftConfig {
    config
        .with_election_timeout(50, 55)
        .with_heartbeat_interval(5)
}

/// Claims identical clock rates, which the skew violates.
fn violated(config: RaftConfig) -> RaftConfig {
    timing(config).with_lease_reads(1000)
}

/// The worst case the skew allows: the leader's clock at half speed, the
/// others' at double. The leader is cut off while it holds a lease; writes
/// go on through the new leader while reads keep arriving at the old one.
fn depose_and_read(seed: u64, tune: fn(RaftConfig) -> RaftConfig) -> SimResult {
    let mut cluster = Cluster::builder()
        .nodes(3)
        .seed(seed)
        .tune(tune)
        .faults(FaultPlan {
            clock_skew: true,
            ..FaultPlan::none()
        })
        .state_machine(KvMachine::default)
        .build();
    cluster.run_until(1_000, |c| c.leader().is_some())?;
    let old = cluster.leader().expect("a leader");
    for id in cluster.ids() {
        cluster.set_clock_rate(id, if id == old { 500 } else { 2000 });
    }
    for round in 0..5u8 {
        cluster.propose(vec![round])?;
        cluster.run_for(5)?;
    }
    cluster.isolate(old);
    for round in 0..150u8 {
        cluster.propose(vec![round.wrapping_add(100)])?;
        cluster.read_at(old)?;
        cluster.tick()?;
    }
    Ok(())
}

#[test]
fn a_truthful_clock_bound_never_serves_a_stale_lease_read() {
    for seed in 0..20 {
        if let Err(failure) = depose_and_read(seed, truthful) {
            panic!("seed {seed}: {failure}");
        }
    }
}

#[test]
fn a_violated_clock_bound_lets_a_deposed_leader_serve_a_stale_read() {
    let stale = (0..20)
        .filter(|&seed| {
            depose_and_read(seed, violated)
                .is_err_and(|failure| failure.reason.contains("linearizable read"))
        })
        .count();
    assert!(
        stale > 0,
        "no seed showed a stale lease read with a violated bound"
    );
}
