//! # raft-testkit
//!
//! A deterministic simulated Raft cluster for our tests and yours: N nodes
//! over simulated disks ([`SimLog`], where a crash keeps exactly the synced
//! writes) and a simulated network ([`Network`]) that drops, duplicates,
//! delays, reorders and partitions, all driven from one seed. After every
//! step of every node, the [`SafetyChecker`] verifies Raft's safety
//! properties (Election Safety, Leader Append-Only, Log Matching, Leader
//! Completeness, State Machine Safety) plus apply order and monotonic
//! commit; reads are checked against the writes applied before them. A
//! failure names its seed and the one command that replays it.
//!
//! ## Testing your state machine
//!
//! Implement [`StateMachine`] for your replicated state machine and give the
//! cluster a factory for it ([`ClusterBuilder::state_machine`]): every node
//! runs its own instance. Clients issue [`Cluster::client_write`]s (routed
//! to the leader, resent when leadership moves, applied **exactly once**
//! per replica however often they reach the log) and
//! [`Cluster::client_read`]s (ReadIndex reads answered by the leader's
//! [`StateMachine::query`]); every operation is recorded in a [`History`]
//! that [`Cluster::check_linearizable`] checks against your sequential
//! [`Model`]. [`Cluster::run_with_faults`] injects every fault the
//! [`FaultPlan`] switches on (loss, duplication, delay and reordering,
//! partitions, crashes that lose unsynced writes, failing syncs, clock
//! skew, pauses); [`Cluster::heal_and_check_liveness`] then requires a
//! leader and every acknowledged write applied on every node within
//! [`Cluster::liveness_bound`] ticks.
//!
//! ```
//! use raft_testkit::{Cluster, FaultPlan, Model, StateMachine};
//!
//! /// A counter: a command adds its bytes and answers the new total; a
//! /// query reads the total.
//! #[derive(Default)]
//! struct Counter(u64);
//!
//! impl StateMachine for Counter {
//!     fn apply(&mut self, command: &[u8]) -> Vec<u8> {
//!         self.0 += command.iter().map(|&b| u64::from(b)).sum::<u64>();
//!         self.0.to_le_bytes().to_vec()
//!     }
//!     fn query(&self, _: &[u8]) -> Vec<u8> {
//!         self.0.to_le_bytes().to_vec()
//!     }
//!     fn snapshot(&self) -> Vec<u8> {
//!         self.0.to_le_bytes().to_vec()
//!     }
//!     fn restore(&mut self, snapshot: &[u8]) {
//!         self.0 = snapshot.try_into().map_or(0, u64::from_le_bytes);
//!     }
//! }
//!
//! /// Its sequential specification: an empty input reads, any other adds.
//! struct CounterModel;
//!
//! impl Model for CounterModel {
//!     type State = u64;
//!     type Input = Vec<u8>;
//!     type Output = Vec<u8>;
//!     fn init(&self) -> u64 {
//!         0
//!     }
//!     fn step(&self, total: &u64, input: &Vec<u8>, output: Option<&Vec<u8>>) -> Option<u64> {
//!         let next = total + input.iter().map(|&b| u64::from(b)).sum::<u64>();
//!         let answered = output.map(|bytes| bytes.as_slice() == next.to_le_bytes());
//!         (answered != Some(false)).then_some(next)
//!     }
//! }
//!
//! let mut cluster = Cluster::builder()
//!     .nodes(5)
//!     .seed(7)
//!     .faults(FaultPlan::all())
//!     .snapshot_every(10)
//!     .state_machine(Counter::default)
//!     .build();
//! let mut ops = Vec::new();
//! for i in 0..30u8 {
//!     ops.push(cluster.client_write(1, vec![i]));
//!     ops.push(cluster.client_read(2, Vec::new()));
//!     cluster.run_with_faults(20)?;
//! }
//! cluster.heal_and_check_liveness()?; // within cluster.liveness_bound() ticks
//! cluster.run_until_complete(&ops, 1_000)?;
//! assert!(cluster.check_linearizable(CounterModel)?.is_ok());
//! cluster.heal_and_settle(1_000)?;
//! let total: u64 = (0..30).sum();
//! for id in cluster.ids() {
//!     assert_eq!(cluster.state_machine(id).unwrap().query(b""), total.to_le_bytes());
//! }
//! # Ok::<(), raft_testkit::SimFailure>(())
//! ```
//!
//! A key-value store is built in: [`KvMachine`], its byte encoding in
//! [`kv`], and [`KvBytesModel`] to check its histories; [`run_seed`] runs
//! it under every fault at once for one seed, and `raft-sim` for many.
//!
//! With the feature `wal`, the same checked cluster runs over real files:
//! `WalDisk` puts each node's `WalLog` in a temporary directory, and a
//! crash cuts `log.wal` back to what was synced (or tears its last record)
//! before recovering it with `WalLog::open`; `run_seed_durable` is the
//! randomised run over it.
//!
//! ```
//! use raft_testkit::{Cluster, FaultPlan};
//!
//! let mut cluster = Cluster::builder().nodes(5).seed(3).faults(FaultPlan::all()).build();
//! cluster.run_for(300).unwrap();
//! cluster.heal_and_settle(1_000).unwrap();
//! assert!(cluster.leader().is_some());
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod builder;
mod checker;
mod client_ops;
mod cluster;
mod disk;
mod envelope;
mod failure;
mod fuzz;
mod interaction;
pub mod kv;
mod linearizability;
mod network;
mod rng;
mod sim_log;
mod state;
mod state_machine;
#[cfg(feature = "wal")]
mod wal_disk;
mod workload;

pub use builder::ClusterBuilder;
pub use checker::{SafetyChecker, Violation};
pub use cluster::Cluster;
pub use disk::SimDisk;
pub use failure::{SimFailure, SimResult};
#[cfg(feature = "wal")]
pub use fuzz::run_seed_durable;
pub use fuzz::{FuzzOptions, FuzzReport, run_seed};
pub use interaction::{Interaction, run_script};
pub use kv::{KvBytesModel, KvMachine};
pub use linearizability::{
    Budget, History, HistoryError, Inconclusive, KvInput, KvModel, KvOutput, KvValue, Limit,
    LinearizabilityChecker, Model, NonLinearizable, OpId, Operation, Partition, Verdict,
    check_linearizable,
};
pub use network::{FaultPlan, InFlight, Network};
pub use rng::SimRng;
pub use sim_log::{AppendRecord, SimLog};
pub use state_machine::StateMachine;
#[cfg(feature = "wal")]
pub use wal_disk::{CrashMode, WAL_DIR_ENV, WalDisk};
