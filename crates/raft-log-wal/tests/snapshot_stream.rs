//! Snapshots written and read in pieces: nothing of a snapshot is held
//! whole, a partial one never becomes the log's, and damage to a stored one
//! is reported when it is read, never returned.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::io::Read;

use raft_core::log::{SnapshotReader, SnapshotStage};
use raft_core::{LogEntry, Membership, RaftLog};
use raft_log_wal::WalLog;

fn log_with_entries(dir: &std::path::Path, count: u64) -> WalLog {
    let mut log = WalLog::open(dir).unwrap();
    let batch: Vec<_> = (1..=count)
        .map(|i| LogEntry::new(1, i, vec![i as u8; 8]))
        .collect();
    log.append(&batch).unwrap();
    log.sync().unwrap();
    log
}

fn snapshot_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("snapshot-"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_staged_snapshot_is_installed_and_survives_a_reopen_with_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = log_with_entries(dir.path(), 5);
    let joint = Membership::from_parts(vec![1, 2, 3], vec![1, 2, 4], vec![5]);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    log.stage_begin(SnapshotStage::FromLeader).unwrap();
    for piece in data.chunks(33_333) {
        log.stage_write(SnapshotStage::FromLeader, piece).unwrap();
    }
    assert_eq!(
        log.snapshot_index(),
        0,
        "staged bytes are not the log's yet"
    );
    log.stage_install(SnapshotStage::FromLeader, 3, 1, &joint)
        .unwrap();
    assert_eq!((log.snapshot_index(), log.last_index()), (3, 5));
    drop(log);

    let log = WalLog::open(dir.path()).unwrap();
    assert_eq!(log.snapshot_len(), data.len() as u64);
    assert_eq!(log.snapshot_membership(), Some(joint));
    let mut read = Vec::new();
    SnapshotReader::new(&log).read_to_end(&mut read).unwrap();
    assert_eq!(read, data);
    assert_eq!(log.entry(4).unwrap().command, vec![4u8; 8]);
}

#[test]
fn a_partial_snapshot_is_gone_after_a_crash_and_the_log_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = log_with_entries(dir.path(), 5);
    log.stage_begin(SnapshotStage::FromApplication).unwrap();
    log.stage_write(SnapshotStage::FromApplication, &[9; 100_000])
        .unwrap();
    assert_eq!(snapshot_files(dir.path()).len(), 1, "the staging file");
    drop(log); // a crash before the last piece

    let log = WalLog::open(dir.path()).unwrap();
    assert_eq!(snapshot_files(dir.path()), Vec::<String>::new());
    assert_eq!((log.snapshot_index(), log.last_index()), (0, 5));
}

#[test]
fn a_discarded_or_superseded_stage_leaves_one_snapshot_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = log_with_entries(dir.path(), 6);
    let voters = Membership::new([1, 2, 3]);
    log.stage_begin(SnapshotStage::FromLeader).unwrap();
    log.stage_write(SnapshotStage::FromLeader, b"dropped")
        .unwrap();
    log.stage_discard(SnapshotStage::FromLeader);
    for index in [2, 4] {
        log.stage_begin(SnapshotStage::FromApplication).unwrap();
        log.stage_write(SnapshotStage::FromApplication, b"state")
            .unwrap();
        log.stage_install(SnapshotStage::FromApplication, index, 1, &voters)
            .unwrap();
    }
    // Not newer than the stored one: dropped, the stored one stays.
    log.stage_begin(SnapshotStage::FromLeader).unwrap();
    log.stage_install(SnapshotStage::FromLeader, 3, 1, &voters)
        .unwrap();
    assert_eq!(log.snapshot_index(), 4);
    assert_eq!(
        snapshot_files(dir.path()),
        vec![format!("snapshot-{:020}-{:020}.snap", 4, 1)]
    );
}

#[test]
fn a_snapshot_damaged_after_open_fails_its_read_and_latches_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = log_with_entries(dir.path(), 3);
    log.stage_begin(SnapshotStage::FromLeader).unwrap();
    log.stage_write(SnapshotStage::FromLeader, &[1; 150_000])
        .unwrap();
    log.stage_install(SnapshotStage::FromLeader, 2, 1, &Membership::new([1]))
        .unwrap();
    let path = dir.path().join(&snapshot_files(dir.path())[0]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100_000] ^= 0x40; // in the second block
    std::fs::write(&path, &bytes).unwrap();

    assert_eq!(
        log.snapshot_chunk(0, 1000),
        vec![1; 1000],
        "block 0 is intact"
    );
    assert_eq!(log.read_error(), None);
    assert!(log.snapshot_chunk(70_000, 1000).is_empty());
    let error = log.read_error().unwrap().to_string();
    assert!(error.contains("checksum mismatch"), "{error}");
    assert!(log.sync().is_err(), "a latched read error stops the log");
    let mut reader = SnapshotReader::new(&log);
    assert!(reader.read_to_end(&mut Vec::new()).is_err());
}

#[test]
fn a_detached_reader_names_its_snapshot_and_outlives_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = log_with_entries(dir.path(), 6);
    assert!(log.snapshot_file_reader().unwrap().is_none());
    let voters = Membership::new([1]);
    log.stage_begin(SnapshotStage::FromLeader).unwrap();
    log.stage_write(SnapshotStage::FromLeader, b"first")
        .unwrap();
    log.stage_install(SnapshotStage::FromLeader, 2, 1, &voters)
        .unwrap();
    let mut reader = log.snapshot_file_reader().unwrap().unwrap();
    assert_eq!(
        (
            reader.index(),
            reader.term(),
            reader.len(),
            reader.is_empty()
        ),
        (2, 1, 5, false)
    );
    // A newer snapshot removes the old file; the open reader still reads it.
    log.stage_begin(SnapshotStage::FromLeader).unwrap();
    log.stage_install(SnapshotStage::FromLeader, 4, 1, &voters)
        .unwrap();
    let mut data = Vec::new();
    reader.read_to_end(&mut data).unwrap();
    assert_eq!(data, b"first");
    let empty = log.snapshot_file_reader().unwrap().unwrap();
    assert_eq!((empty.index(), empty.len(), empty.is_empty()), (4, 0, true));
}
