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
