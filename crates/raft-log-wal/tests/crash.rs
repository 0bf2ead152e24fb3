//! Crash-point test: a scripted workload is run once while the directory is
//! captured after every operation; then every crash point is rebuilt in a
//! fresh directory and reopened.
//!
//! wal-db writes records in order with positioned writes to one file, so a
//! crash leaves some prefix of the file's bytes: the file cut at a record
//! boundary (a crash between writes, including right after each `sync`) or
//! inside a record (a torn write). Snapshot installation is cut at each of
//! its file-level steps. The recovered log must equal the reference model
//! exactly as of the last complete write: everything synced is present (it
//! precedes the cut) and nothing unwritten appears.

// Tests assert by unwrapping and index freely; helper functions outside
// `#[test]` need the allowance spelled out (clippy.toml covers only tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Lcg, assert_same};
use raft_core::{HardState, LogEntry, MemoryLog, RaftLog, Snapshot};
use raft_log_wal::{WAL_FILE_NAME, WalLog};

type Files = BTreeMap<String, Vec<u8>>;

/// The directory and the model after one operation.
struct Point {
    what: String,
    files: Files,
    model: MemoryLog,
    /// The point of the last completed sync (a `sync` or a snapshot, which
    /// syncs) at or before this one.
    synced_at: usize,
}

fn capture(dir: &Path) -> Files {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "LOCK")
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn run_workload(dir: &Path) -> Vec<Point> {
    let mut rng = Lcg(0x5eed);
    let mut wal = WalLog::open(dir).unwrap();
    let mut mem = MemoryLog::new();
    let mut points = vec![Point {
        what: "start".into(),
        files: capture(dir),
        model: mem.clone(),
        synced_at: 0,
    }];
    let mut synced_at = 0;
    let mut term = 1;
    for step in 0..90 {
        let what;
        if step == 30 || step == 60 {
            let at = mem
                .last_index()
                .saturating_sub(3)
                .max(mem.snapshot_index() + 1);
            let snap = Snapshot::with_config(
                at,
                mem.term_at(at).unwrap_or(term),
                vec![1, 2, 3],
                vec![step as u8; 50],
            );
            mem.apply_snapshot(&snap).unwrap();
            wal.apply_snapshot(&snap).unwrap();
            what = format!("compact at {at}");
        } else if step == 75 {
            let snap = Snapshot::new(mem.last_index() + 5, term, b"installed".to_vec());
            mem.apply_snapshot(&snap).unwrap();
            wal.apply_snapshot(&snap).unwrap();
            what = format!("install at {}", snap.index);
        } else {
            match rng.below(20) {
                0..=10 => {
                    let first = mem.last_index() + 1;
                    let n = 1 + rng.below(4);
                    let batch: Vec<_> = (first..first + n)
                        .map(|i| LogEntry::new(term, i, vec![i as u8; rng.below(48) as usize]))
                        .collect();
                    mem.append(&batch).unwrap();
                    wal.append(&batch).unwrap();
                    what = format!("append {first}..{}", first + n);
                }
                11..=12 => {
                    term += 1;
                    let state = HardState {
                        term,
                        voted_for: Some(rng.below(3)),
                    };
                    mem.set_hard_state(state).unwrap();
                    wal.set_hard_state(state).unwrap();
                    what = format!("hard state {state:?}");
                }
                13 if mem.last_index() > mem.snapshot_index() + 2 => {
                    let from = mem.last_index() - rng.below(2);
                    mem.truncate(from).unwrap();
                    wal.truncate(from).unwrap();
                    what = format!("truncate {from}");
                }
                _ => {
                    wal.sync().unwrap();
                    what = "sync".into();
                }
            }
        }
        if what == "sync" || what.starts_with("compact") || what.starts_with("install") {
            synced_at = points.len();
        }
        points.push(Point {
            what,
            files: capture(dir),
            model: mem.clone(),
            synced_at,
        });
    }
    points
}

