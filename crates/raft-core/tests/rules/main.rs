//! Per-rule unit tests of the Raft state machine: each test hand-drives one
//! or a few nodes through one rule of the paper or thesis and asserts the
//! exact actions returned, so an extra or a missing message fails it.

// Test code asserts by unwrapping and panicking; helpers outside `#[test]`
// functions do too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(missing_docs, unreachable_pub, dead_code)]
#![allow(clippy::cast_possible_truncation)]

mod common;
mod mini_cluster;

mod bad_input;
mod check_quorum;
mod commit;
mod election;
mod membership;
mod monotonic;
mod net;
mod persistence;
mod pre_vote;
mod proposal;
mod proposal_size;
mod read_index;
mod replication;
mod shared_commands;
mod snapshot;
mod snapshot_staging;
mod step_many;
mod stickiness;
mod storage_failure;
mod term_ceiling;
mod transfer;
