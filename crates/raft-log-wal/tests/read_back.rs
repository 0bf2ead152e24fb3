//! Reading back after open: a command that cannot be read (the file cut
//! short under the log) or that fails its checksum (bit rot after open) is
//! never handed out; the failure is latched and reported by
//! `RaftLog::read_error`, which the node checks after every step.

// Tests assert by unwrapping and index freely; helper functions outside
// `#[test]` need the allowance spelled out (clippy.toml covers only tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::path::Path;

use raft_core::{Error, LogEntry, RaftLog};
use raft_log_wal::{WAL_FILE_NAME, WalLog};

fn storage_detail(error: Option<Error>) -> String {
    match error {
        Some(Error::Storage { detail, .. }) => detail,
        other => panic!("expected a storage error, got {other:?}"),
    }
}

/// A log of `n` entries, one record each, synced; command `i` is 40 bytes
/// of `i`.
fn log_of(dir: &Path, n: u64) -> WalLog {
    let mut wal = WalLog::open(dir).unwrap();
    for i in 1..=n {
        wal.append(&[LogEntry::new(1, i, vec![i as u8; 40])])
            .unwrap();
    }
    wal.sync().unwrap();
    wal
}

#[test]
fn a_failed_read_after_open_is_latched_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let wal = log_of(dir.path(), 4);
    assert_eq!(wal.read_error(), None);
    let path = dir.path().join(WAL_FILE_NAME);
    let len = std::fs::metadata(&path).unwrap().len();
    // The file loses its last 60 bytes under the open log.
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len - 60).unwrap();
    let read = wal.entries(1, 4);
    assert!(read.len() < 4, "entry 4 is gone, yet read back");
    for (entry, i) in read.iter().zip(1u64..) {
        assert_eq!(entry.command, vec![i as u8; 40], "only intact entries");
    }
    let detail = storage_detail(wal.read_error());
    assert!(detail.contains("log.wal"), "{detail}");
    // Latched: reads that succeed later do not clear it.
    assert!(wal.entry(1).is_some());
    assert!(wal.read_error().is_some());
}

/// Flips one bit in the command of entry `i` (40 bytes of `i`) in the file.
fn flip_command_bit(dir: &Path, i: u8) -> usize {
    let path = dir.join(WAL_FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(40)
        .position(|w| w.iter().all(|&b| b == i))
        .unwrap();
    bytes[at + 17] ^= 0x08;
    std::fs::write(&path, bytes).unwrap();
    at
}

// Bit rot after open: the record checksums were verified on open, but the
// command is read back from the file later. Its own checksum catches the
// damage: the read stops before it and the failure names file and offset.
#[test]
fn a_command_damaged_after_open_is_reported_never_returned() {
    let dir = tempfile::tempdir().unwrap();
    let wal = log_of(dir.path(), 4);
    let at = flip_command_bit(dir.path(), 3);
    assert_eq!(wal.entry(3), None);
    let detail = storage_detail(wal.read_error());
    assert!(detail.contains("log.wal"), "{detail}");
    assert!(detail.contains(&format!("byte offset {at}")), "{detail}");
    assert!(detail.contains("checksum"), "{detail}");
    // Bulk reads return at most the intact prefix, never the damaged bytes.
    let read = wal.entries(1, 4);
    assert!(read.len() <= 2, "{} entries", read.len());
    assert!(read.iter().all(|e| e.command == vec![e.index as u8; 40]));
    assert!(wal.entries_bounded(3, 4, 1).is_empty());
    assert_eq!(wal.entry(1).unwrap().command, vec![1; 40]);
}

// The same through a node: it stops with Error::Storage rather than apply
// a command damaged after open.
#[test]
fn a_node_stops_rather_than_apply_a_command_damaged_after_open() {
    use raft_core::{Action, Event, RaftConfig, RaftNode};
    let dir = tempfile::tempdir().unwrap();
    let wal = log_of(dir.path(), 3);
    let mut node = RaftNode::with_log(RaftConfig::single(1), wal);
    flip_command_bit(dir.path(), 2);
    let mut outcome = None;
    for _ in 0..100 {
        match node.step(Event::Tick) {
            Ok(actions) => {
                for action in actions {
                    if let Action::Apply { index, command, .. } = action {
                        assert_eq!(command, vec![index as u8; 40], "damaged bytes applied");
                    }
                }
            }
            Err(error) => {
                outcome = Some(error);
                break;
            }
        }
    }
    let detail = storage_detail(outcome);
    assert!(detail.contains("checksum"), "{detail}");
    assert!(node.step(Event::Tick).is_err(), "the node stays stopped");
}

// A compaction copies the live entries into a new file: a command damaged
// after open is not copied, and the snapshot fails with Error::Storage
// naming the file and offset.
#[test]
fn a_compaction_never_copies_a_damaged_command() {
    use raft_core::Snapshot;
    let dir = tempfile::tempdir().unwrap();
    let mut wal = log_of(dir.path(), 4);
    let at = flip_command_bit(dir.path(), 3);
    let error = wal
        .apply_snapshot(&Snapshot::new(1, 1, b"s".to_vec()))
        .unwrap_err();
    let detail = storage_detail(Some(error));
    assert!(detail.contains("log.wal"), "{detail}");
    assert!(detail.contains(&format!("byte offset {at}")), "{detail}");
    drop(wal);
    // The old log is still the log, and reopening sees the damage too (its
    // record checksum fails, and the synced record after it proves it is not
    // a lost write): refused, never silently repaired.
    let detail = match WalLog::open(dir.path()) {
        Err(Error::Storage { detail, .. }) => detail,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(detail.contains("synced data"), "{detail}");
}
