//! Corruption tests: damaged files give a clear `Error::Storage` naming the
//! file (and the byte offset where there is one) or a correct recovery,
//! never a panic or a wrong log.

// Tests assert by unwrapping and index freely; helper functions outside
// `#[test]` need the allowance spelled out (clippy.toml covers only tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::Path;

use common::assert_same;
use raft_core::{Error, HardState, LogEntry, MemoryLog, RaftLog, Snapshot};
use raft_log_wal::{WAL_FILE_NAME, WalLog};

/// Writes four records (syncing each) and returns the byte offset (LSN) at
/// which each record starts, plus the model after each.
fn four_records(dir: &Path) -> (Vec<u64>, Vec<MemoryLog>) {
    let mut wal = WalLog::open(dir).unwrap();
    let mut mem = MemoryLog::new();
    let mut lsns = Vec::new();
    let mut models = Vec::new();
    for i in 1..=4u64 {
        lsns.push(file_len(dir));
        let entry = [LogEntry::new(1, i, vec![i as u8; 30])];
        wal.append(&entry).unwrap();
        mem.append(&entry).unwrap();
        wal.sync().unwrap();
        models.push(mem.clone());
    }
    (lsns, models)
}

fn wal_path(dir: &Path) -> std::path::PathBuf {
    dir.join(WAL_FILE_NAME)
}

fn file_len(dir: &Path) -> u64 {
    std::fs::metadata(wal_path(dir)).map_or(0, |m| m.len())
}

fn storage_detail(result: raft_core::Result<WalLog>) -> String {
    match result {
        Err(Error::Storage { detail, .. }) => detail,
        Err(other) => panic!("expected a storage error, got {other}"),
        Ok(_) => panic!("expected a storage error, the log opened"),
    }
}

fn edit(dir: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(wal_path(dir)).unwrap();
    f(&mut bytes);
    std::fs::write(wal_path(dir), bytes).unwrap();
}

/// Appends a raw wal-db record holding `body` to the log file.
fn append_raw(dir: &Path, body: &[u8]) -> u64 {
    let wal = wal_db::Wal::open(wal_path(dir)).unwrap();
    let lsn = wal.append(body).unwrap().get();
    wal.sync().unwrap();
    lsn
}

#[test]
fn a_flipped_bit_in_the_middle_names_the_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (lsns, _) = four_records(dir.path());
    for (record, byte) in [(1usize, 0u64), (1, 5), (2, 12), (2, 40)] {
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(wal_path(dir.path()), wal_path(copy.path())).unwrap();
        let at = (lsns[record] + byte) as usize;
        edit(copy.path(), |b| b[at] ^= 0x10);
        let detail = storage_detail(WalLog::open(copy.path()));
        assert!(detail.contains("log.wal"), "{detail}");
        assert!(
            detail.contains(&format!("byte offset {}", lsns[record])),
            "{detail}"
        );
        // The refusal left the file untouched, so it can be inspected.
        assert_eq!(file_len(copy.path()), file_len(dir.path()));
    }
}

#[test]
fn a_damaged_or_truncated_last_record_is_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (lsns, models) = four_records(dir.path());
    let full = std::fs::read(wal_path(dir.path())).unwrap();
    let last = lsns[3] as usize;
    // Each sync is followed by a SYNCED record (wal-db's 8 bytes and our
    // 10-byte header) saying what it covered.
    let last_synced_record = full.len() - 18;
    // The last entries record torn before its sync completed.
    for cut in [last + 1, last + 8, last_synced_record - 1] {
        std::fs::write(wal_path(dir.path()), &full[..cut]).unwrap();
        let wal = WalLog::open(dir.path()).unwrap();
        assert_same(&wal, &models[2], &format!("cut at {cut}"));
    }
    // The final SYNCED record torn or damaged: the entries it follows stay.
    for cut in [last_synced_record + 1, full.len() - 1] {
        std::fs::write(wal_path(dir.path()), &full[..cut]).unwrap();
        assert_same(
            &WalLog::open(dir.path()).unwrap(),
            &models[3],
            &format!("cut at {cut}"),
        );
    }
    let mut flipped = full.clone();
    flipped[full.len() - 3] ^= 1;
    std::fs::write(wal_path(dir.path()), &flipped).unwrap();
    let wal = WalLog::open(dir.path()).unwrap();
    assert_same(&wal, &models[3], "flipped last record");
    drop(wal);
    // A bit flipped in the last entries record, which its SYNCED record
    // proves was synced: damage, refused, not a torn tail.
    let mut flipped = full.clone();
    flipped[last + 20] ^= 1;
    std::fs::write(wal_path(dir.path()), &flipped).unwrap();
    let detail = storage_detail(WalLog::open(dir.path()));
    assert!(
        detail.contains(&format!("byte offset {last}")) && detail.contains("synced data"),
        "{detail}"
    );
    // Truncated at a record boundary: indistinguishable from a crash there.
    std::fs::write(wal_path(dir.path()), &full[..lsns[2] as usize]).unwrap();
    assert_same(
        &WalLog::open(dir.path()).unwrap(),
        &models[1],
        "cut at a boundary",
    );
}