/// Offsets strictly inside `[start, end)` to tear a write at: the wal-db
/// header, our version/tag bytes, the middle and the last bytes.
fn tear_points(start: usize, end: usize) -> Vec<usize> {
    let len = end - start;
    if len < 2 {
        return Vec::new();
    }
    let mut cuts: Vec<usize> = [1, 3, 4, 7, 8, 9, 10, 12, 20, len / 2, len - 2, len - 1]
        .into_iter()
        .filter(|&d| d > 0 && d < len)
        .map(|d| start + d)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

struct Checker {
    covered: usize,
}

impl Checker {
    fn check(&mut self, files: &Files, expected: &MemoryLog, context: &str) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let wal = WalLog::open(dir.path()).unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_same(&wal, expected, context);
        self.covered += 1;
    }
}

#[test]
fn every_crash_point_recovers_exactly_the_written_prefix() {
    let work = tempfile::tempdir().unwrap();
    let points = run_workload(work.path());
    let mut checker = Checker { covered: 0 };
    let mut torn = 0;
    for pair in points.windows(2) {
        let (prev, cur) = (&pair[0], &pair[1]);
        let empty = Vec::new();
        let before = prev.files.get(WAL_FILE_NAME).unwrap_or(&empty);
        let after = &cur.files[WAL_FILE_NAME];
        if cur.what.starts_with("compact") || cur.what.starts_with("install") {
            torn += check_snapshot_steps(&mut checker, prev, cur);
            continue;
        }
        // Appends only: the old file is a prefix of the new one.
        assert!(after.starts_with(before), "{}: file rewritten", cur.what);
        for cut in tear_points(before.len(), after.len()) {
            let mut files = cur.files.clone();
            files.insert(WAL_FILE_NAME.into(), after[..cut].to_vec());
            let context = format!("torn at byte {cut} during '{}'", cur.what);
            checker.check(&files, &prev.model, &context);
            torn += 1;
        }
        checker.check(
            &cur.files,
            &cur.model,
            &format!("crash after '{}'", cur.what),
        );
    }
    eprintln!(
        "crash points covered: {} ({} torn inside a write, {} at operation boundaries)",
        checker.covered,
        torn,
        checker.covered - torn
    );
    assert!(
        checker.covered >= 500,
        "only {} crash points",
        checker.covered
    );
}

/// Cuts `apply_snapshot` at each step: snapshot temp file partly written,
/// snapshot renamed in, rewritten log partly written, rewritten log renamed
/// in before the old snapshot is removed, and done.
fn check_snapshot_steps(checker: &mut Checker, prev: &Point, cur: &Point) -> usize {
    let (name, snap) = cur
        .files
        .iter()
        .find(|(name, _)| name.starts_with("snapshot-") && !prev.files.contains_key(*name))
        .expect("a new snapshot file");
    let new_log = &cur.files[WAL_FILE_NAME];
    let mut torn = 0;
    for cut in (0..snap.len()).step_by(9) {
        let mut files = prev.files.clone();
        files.insert(format!("{name}.tmp"), snap[..cut].to_vec());
        checker.check(
            &files,
            &prev.model,
            &format!("snapshot file torn at {cut} in '{}'", cur.what),
        );
        torn += 1;
    }
    let mut with_snap = prev.files.clone();
    with_snap.insert(name.clone(), snap.clone());
    checker.check(
        &with_snap,
        &prev.model,
        &format!("snapshot renamed in '{}'", cur.what),
    );
    for cut in (0..=new_log.len()).step_by(3) {
        let mut files = with_snap.clone();
        files.insert("log.wal.tmp".into(), new_log[..cut].to_vec());
        checker.check(
            &files,
            &prev.model,
            &format!("rewrite torn at {cut} in '{}'", cur.what),
        );
        torn += 1;
    }
    let mut renamed = with_snap;
    renamed.insert(WAL_FILE_NAME.into(), new_log.clone());
    checker.check(
        &renamed,
        &cur.model,
        &format!("log renamed in '{}'", cur.what),
    );
    checker.check(&cur.files, &cur.model, &format!("after '{}'", cur.what));
    torn
}

fn log_len(point: &Point) -> usize {
    point.files.get(WAL_FILE_NAME).map_or(0, Vec::len)
}

