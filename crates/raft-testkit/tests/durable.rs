//! The checked cluster over real files (`WalDisk`): crashes cut `log.wal`
//! back to its last synced length, or tear its last record, and every
//! restart is a real `WalLog::open` recovery.

#![cfg(feature = "wal")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use raft_core::{HardState, LogEntry, RaftLog, Snapshot};
use raft_testkit::{
    ClusterBuilder, CrashMode, FaultPlan, FuzzOptions, SimDisk, WalDisk, run_seed, run_seed_durable,
};

fn entry(term: u64, index: u64, text: &str) -> LogEntry {
    LogEntry::new(term, index, text.as_bytes().to_vec())
}

#[test]
fn a_crash_keeps_exactly_the_synced_writes() {
    let mut disk = WalDisk::create(1, 1).unwrap().with_mode(CrashMode::Synced);
    disk.append(&[entry(1, 1, "a"), entry(1, 2, "b")]).unwrap();
    disk.set_hard_state(HardState {
        term: 1,
        voted_for: Some(2),
    })
    .unwrap();
    disk.sync().unwrap();
    // Unsynced: a truncation, a new entry, a new term. All lost.
    disk.truncate(2).unwrap();
    disk.append(&[entry(2, 2, "c")]).unwrap();
    disk.set_hard_state(HardState {
        term: 2,
        voted_for: None,
    })
    .unwrap();
    assert_eq!(disk.entries_truncated(), 1);
    assert_eq!(disk.appended().len(), 3);
    let disk = SimDisk::crash(disk).unwrap();
    assert_eq!(disk.last_index(), 2);
    assert_eq!(disk.entry(2).unwrap().command, b"b");
    assert_eq!(
        disk.hard_state(),
        HardState {
            term: 1,
            voted_for: Some(2)
        }
    );
    assert!(disk.appended().is_empty());
    assert_eq!(disk.entries_truncated(), 0);
    assert_eq!((disk.crashes(), disk.torn_crashes()), (1, 0));
}

/// A disk crashing in `mode` whose entry 1 (`"synced"`) is synced, then
/// holding `unsynced` as entries 2, 3, ... not yet synced.
fn disk_with_unsynced(seed: u64, mode: CrashMode, unsynced: &[&str]) -> WalDisk {
    let mut disk = WalDisk::create(1, seed).unwrap().with_mode(mode);
    disk.append(&[entry(1, 1, "synced")]).unwrap();
    disk.sync().unwrap();
    for (command, index) in unsynced.iter().zip(2..) {
        disk.append(&[entry(1, index, command)]).unwrap();
    }
    disk
}

/// The recovered log is a valid log: it takes the next append, durably.
fn assert_takes_the_next_append(disk: WalDisk) {
    let mut disk = disk;
    let next = disk.last_index() + 1;
    disk.append(&[entry(2, next, "after")]).unwrap();
    disk.sync().unwrap();
    let disk = SimDisk::crash(disk).unwrap();
    assert_eq!(disk.entry(next).unwrap().command, b"after");
}

#[test]
fn a_torn_last_record_is_cut_and_earlier_unsynced_records_may_survive() {
    for seed in 0..40 {
        let whole = "whole";
        let torn = "torn, with a longer command to tear";
        let disk = disk_with_unsynced(seed, CrashMode::TornTail, &[whole, torn]);
        let disk = SimDisk::crash(disk).unwrap();
        assert_eq!(disk.torn_crashes(), 1, "seed {seed}");
        // The torn record is gone; the whole unsynced record before it was
        // written completely, so it survives like it may on a real disk.
        assert_eq!(disk.last_index(), 2, "seed {seed}");
        assert_eq!(disk.entry(2).unwrap().command, b"whole");
        assert_takes_the_next_append(disk);
    }
}

#[test]
fn a_lost_earlier_unsynced_record_restarts_from_the_state_before_it() {
    for seed in 0..20 {
        let unsynced = ["unsynced 2", "unsynced 3", "unsynced 4, after the hole"];
        let disk = disk_with_unsynced(seed, CrashMode::LostEarlier, &unsynced);
        let disk = SimDisk::crash(disk).unwrap();
        assert_eq!(disk.torn_crashes(), 1, "seed {seed}");
        // Entry 2 or 3 was lost: the log ends just before it, and never
        // keeps what followed the hole.
        let last = disk.last_index();
        assert!((1..=2).contains(&last), "seed {seed}: last index {last}");
        assert_eq!(disk.entry(1).unwrap().command, b"synced");
        assert_takes_the_next_append(disk);
    }
}

