//! What a user of raft-io writes to test their own replicated state
//! machine, through the public API only: their machine (a bank ledger), a
//! sequential model of it, and the test itself: a cluster under every fault
//! at once, client deposits and reads, linearizability and the final state
//! of every node checked, in under 30 lines.

#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use raft_testkit::{Cluster, FaultPlan, Model, SimFailure, StateMachine};

/// A ledger of one account: a command deposits its byte (`[n]`) and answers
/// the new balance; a query (any bytes) reads the balance.
#[derive(Default)]
struct Ledger(u64);

impl StateMachine for Ledger {
    fn apply(&mut self, command: &[u8]) -> Vec<u8> {
        self.0 += command.iter().map(|&b| u64::from(b)).sum::<u64>();
        self.0.to_le_bytes().to_vec()
    }
    fn query(&self, _: &[u8]) -> Vec<u8> {
        self.0.to_le_bytes().to_vec()
    }
    fn snapshot(&self) -> Vec<u8> {
        self.0.to_le_bytes().to_vec()
    }
    fn restore(&mut self, snapshot: &[u8]) {
        self.0 = u64::from_le_bytes(snapshot.try_into().unwrap());
    }
}

/// The ledger's sequential specification: a deposit (non-empty bytes)
/// answers the balance after it, a read (no bytes) the balance; a pending
/// deposit may or may not have happened.
struct LedgerModel;

impl Model for LedgerModel {
    type State = u64;
    type Input = Vec<u8>;
    type Output = Vec<u8>;
    fn init(&self) -> u64 {
        0
    }
    fn step(&self, balance: &u64, input: &Vec<u8>, output: Option<&Vec<u8>>) -> Option<u64> {
        let after = balance + input.iter().map(|&b| u64::from(b)).sum::<u64>();
        let answer = output.map(|bytes| u64::from_le_bytes(bytes.as_slice().try_into().unwrap()));
        let read = input.is_empty();
        let next = if read { *balance } else { after };
        answer.is_none_or(|answer| answer == next).then_some(next)
    }
}

#[test]
fn a_ledger_stays_linearizable_and_consistent_under_every_fault() -> Result<(), SimFailure> {
    for seed in 0..8 {
        let mut cluster = Cluster::builder()
            .nodes(5)
            .seed(seed)
            .faults(FaultPlan::all())
            .snapshot_every(20)
            .state_machine(Ledger::default)
            .build();
        let mut ops = Vec::new();
        for round in 0..40u8 {
            ops.push(cluster.client_write(u64::from(round % 4), vec![round % 7 + 1]));
            ops.push(cluster.client_read(9, Vec::new()));
            cluster.run_with_faults(25)?;
        }
        cluster.heal_and_check_liveness()?;
        cluster.run_until_complete(&ops, 2_000)?;
        assert!(cluster.check_linearizable(LedgerModel)?.is_ok());
        // Every deposit was applied exactly once, on every node.
        cluster.heal_and_settle(1_000)?;
        let total: u64 = (0..40u8).map(|round| u64::from(round % 7 + 1)).sum();
        for id in cluster.ids() {
            let balance = cluster.state_machine(id).unwrap().query(b"");
            assert_eq!(balance, total.to_le_bytes(), "node {id}, seed {seed}");
        }
    }
    Ok(())
}
