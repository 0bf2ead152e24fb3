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
