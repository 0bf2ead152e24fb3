//! Fault schedules chosen by proptest: any sequence of partitions, one-way
//! cuts, crashes (between steps and inside one, before its sync), restarts,
//! proposals and reads, on top of a lossy, duplicating, reordering network,
//! must keep every safety property after every step, and the cluster must
//! recover once the faults heal. A failure shrinks to a minimal schedule,
//! which proptest prints with the seed.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use proptest::collection::vec;
use proptest::prelude::*;
use raft_testkit::{Cluster, FaultPlan, SimResult};

/// One scheduled action. Node numbers are taken modulo the cluster size.
#[derive(Clone, Debug)]
enum Fault {
    Run(u8),
    Propose,
    Read,
    Isolate(u8),
    Split(Vec<bool>),
    CutLink(u8, u8),
    Heal,
    Crash(u8),
    CrashAtSync(u8),
    Restart(u8),
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => (1u8..40).prop_map(Fault::Run),
        3 => Just(Fault::Propose),
        1 => Just(Fault::Read),
        1 => any::<u8>().prop_map(Fault::Isolate),
        1 => vec(any::<bool>(), 5).prop_map(Fault::Split),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Fault::CutLink(a, b)),
        1 => Just(Fault::Heal),
        1 => any::<u8>().prop_map(Fault::Crash),
        1 => any::<u8>().prop_map(Fault::CrashAtSync),
        1 => any::<u8>().prop_map(Fault::Restart),
    ]
}

fn apply(cluster: &mut Cluster, fault: &Fault) -> SimResult {
    let ids = cluster.ids();
    let node = |n: &u8| ids[usize::from(*n) % ids.len()];
    match fault {
        Fault::Run(ticks) => cluster.run_for(u64::from(*ticks))?,
        Fault::Propose => {
            cluster.propose(format!("w{}", cluster.now()).into_bytes())?;
        }
        Fault::Read => {
            cluster.read()?;
        }
        Fault::Isolate(n) => cluster.isolate(node(n)),
        Fault::Split(sides) => {
            let (left, right): (Vec<_>, Vec<_>) =
                ids.iter().zip(sides).partition(|(_, left)| **left);
            let left = left.into_iter().map(|(id, _)| *id).collect();
            let right = right.into_iter().map(|(id, _)| *id).collect();
            cluster.partition(&[left, right]);
        }
        Fault::CutLink(a, b) => cluster.cut_link(node(a), node(b)),
        Fault::Heal => cluster.heal(),
        Fault::Crash(n) => cluster.crash(node(n)),
        Fault::CrashAtSync(n) => cluster.crash_at_next_sync(node(n)),
        Fault::Restart(n) => cluster.restart(node(n)),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_fault_schedule_keeps_raft_safe_and_recovers(
        seed in any::<u64>(),
        five in any::<bool>(),
        schedule in vec(fault(), 1..50),
    ) {
        // The network misbehaves throughout; the schedule adds the rest.
        let network_faults = FaultPlan { partitions: false, crashes: false, ..FaultPlan::all() };
        let mut cluster = Cluster::builder()
            .nodes(if five { 5 } else { 3 })
            .seed(seed)
            .faults(network_faults)
            .build();
        for fault in &schedule {
            if let Err(failure) = apply(&mut cluster, fault) {
                prop_assert!(false, "{failure}\n  during {fault:?}");
            }
        }
        if let Err(failure) = cluster
            .heal_and_settle(2_000)
            .and_then(|()| cluster.propose_and_wait(b"after".to_vec(), 2_000).map(drop))
        {
            prop_assert!(false, "{failure}");
        }
    }
}