#[test]
fn a_snapshot_is_durable_when_apply_snapshot_returns() {
    let mut disk = WalDisk::create(1, 2).unwrap().with_mode(CrashMode::Synced);
    disk.append(&[entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")])
        .unwrap();
    disk.apply_snapshot(&Snapshot::with_config(2, 1, vec![1, 2, 3], b"s".to_vec()))
        .unwrap();
    assert_eq!(disk.synced_len(), {
        let path = disk.path().join(raft_log_wal::WAL_FILE_NAME);
        std::fs::metadata(path).unwrap().len()
    });
    let disk = SimDisk::crash(disk).unwrap();
    assert_eq!(disk.snapshot_index(), 2);
    assert_eq!(disk.snapshot().unwrap().config, vec![1, 2, 3]);
    assert_eq!(
        disk.last_index(),
        3,
        "the entry after the snapshot was kept"
    );
}

/// A hand-driven run with crashes every few ticks, between steps and inside
/// them (between the writes and the fsync): crashes happen, torn ones and
/// ones that lose an earlier unsynced record too, snapshots are taken, and
/// every property holds throughout.
#[test]
fn a_durable_cluster_survives_crashes_torn_writes_and_snapshots() {
    let mut cluster = ClusterBuilder::<WalDisk>::new()
        .nodes(3)
        .seed(11)
        .faults(FaultPlan {
            crashes: true,
            ..FaultPlan::all()
        })
        .snapshot_every(8)
        .disks(|id, seed| {
            // One node per way a crash can damage unsynced writes.
            let mode = match id {
                1 => CrashMode::TornTail,
                2 => CrashMode::LostEarlier,
                _ => CrashMode::Mixed,
            };
            Ok(WalDisk::create(id, seed)?.with_mode(mode))
        })
        .try_build()
        .unwrap();
    let mut next = 0u32;
    for round in 0..600u64 {
        cluster.tick().unwrap_or_else(|f| panic!("{f}"));
        if round % 2 == 0 {
            next += 1;
            cluster.propose(next.to_le_bytes().to_vec()).unwrap();
        }
        let victim = 1 + round / 60 % 3;
        if round % 120 == 30 {
            cluster.try_crash(victim).unwrap_or_else(|f| panic!("{f}"));
        }
        if round % 120 == 90 {
            // Dies between its next writes and their fsync.
            cluster.crash_at_next_sync(victim);
        }
        if round % 60 == 50 {
            cluster.restart(1 + round / 60 % 3);
        }
    }
    cluster
        .heal_and_settle(2_000)
        .unwrap_or_else(|f| panic!("{f}"));
    let index = cluster
        .propose_and_wait(b"final".to_vec(), 2_000)
        .unwrap_or_else(|f| panic!("{f}"));
    assert!(cluster.all_applied_through(index));
    let (mut crashes, mut torn, mut snapshots) = (0, 0, 0);
    for id in cluster.ids() {
        let disk = cluster.node(id).unwrap().log();
        crashes += disk.crashes();
        torn += disk.torn_crashes();
        snapshots += u64::from(disk.snapshot_index() > 0);
    }
    assert!(crashes >= 8, "{crashes} crashes");
    assert!(torn > 0, "no crash tore a record");
    assert_eq!(snapshots, 3, "every node compacted");
}

/// The durable randomised runs (CI runs 500 through `raft-sim --wal`).
#[test]
fn durable_seeds_keep_every_property() {
    let options = FuzzOptions {
        ticks: 300,
        snapshot_every: 25,
        ..FuzzOptions::default()
    };
    for seed in 0..8 {
        run_seed_durable(seed, &options).unwrap_or_else(|f| panic!("{f}"));
    }
}

/// Snapshots under every fault, in memory too (the same hint answering the
/// durable runs rely on).
#[test]
fn in_memory_seeds_with_snapshots_keep_every_property() {
    let options = FuzzOptions {
        snapshot_every: 25,
        ..FuzzOptions::default()
    };
    for seed in 0..40 {
        run_seed(seed, &options).unwrap_or_else(|f| panic!("{f}"));
    }
}
