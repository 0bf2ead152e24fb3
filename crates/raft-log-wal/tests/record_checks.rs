//! Records that frame correctly (wal-db's CRC matches) but break a rule of
//! the record format are refused on open with the rule they break, naming
//! `log.wal` and the record's byte offset (`docs/PROTOCOL.md` §10, "Record
//! format"): each check is pinned at its exact boundary here.

// Tests assert by unwrapping; helper functions outside `#[test]` need the
// allowance spelled out (clippy.toml covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use raft_core::{Error, LogEntry, RaftLog};
use raft_log_wal::{WAL_FILE_NAME, WalLog};

const VERSION_1: u8 = 1;
const VERSION_2: u8 = 2;
const TAG_ENTRIES: u8 = 1;
const TAG_HARD_STATE: u8 = 3;

/// A log of entries 1..=4, synced; new entries continue at 5.
fn four_entries(dir: &Path) {
    let mut wal = WalLog::open(dir).unwrap();
    let batch: Vec<_> = (1..=4).map(|i| LogEntry::new(1, i, vec![1; 8])).collect();
    wal.append(&batch).unwrap();
    wal.sync().unwrap();
}

/// The start of a record body: version, tag, and for version 2 a sync mark.
fn header(version: u8, tag: u8) -> Vec<u8> {
    let mut body = vec![version, tag];
    if version == VERSION_2 {
        body.extend_from_slice(&0u64.to_le_bytes());
    }
    body
}

/// An `ENTRIES` body claiming `count` entries from `first`, holding one
/// entry whose command is `command_len` bytes.
fn entries_body(version: u8, first: u64, count: u32, command_len: usize) -> Vec<u8> {
    let mut body = header(version, TAG_ENTRIES);
    body.extend_from_slice(&first.to_le_bytes());
    body.extend_from_slice(&count.to_le_bytes());
    body.extend_from_slice(&1u64.to_le_bytes());
    body.push(0);
    body.extend_from_slice(&u32::try_from(command_len).unwrap().to_le_bytes());
    if version == VERSION_2 {
        body.extend_from_slice(&[0; 4]);
    }
    body.resize(body.len() + command_len, 7);
    body
}

/// Opens a log of four entries followed by a wal-db record holding `body`
/// and returns the refusal's detail and the record's byte offset.
fn refusal(body: &[u8]) -> (String, u64) {
    let dir = tempfile::tempdir().unwrap();
    four_entries(dir.path());
    let wal = wal_db::Wal::open(dir.path().join(WAL_FILE_NAME)).unwrap();
    let lsn = wal.append(body).unwrap().get();
    wal.sync().unwrap();
    drop(wal);
    match WalLog::open(dir.path()) {
        Err(Error::Storage { detail, .. }) => (detail, lsn),
        Err(other) => panic!("expected a storage error, got {other}"),
        Ok(_) => panic!("the log opened with a record it should refuse"),
    }
}

fn assert_refused_for(body: &[u8], reason: &str) {
    let (detail, lsn) = refusal(body);
    assert!(
        detail.contains("log.wal") && detail.contains(&format!("byte offset {lsn}: {reason}")),
        "{detail}"
    );
}

#[test]
fn a_count_of_more_entries_than_the_record_has_room_for_is_refused_before_any_entry_is_read() {
    // Each entry needs at least its header (17 bytes in version 2, 13 in
    // version 1): two entries cannot fit in one entry's header and a
    // command one byte shorter than a second header.
    assert_refused_for(
        &entries_body(VERSION_2, 5, 2, 16),
        "entry count exceeds the record length",
    );
    assert_refused_for(
        &entries_body(VERSION_1, 5, 2, 12),
        "entry count exceeds the record length",
    );
    // One byte more and the count fits the room: the second entry is then
    // read, and found cut short.
    assert_refused_for(&entries_body(VERSION_2, 5, 2, 17), "record is truncated");
    assert_refused_for(&entries_body(VERSION_1, 5, 2, 13), "record is truncated");
}

#[test]
fn entries_with_empty_commands_fill_their_record_exactly_and_are_kept() {
    // The count check's boundary: nothing but entry headers after the
    // record header is a record with room for exactly `count` entries.
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalLog::open(dir.path()).unwrap();
    let batch: Vec<_> = (1..=3).map(|i| LogEntry::new(1, i, Vec::new())).collect();
    wal.append(&batch).unwrap();
    wal.append(&[LogEntry::new(1, 4, Vec::new())]).unwrap();
    wal.sync().unwrap();
    drop(wal);
    let wal = WalLog::open(dir.path()).unwrap();
    assert_eq!(wal.last_index(), 4);
    let mut expected = batch;
    expected.push(LogEntry::new(1, 4, Vec::new()));
    assert_eq!(wal.entries(1, 4), expected);
}

#[test]
fn an_entries_record_with_no_entries_or_starting_at_index_0_is_refused() {
    let no_entries = {
        let mut body = header(VERSION_2, TAG_ENTRIES);
        body.extend_from_slice(&5u64.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes());
        body
    };
    assert_refused_for(&no_entries, "empty or zero-based entries record");
    assert_refused_for(
        &entries_body(VERSION_2, 0, 1, 3),
        "empty or zero-based entries record",
    );
}

#[test]
fn a_hard_state_without_a_vote_naming_a_node_is_refused_as_malformed() {
    // `has_vote` 0 requires `vote` 0: anything else is not a state this log
    // wrote.
    let mut body = header(VERSION_2, TAG_HARD_STATE);
    body.extend_from_slice(&3u64.to_le_bytes());
    body.push(0);
    body.extend_from_slice(&7u64.to_le_bytes());
    assert_refused_for(&body, "malformed vote");
    // The same state with `has_vote` 1 is a vote for node 7.
    body[2 + 8 + 8] = 1;
    let dir = tempfile::tempdir().unwrap();
    four_entries(dir.path());
    let wal = wal_db::Wal::open(dir.path().join(WAL_FILE_NAME)).unwrap();
    let _ = wal.append(&body).unwrap();
    wal.sync().unwrap();
    drop(wal);
    let log = WalLog::open(dir.path()).unwrap();
    assert_eq!(
        log.hard_state(),
        raft_core::HardState {
            term: 3,
            voted_for: Some(7)
        }
    );
}
