//! Recovery past damage, condition by condition: which bytes after damage
//! prove it lies in synced data (open refuses), and which do not (the
//! damage is the loss of unsynced writes, cut). `docs/PROTOCOL.md`, "Damage
//! or lost unsynced writes?": only an intact record (wal-db framing, a
//! length within the limit, a matching CRC32C, one of our versions and
//! tags) whose sync mark lies above the damage and not above its own offset
//! proves it; a record at the damage that is only over the length limit,
//! whole, is refused.
//!
//! Each test builds the file so that exactly one condition decides, and
//! checks the verdict both ways where a change of one byte flips it.

// Tests assert by unwrapping and index freely; helper functions outside
// `#[test]` need the allowance spelled out (clippy.toml covers only tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::{Path, PathBuf};

use common::assert_same;
use raft_core::{Error, LogEntry, MemoryLog, RaftLog};
use raft_log_wal::{WAL_FILE_NAME, WalLog};

/// `MAX_RECORD_LEN`: the largest record body `WalLog` writes or accepts.
const MAX_RECORD_LEN: usize = 64 << 20;
/// wal-db's framing: CRC32C, then the body length.
const FRAMING_LEN: usize = 8;
/// A version-2 record header: version, tag, sync mark (`FORMAT.md`).
const RECORD_HEADER_LEN: usize = 10;
/// Bytes of an `ENTRIES` record before its one entry's command: the record
/// header, first index, count, then the entry's term, kind, length and
/// checksum.
const ONE_ENTRY_OVERHEAD: usize = RECORD_HEADER_LEN + 8 + 4 + 8 + 1 + 4 + 4;
const VERSION: u8 = 2;
const TAG_TRUNCATE: u8 = 2;
const TAG_SYNCED: u8 = 5;

fn wal_path(dir: &Path) -> PathBuf {
    dir.join(WAL_FILE_NAME)
}

fn file_len(dir: &Path) -> usize {
    std::fs::metadata(wal_path(dir)).map_or(0, |m| m.len() as usize)
}

/// A log of entries `1..=synced`, each synced (so each is followed by its
/// SYNCED record), and the model of it.
fn synced_log(dir: &Path, synced: u64) -> (WalLog, MemoryLog) {
    let mut wal = WalLog::open(dir).unwrap();
    let mut mem = MemoryLog::new();
    for i in 1..=synced {
        let entry = [LogEntry::new(1, i, vec![i as u8; 20])];
        wal.append(&entry).unwrap();
        mem.append(&entry).unwrap();
        wal.sync().unwrap();
    }
    (wal, mem)
}

/// Appends one entry without syncing; returns the byte offset its record
/// starts at.
fn append_unsynced(wal: &mut WalLog, dir: &Path, index: u64, command: Vec<u8>) -> usize {
    let at = file_len(dir);
    wal.append(&[LogEntry::new(1, index, command)]).unwrap();
    at
}

/// `body` framed as wal-db frames it: CRC32C of the length field and the
/// body, then the length, then the body.
fn framed(body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_le_bytes();
    let crc = crc32c::crc32c_append(crc32c::crc32c(&len), body);
    let mut out = crc.to_le_bytes().to_vec();
    out.extend_from_slice(&len);
    out.extend_from_slice(body);
    out
}

/// A version-2 record body with `tag` and sync `mark`, padded to `len`.
fn record_body(tag: u8, mark: u64, len: usize, fill: u8) -> Vec<u8> {
    let mut body = vec![VERSION, tag];
    body.extend_from_slice(&mark.to_le_bytes());
    body.resize(len, fill);
    body
}

fn edit(dir: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(wal_path(dir)).unwrap();
    f(&mut bytes);
    std::fs::write(wal_path(dir), bytes).unwrap();
}

/// What opening an edited copy of a log gave: the log or the storage
/// error's detail, and the file's length as open left it.
struct Opened {
    result: Result<WalLog, String>,
    len_after: usize,
    // Holds the copy until the test is done with it.
    _copy: tempfile::TempDir,
}

/// Opens a copy of the log in `dir` edited by `f`.
fn open_edited(dir: &Path, f: impl FnOnce(&mut Vec<u8>)) -> Opened {
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(wal_path(dir), wal_path(copy.path())).unwrap();
    edit(copy.path(), f);
    let result = match WalLog::open(copy.path()) {
        Ok(wal) => Ok(wal),
        Err(Error::Storage { detail, .. }) => Err(detail),
        Err(other) => panic!("expected a storage error, got {other}"),
    };
    Opened {
        result,
        len_after: file_len(copy.path()),
        _copy: copy,
    }
}

/// Asserts that `opened` opened at `expected`, cut at `cut`.
fn assert_cut(opened: &Opened, expected: &MemoryLog, cut: usize, context: &str) {
    match &opened.result {
        Ok(wal) => assert_same(wal, expected, context),
        Err(detail) => panic!("{context}: refused: {detail}"),
    }
    assert_eq!(opened.len_after, cut, "{context}: cut at the damage");
}

