//! Record version 1 (before sync marks and command checksums) still opens;
//! new records are version 2, and a compaction rewrites the old entries as
//! version 2, checksums included.

// Tests assert by unwrapping; helper functions outside `#[test]` need the
// allowance spelled out (clippy.toml covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use raft_core::{HardState, LogEntry, RaftLog, Snapshot};
use raft_log_wal::{WAL_FILE_NAME, WalLog};

/// A version-1 `ENTRIES` record body of one entry.
fn v1_entry(index: u64, term: u64, command: &[u8]) -> Vec<u8> {
    let mut body = vec![1, 1];
    body.extend_from_slice(&index.to_le_bytes());
    body.extend_from_slice(&1u32.to_le_bytes());
    body.extend_from_slice(&term.to_le_bytes());
    body.push(0);
    body.extend_from_slice(&u32::try_from(command.len()).unwrap().to_le_bytes());
    body.extend_from_slice(command);
    body
}

#[test]
fn a_version_1_log_still_opens_and_compaction_upgrades_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let wal = wal_db::Wal::open(dir.path().join(WAL_FILE_NAME)).unwrap();
        let mut hard_state = vec![1, 3];
        hard_state.extend_from_slice(&2u64.to_le_bytes());
        hard_state.push(1);
        hard_state.extend_from_slice(&3u64.to_le_bytes());
        for body in [
            v1_entry(1, 1, b"one"),
            v1_entry(2, 2, b"two-two"),
            hard_state,
        ] {
            let _ = wal.append(&body).unwrap();
        }
        wal.sync().unwrap();
    }
    let mut log = WalLog::open(dir.path()).unwrap();
    let expected_state = HardState {
        term: 2,
        voted_for: Some(3),
    };
    assert_eq!(log.hard_state(), expected_state);
    assert_eq!(log.entry(2).unwrap().command, b"two-two");
    log.append(&[LogEntry::new(2, 3, b"three".to_vec())])
        .unwrap();
    log.sync().unwrap();
    drop(log);

    let mut log = WalLog::open(dir.path()).unwrap();
    let commands: Vec<_> = log.entries(1, 3).into_iter().map(|e| e.command).collect();
    assert_eq!(commands, [&b"one"[..], b"two-two", b"three"]);
    log.apply_snapshot(&Snapshot::new(1, 1, b"s".to_vec()))
        .unwrap();
    drop(log);

    // Entry 2 was rewritten as version 2: damage to it after open is caught.
    let log = WalLog::open(dir.path()).unwrap();
    assert_eq!(log.hard_state(), expected_state);
    let path = dir.path().join(WAL_FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(7).position(|w| w == b"two-two").unwrap();
    bytes[at] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(log.entry(2), None);
    assert!(log.read_error().is_some());
    assert_eq!(log.entry(3).unwrap().command, b"three");
}