/// Write-back may persist a later unsynced record and not an earlier one.
/// At every point of the workload, each unsynced record that has a later
/// one behind it is lost (zeroed) or torn (a byte flipped) in turn: the log
/// must open at the state just before that record (the last synced state
/// plus the unsynced records before the hole, which the file still holds
/// intact), never refuse and never keep what follows the hole.
#[test]
fn every_lost_unsynced_write_recovers_the_state_before_it() {
    let work = tempfile::tempdir().unwrap();
    let points = run_workload(work.path());
    let mut checker = Checker { covered: 0 };
    for (k, cur) in points.iter().enumerate() {
        let file = &cur.files[WAL_FILE_NAME];
        for j in cur.synced_at + 1..k {
            let (start, end) = (log_len(&points[j - 1]), log_len(&points[j]));
            if end == start {
                continue; // that operation wrote no record
            }
            let mut zeroed = file.clone();
            zeroed[start..end].fill(0);
            let mut torn = file.clone();
            torn[start + 9] ^= 0x20;
            for (how, bytes) in [("lost", zeroed), ("torn", torn)] {
                let mut files = cur.files.clone();
                files.insert(WAL_FILE_NAME.into(), bytes);
                let context = format!(
                    "'{}' {how} (unsynced), later records intact, at '{}'",
                    points[j].what, cur.what
                );
                checker.check(&files, &points[j - 1].model, &context);
            }
        }
    }
    eprintln!("lost or torn unsynced writes covered: {}", checker.covered);
    assert!(checker.covered >= 40, "only {} cases", checker.covered);
}

/// The rule spelled out on one file: three synced records, then three
/// unsynced. Losing an unsynced one restarts at the state before it;
/// damage below the last sync point refuses, naming file and offset.
#[test]
fn a_lost_unsynced_record_opens_at_the_last_synced_state_and_synced_damage_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalLog::open(dir.path()).unwrap();
    let mut mem = MemoryLog::new();
    let mut starts = Vec::new();
    let len = |dir: &Path| std::fs::metadata(dir.join(WAL_FILE_NAME)).unwrap().len() as usize;
    for i in 1..=6u64 {
        starts.push(len(dir.path()));
        let entry = [LogEntry::new(1, i, vec![i as u8; 20])];
        wal.append(&entry).unwrap();
        if i <= 3 {
            mem.append(&entry).unwrap();
            wal.sync().unwrap();
        }
    }
    drop(wal);
    let full = std::fs::read(dir.path().join(WAL_FILE_NAME)).unwrap();
    let synced = mem;
    let record = |i: usize| starts[i]..starts.get(i + 1).copied().unwrap_or(full.len());

    // The first unsynced record (entry 4) lost, entries 5 and 6 intact.
    let mut bytes = full.clone();
    bytes[record(3)].fill(0);
    let copy = tempfile::tempdir().unwrap();
    std::fs::write(copy.path().join(WAL_FILE_NAME), &bytes).unwrap();
    let mut wal = WalLog::open(copy.path()).unwrap();
    assert_same(&wal, &synced, "entry 4 lost");
    // The hole was cut: the log goes on from there and reopens clean.
    wal.append(&[LogEntry::new(2, 4, b"new".to_vec())]).unwrap();
    wal.sync().unwrap();
    drop(wal);
    let wal = WalLog::open(copy.path()).unwrap();
    assert_eq!(wal.last_index(), 4);
    assert_eq!(wal.entry(4).unwrap().command, b"new");

    // A synced record (entry 3) damaged, later records intact: refused.
    for damage in [0x00, 0x5a] {
        let mut bytes = full.clone();
        bytes[record(2)].fill(damage);
        let copy = tempfile::tempdir().unwrap();
        let path = copy.path().join(WAL_FILE_NAME);
        std::fs::write(&path, &bytes).unwrap();
        let error = WalLog::open(copy.path()).expect_err("synced damage must refuse");
        let detail = error.to_string();
        assert!(detail.contains("log.wal"), "{detail}");
        assert!(
            detail.contains(&format!("byte offset {}", starts[2])),
            "{detail}"
        );
        assert!(detail.contains("synced data"), "{detail}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "the file is untouched"
        );
    }
}