fn assert_refused(opened: &Opened, damage: usize, proof: Option<usize>, context: &str) {
    let detail = match &opened.result {
        Ok(_) => panic!("{context}: damage at {damage}: the log opened"),
        Err(detail) => detail,
    };
    assert!(
        detail.contains("log.wal") && detail.contains(&format!("at byte offset {damage}")),
        "{context}: {detail}"
    );
    match proof {
        Some(proof) => assert!(
            detail.contains(&format!("the intact record at byte offset {proof}")),
            "{context}: {detail}"
        ),
        None => assert!(!detail.contains("synced data"), "{context}: {detail}"),
    }
}

/// A whole wal-db record, as a command can hold one: a version-2 `SYNCED`
/// body with `mark`, framed with its CRC or with the CRC's bits flipped.
fn record_in_a_command(mark: u64, crc_matches: bool) -> Vec<u8> {
    let mut inner = framed(&record_body(TAG_SYNCED, mark, RECORD_HEADER_LEN, 0));
    if !crc_matches {
        inner[0] ^= 0xff;
    }
    inner
}

/// Entries 1..=3 synced; entry 4 unsynced, then lost (zeroed); entry 5
/// unsynced and intact, its command a whole record made by
/// `command(damage, at)`, `at` being that record's own offset. Opens it and
/// returns what it gave, the damage offset, `at` and the synced model.
fn lost_write_then_a_record_in_a_command(
    command: impl FnOnce(u64, u64) -> Vec<u8>,
) -> (Opened, usize, usize, MemoryLog) {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, synced) = synced_log(dir.path(), 3);
    let damage = append_unsynced(&mut wal, dir.path(), 4, vec![4; 20]);
    let fifth = file_len(dir.path());
    let inner_at = fifth + FRAMING_LEN + ONE_ENTRY_OVERHEAD;
    let bytes = command(damage as u64, inner_at as u64);
    append_unsynced(&mut wal, dir.path(), 5, bytes);
    drop(wal);
    let opened = open_edited(dir.path(), |b| b[damage..fifth].fill(0));
    (opened, damage, inner_at, synced)
}

#[test]
fn a_record_with_a_bad_checksum_after_the_damage_proves_nothing() {
    // The record inside entry 5's command has a mark above the damage and
    // not above its own offset: with a matching CRC it proves a sync
    // covered the damage (and open refuses); with a bad one it is no record.
    let (opened, damage, _, synced) =
        lost_write_then_a_record_in_a_command(|damage, _| record_in_a_command(damage + 1, false));
    assert_cut(&opened, &synced, damage, "bad CRC after a lost write");

    let (opened, damage, inner_at, _) =
        lost_write_then_a_record_in_a_command(|damage, _| record_in_a_command(damage + 1, true));
    assert_refused(
        &opened,
        damage,
        Some(inner_at),
        "good CRC after a lost write",
    );
}

#[test]
fn a_record_whose_mark_lies_beyond_its_own_offset_proves_nothing() {
    // A sync covers only what was written before it, so no record of ours
    // carries a mark above its own offset: such bytes are not one.
    let (opened, damage, _, synced) =
        lost_write_then_a_record_in_a_command(|_, at| record_in_a_command(at + 1, true));
    assert_cut(&opened, &synced, damage, "mark beyond its own offset");

    // A mark at its own offset is possible (a SYNCED record's always is).
    let (opened, damage, inner_at, _) =
        lost_write_then_a_record_in_a_command(|_, at| record_in_a_command(at, true));
    assert_refused(&opened, damage, Some(inner_at), "mark at its own offset");
}

#[test]
fn the_lost_record_of_the_last_sync_is_cut_with_the_writes_after_it() {
    // The SYNCED record after the last sync starts where that sync ended,
    // and the unsynced records after it carry that offset as their mark: a
    // mark equal to the damage covers only what lies before it.
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, synced) = synced_log(dir.path(), 3);
    let synced_record = file_len(dir.path()) - FRAMING_LEN - RECORD_HEADER_LEN;
    let after = append_unsynced(&mut wal, dir.path(), 4, vec![4; 20]);
    append_unsynced(&mut wal, dir.path(), 5, vec![5; 20]);
    drop(wal);
    let opened = open_edited(dir.path(), |b| b[synced_record..after].fill(0));
    assert_cut(&opened, &synced, synced_record, "SYNCED record lost");
}

#[test]
fn a_length_damaged_past_the_limit_in_an_unsynced_record_is_cut() {
    // A length over the limit whose body would run past the end of the
    // file is a torn write, not a record written with a larger limit.
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, synced) = synced_log(dir.path(), 3);
    let damage = append_unsynced(&mut wal, dir.path(), 4, vec![4; 20]);
    append_unsynced(&mut wal, dir.path(), 5, vec![5; 20]);
    drop(wal);
    let over = (MAX_RECORD_LEN as u32 + 1).to_le_bytes();
    let opened = open_edited(dir.path(), |b| {
        b[damage + 4..damage + 8].copy_from_slice(&over);
    });
    assert_cut(&opened, &synced, damage, "length damaged");
}