#[test]
fn garbage_appended_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (_, models) = four_records(dir.path());
    for garbage in [vec![0u8; 100], vec![0xff; 7], (0..=255u8).collect()] {
        edit(dir.path(), |b| b.extend_from_slice(&garbage));
        let wal = WalLog::open(dir.path()).unwrap();
        assert_same(&wal, &models[3], "garbage appended");
    }
}

#[test]
fn a_lost_synced_write_behind_a_later_one_is_refused_not_guessed() {
    // Each record was synced, so the record after the hole carries a sync
    // mark above it: this is damage to synced data, not a lost unsynced
    // write (for those, see crash.rs).
    let dir = tempfile::tempdir().unwrap();
    let (lsns, _) = four_records(dir.path());
    let (start, end) = (lsns[2] as usize, lsns[3] as usize);
    edit(dir.path(), |b| b[start..end].fill(0));
    let detail = storage_detail(WalLog::open(dir.path()));
    assert!(detail.contains(&format!("byte offset {start}")), "{detail}");
}

#[test]
fn unknown_version_tag_or_a_misfit_record_names_its_offset() {
    let cases: [(&[u8], &str); 4] = [
        (&[3, 1, 0, 0], "unknown record version"),
        (&[1, 99], "unknown record tag"),
        (&[1, 2, 0, 0, 0, 0, 0, 0, 0, 0], "covered by the snapshot"),
        (&[1, 3, 0], "record is truncated"),
    ];
    for (body, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        four_records(dir.path());
        let lsn = append_raw(dir.path(), body);
        // A valid record after it, so this is not mistaken for a tail.
        let detail = storage_detail(WalLog::open(dir.path()));
        assert!(detail.contains("log.wal"), "{detail}");
        assert!(detail.contains(&format!("byte offset {lsn}")), "{detail}");
        assert!(detail.contains(reason), "{detail}");
    }
    // An entries record that does not continue the log.
    let dir = tempfile::tempdir().unwrap();
    four_records(dir.path());
    let mut body = vec![1, 1];
    body.extend_from_slice(&9u64.to_le_bytes());
    body.extend_from_slice(&1u32.to_le_bytes());
    body.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let lsn = append_raw(dir.path(), &body);
    let detail = storage_detail(WalLog::open(dir.path()));
    assert!(
        detail.contains(&format!("byte offset {lsn}: entries start at index 9")),
        "{detail}"
    );
}

fn with_snapshot(dir: &Path) -> String {
    let mut wal = WalLog::open(dir).unwrap();
    let batch: Vec<_> = (1..=5).map(|i| LogEntry::new(2, i, vec![1; 10])).collect();
    wal.append(&batch).unwrap();
    wal.set_hard_state(HardState {
        term: 2,
        voted_for: None,
    })
    .unwrap();
    wal.apply_snapshot(&Snapshot::with_config(3, 2, vec![1], b"state".to_vec()))
        .unwrap();
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("snapshot-"))
        .unwrap()
}

#[test]
fn a_missing_or_damaged_snapshot_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let name = with_snapshot(dir.path());
    let path = dir.path().join(&name);
    let good = std::fs::read(&path).unwrap();

    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 4;
    std::fs::write(&path, &flipped).unwrap();
    let detail = storage_detail(WalLog::open(dir.path()));
    assert!(
        detail.contains(&name) && detail.contains("byte offset"),
        "{detail}"
    );

    std::fs::write(&path, &good[..good.len() - 1]).unwrap();
    let detail = storage_detail(WalLog::open(dir.path()));
    assert!(
        detail.contains(&name) && detail.contains("torn or damaged"),
        "{detail}"
    );

    std::fs::remove_file(&path).unwrap();
    let detail = storage_detail(WalLog::open(dir.path()));
    assert!(
        detail.contains(&name) && detail.contains("missing"),
        "{detail}"
    );

    std::fs::write(&path, &good).unwrap();
    let wal = WalLog::open(dir.path()).unwrap();
    assert_eq!(wal.snapshot().unwrap().data, b"state");
    assert_eq!(wal.last_index(), 5);
}

#[test]
fn a_missing_log_file_with_a_snapshot_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    with_snapshot(dir.path());
    std::fs::remove_file(wal_path(dir.path())).unwrap();
    let detail = storage_detail(WalLog::open(dir.path()));
    assert!(detail.contains("log file is missing"), "{detail}");
}

#[test]
fn random_damage_never_panics_or_yields_a_wrong_log() {
    // Whatever single byte is damaged, open either refuses or recovers a
    // state the workload actually passed through.
    let dir = tempfile::tempdir().unwrap();
    let (_, models) = four_records(dir.path());
    let full = std::fs::read(wal_path(dir.path())).unwrap();
    for at in 0..full.len() {
        let copy = tempfile::tempdir().unwrap();
        let mut bytes = full.clone();
        bytes[at] = bytes[at].wrapping_add(0x41);
        std::fs::write(wal_path(copy.path()), &bytes).unwrap();
        match WalLog::open(copy.path()) {
            Ok(wal) => {
                let n = wal.last_index() as usize;
                assert!(n >= 1, "byte {at}: recovered {n} entries");
                assert_same(&wal, &models[n - 1], &format!("byte {at}"));
            }
            Err(Error::Storage { detail, .. }) => assert!(detail.contains("log.wal"), "{detail}"),
            Err(other) => panic!("byte {at}: {other}"),
        }
    }
}
