//! Model test: random operation sequences applied to `WalLog` and to the
//! reference `MemoryLog` agree on every query, after every operation and
//! after every reopen.

// Tests assert by unwrapping and index freely; helper functions outside
// `#[test]` need the allowance spelled out (clippy.toml covers only tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::assert_same;
use proptest::prelude::*;
use raft_core::log::SnapshotStage;
use raft_core::{EntryKind, HardState, LogEntry, Membership, MemoryLog, RaftLog, Snapshot};
use raft_log_wal::WalLog;

#[derive(Clone, Debug)]
enum Op {
    /// Append `terms.len()` entries; `skew` 0 is contiguous, else off by it.
    Append {
        terms: Vec<u64>,
        skew: i8,
        size: u8,
        config: bool,
    },
    /// Truncate from `last_index + 1 - back`.
    Truncate {
        back: u8,
    },
    SetHardState {
        term: u64,
        vote: Option<u64>,
    },
    Sync,
    /// `pick` chooses the index, `term` (if any) overrides the log's term.
    Snapshot {
        pick: u8,
        term: Option<u64>,
        beyond: bool,
    },
    /// A snapshot staged in `pieces` of these lengths, then installed (or,
    /// with `discard`, dropped), with a joint configuration.
    Staged {
        pick: u8,
        term: Option<u64>,
        from_leader: bool,
        pieces: Vec<u16>,
        discard: bool,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (prop::collection::vec(1u64..4, 1..5), prop_oneof![8 => Just(0i8), 1 => Just(1), 1 => Just(-1)], any::<u8>(), any::<bool>())
            .prop_map(|(terms, skew, size, config)| Op::Append { terms, skew, size, config }),
        1 => (0u8..6).prop_map(|back| Op::Truncate { back }),
        1 => (0u64..5, prop::option::of(0u64..4)).prop_map(|(term, vote)| Op::SetHardState { term, vote }),
        2 => Just(Op::Sync),
        1 => (any::<u8>(), prop::option::of(1u64..5), any::<bool>())
            .prop_map(|(pick, term, beyond)| Op::Snapshot { pick, term, beyond }),
        1 => (any::<u8>(), prop::option::of(1u64..5), any::<bool>(), prop::collection::vec(0u16..50_000, 0..4), prop::bool::weighted(0.2))
            .prop_map(|(pick, term, from_leader, pieces, discard)| Op::Staged { pick, term, from_leader, pieces, discard }),
        1 => Just(Op::Reopen),
    ]
}

fn run(ops: &[Op]) {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalLog::open(dir.path()).unwrap();
    let mut mem = MemoryLog::new();
    for (step, op) in ops.iter().enumerate() {
        let context = format!("after step {step}: {op:?}");
        match op {
            Op::Append {
                terms,
                skew,
                size,
                config,
            } => {
                let start = (mem.last_index() + 1).saturating_add_signed(i64::from(*skew));
                let batch: Vec<LogEntry> = terms
                    .iter()
                    .zip(start..)
                    .map(|(&term, index)| LogEntry {
                        term,
                        index,
                        kind: if *config {
                            EntryKind::Config
                        } else {
                            EntryKind::Normal
                        },
                        command: vec![index as u8; usize::from(*size % 40)],
                    })
                    .collect();
                let expected = mem.append(&batch);
                assert_eq!(wal.append(&batch).is_ok(), expected.is_ok(), "{context}");
            }
            Op::Truncate { back } => {
                let from = (mem.last_index() + 1).saturating_sub(u64::from(*back));
                let expected = mem.truncate(from);
                assert_eq!(wal.truncate(from).is_ok(), expected.is_ok(), "{context}");
            }
            Op::SetHardState { term, vote } => {
                let state = HardState {
                    term: *term,
                    voted_for: *vote,
                };
                mem.set_hard_state(state).unwrap();
                wal.set_hard_state(state).unwrap();
            }
            Op::Sync => wal.sync().unwrap(),
            Op::Snapshot { pick, term, beyond } => {
                let index = if *beyond {
                    mem.last_index() + u64::from(*pick % 3)
                } else {
                    let span = mem.last_index() - mem.snapshot_index() + 1;
                    mem.snapshot_index() + u64::from(*pick) % span
                };
                let term = term.or(mem.term_at(index)).unwrap_or(1);
                let snap = Snapshot::with_config(index, term, vec![1, 2], vec![*pick; 17]);
                mem.apply_snapshot(&snap).unwrap();
                wal.apply_snapshot(&snap).unwrap();
            }
            Op::Staged {
                pick,
                term,
                from_leader,
                pieces,
                discard,
            } => {
                let stage = if *from_leader {
                    SnapshotStage::FromLeader
                } else {
                    SnapshotStage::FromApplication
                };
                let span = mem.last_index() - mem.snapshot_index() + 2;
                let index = mem.snapshot_index() + u64::from(*pick) % span;
                let term = term.or(mem.term_at(index)).unwrap_or(1);
                let joint = Membership::from_parts(vec![1, 2, 3], vec![1, 4], vec![5]);
                for log in [&mut wal as &mut dyn RaftLog, &mut mem] {
                    log.stage_begin(stage).unwrap();
                    for (n, &len) in pieces.iter().enumerate() {
                        log.stage_write(stage, &vec![n as u8 ^ *pick; usize::from(len)])
                            .unwrap();
                    }
                    if *discard {
                        log.stage_discard(stage);
                    } else {
                        log.stage_install(stage, index, term, &joint).unwrap();
                    }
                }
            }
            Op::Reopen => {
                // Reopen what was synced: sync, close, open.
                wal.sync().unwrap();
                drop(wal);
                wal = WalLog::open(dir.path()).unwrap();
            }
        }
        assert_same(&wal, &mem, &context);
    }
    wal.sync().unwrap();
    drop(wal);
    let wal = WalLog::open(dir.path()).unwrap();
    assert_same(&wal, &mem, "after the final reopen");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn wal_log_behaves_like_memory_log(ops in prop::collection::vec(op(), 1..40)) {
        run(&ops);
    }
}

#[test]
fn compaction_keeps_the_file_proportional_to_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = WalLog::open(dir.path()).unwrap();
    let wal_file = dir.path().join(raft_log_wal::WAL_FILE_NAME);
    for round in 0..20u64 {
        let first = wal.last_index() + 1;
        let batch: Vec<_> = (first..first + 100)
            .map(|i| LogEntry::new(round + 1, i, vec![7; 64]))
            .collect();
        wal.append(&batch).unwrap();
        wal.sync().unwrap();
        // Keep the last 10 entries live.
        let at = wal.last_index() - 10;
        wal.apply_snapshot(&Snapshot::new(at, wal.term_at(at).unwrap(), vec![1; 32]))
            .unwrap();
        let len = std::fs::metadata(&wal_file).unwrap().len();
        assert!(
            len < 10 * (64 + 40) + 100,
            "round {round}: file is {len} bytes"
        );
    }
    let snapshots = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("snapshot-")
        })
        .count();
    assert_eq!(snapshots, 1, "old snapshot files are removed");
    drop(wal);
    let wal = WalLog::open(dir.path()).unwrap();
    assert_eq!((wal.snapshot_index(), wal.last_index()), (1990, 2000));
    assert_eq!(wal.entries(1991, 2000).len(), 10);
}