#[test]
fn a_whole_record_over_the_length_limit_is_refused_even_as_the_last_record() {
    // Written with a larger limit, not torn: nothing says it was never
    // synced, so it is never cut, whichever record it is.
    let dir = tempfile::tempdir().unwrap();
    let (wal, _) = synced_log(dir.path(), 3);
    drop(wal);
    let damage = file_len(dir.path());
    let oversized = framed(&record_body(
        TAG_TRUNCATE,
        damage as u64,
        MAX_RECORD_LEN + 1,
        0xff,
    ));
    let opened = open_edited(dir.path(), |b| b.extend_from_slice(&oversized));
    assert_refused(&opened, damage, None, "oversized last record");
    assert_eq!(opened.len_after, damage + oversized.len(), "file untouched");
}

#[test]
fn a_damaged_record_of_exactly_the_length_limit_is_judged_by_the_scan_like_any_other() {
    // Within the limit, so not "written with a larger one": the scan past
    // it decides, as for any damaged record, and here finds a record inside
    // its body (its length may be the damaged part) proving a sync covered
    // it. (Had the scan found none, the record would have been cut.)
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = synced_log(dir.path(), 3);
    let damage = file_len(dir.path());
    let proof = damage + FRAMING_LEN + ONE_ENTRY_OVERHEAD;
    let mut command = record_in_a_command(damage as u64 + 1, true);
    command.resize(MAX_RECORD_LEN - ONE_ENTRY_OVERHEAD, 0xff);
    append_unsynced(&mut wal, dir.path(), 4, command);
    drop(wal);
    assert_eq!(file_len(dir.path()) - damage, FRAMING_LEN + MAX_RECORD_LEN);
    let opened = open_edited(dir.path(), |b| b[damage] ^= 1);
    assert_refused(
        &opened,
        damage,
        Some(proof),
        "damaged record of the largest length",
    );
}

#[test]
fn a_record_of_exactly_the_length_limit_proves_the_damage_before_it_synced() {
    // Entry 3 and its SYNCED record lost; entry 4, one record of the
    // largest length, carries the mark of that sync, above the damage.
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = synced_log(dir.path(), 2);
    let damage = file_len(dir.path());
    wal.append(&[LogEntry::new(1, 3, vec![3; 20])]).unwrap();
    wal.sync().unwrap();
    let command = vec![0xff; MAX_RECORD_LEN - ONE_ENTRY_OVERHEAD];
    let largest = append_unsynced(&mut wal, dir.path(), 4, command);
    drop(wal);
    assert_eq!(file_len(dir.path()) - largest, FRAMING_LEN + MAX_RECORD_LEN);
    let opened = open_edited(dir.path(), |b| b[damage..largest].fill(0));
    assert_refused(
        &opened,
        damage,
        Some(largest),
        "proof of the largest length",
    );
}

#[test]
fn a_whole_record_over_the_length_limit_after_the_damage_is_no_proof() {
    // Only records within the limit count past damage: an oversized one,
    // though intact and with a mark above the damage, is skipped like any
    // other bytes, and the scan goes on inside it, where it here finds a
    // record within the limit that does prove the damage synced.
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = synced_log(dir.path(), 3);
    let damage = append_unsynced(&mut wal, dir.path(), 4, vec![4; 20]);
    drop(wal);
    let oversized_at = file_len(dir.path());
    let proof = oversized_at + FRAMING_LEN + RECORD_HEADER_LEN;
    let mut body = record_body(TAG_TRUNCATE, damage as u64 + 1, RECORD_HEADER_LEN, 0);
    body.extend_from_slice(&record_in_a_command(damage as u64 + 1, true));
    body.resize(MAX_RECORD_LEN + 1, 0xff);
    let oversized = framed(&body);
    let opened = open_edited(dir.path(), |b| {
        b[damage + FRAMING_LEN] ^= 1;
        b.extend_from_slice(&oversized);
    });
    assert_refused(
        &opened,
        damage,
        Some(proof),
        "oversized record after the damage",
    );
}

#[test]
fn an_intact_version_1_record_after_the_damage_refuses_as_it_cannot_say_what_was_synced() {
    // Version 1 wrote no sync marks, so such a record may have followed a
    // sync that covered the damage: open refuses, as before version 2.
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = synced_log(dir.path(), 3);
    let damage = append_unsynced(&mut wal, dir.path(), 4, vec![4; 20]);
    drop(wal);
    let version_1_at = file_len(dir.path());
    let mut truncate_v1 = vec![1, TAG_TRUNCATE];
    truncate_v1.extend_from_slice(&4u64.to_le_bytes());
    let opened = open_edited(dir.path(), |b| {
        b[damage..].fill(0);
        b.extend_from_slice(&framed(&truncate_v1));
    });
    assert_refused(
        &opened,
        damage,
        Some(version_1_at),
        "version 1 after the damage",
    );
}
