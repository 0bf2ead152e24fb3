//! The two ways of taking and restoring a snapshot mean the same: machines
//! that answer hints with three `Event::SnapshotPiece`s and restore from
//! the log (`with_restore_from_log`) run exactly as machines that answer
//! with one whole `Event::Snapshot` and restore from `RestoreSnapshot`'s
//! data: the same messages, the same compactions, the same installs.

#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use raft_core::RaftLog;
use raft_testkit::{Cluster, FaultPlan};

/// Runs a 3-node cluster in which node 3 is away while the others compact,
/// then comes back and must install a snapshot; returns what it observed.
fn run(pieces: usize, from_log: bool) -> (u64, Vec<(u64, u64, u64)>) {
    let mut cluster = Cluster::builder()
        .nodes(3)
        .seed(11)
        .faults(FaultPlan::none())
        .snapshot_every(5)
        .snapshot_pieces(pieces)
        .restore_from_log(from_log)
        .build();
    cluster.run_for(60).unwrap();
    cluster.isolate(3);
    for n in 0..40 {
        cluster.propose(format!("w{n}").into_bytes()).unwrap();
        cluster.run_for(3).unwrap();
    }
    cluster.heal_and_settle(400).unwrap();
    let nodes = cluster
        .ids()
        .into_iter()
        .map(|id| {
            let node = cluster.node(id).unwrap();
            (
                node.log().snapshot_index(),
                node.last_applied(),
                node.log().snapshot_len(),
            )
        })
        .collect();
    (cluster.snapshot_chunks_delivered(), nodes)
}

#[test]
fn snapshots_in_pieces_restored_from_the_log_run_as_whole_ones_do() {
    let whole = run(1, false);
    let (chunks, nodes) = &whole;
    assert!(*chunks > 0, "node 3 caught up by snapshot: {whole:?}");
    assert!(
        nodes.iter().all(|&(snapshot, ..)| snapshot > 0),
        "{whole:?}"
    );
    assert_eq!(run(3, true), whole);
    assert_eq!(run(3, false), whole);
    assert_eq!(run(1, true), whole);
}
