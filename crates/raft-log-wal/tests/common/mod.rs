//! Helpers shared by the integration tests: comparing a `WalLog` with the
//! reference `MemoryLog` on every trait query.

#![allow(dead_code)]

use raft_core::{MemoryLog, RaftLog};
use raft_log_wal::WalLog;

/// Asserts that `wal` and `mem` answer every `RaftLog` query alike.
pub(crate) fn assert_same(wal: &WalLog, mem: &MemoryLog, context: &str) {
    assert_eq!(wal.last_index(), mem.last_index(), "last_index {context}");
    assert_eq!(wal.last_term(), mem.last_term(), "last_term {context}");
    assert_eq!(wal.hard_state(), mem.hard_state(), "hard_state {context}");
    assert_eq!(
        wal.snapshot_index(),
        mem.snapshot_index(),
        "snapshot_index {context}"
    );
    assert_eq!(wal.snapshot(), mem.snapshot(), "snapshot {context}");
    assert_eq!(
        wal.snapshot_membership(),
        mem.snapshot_membership(),
        "snapshot_membership {context}"
    );
    assert_eq!(
        wal.snapshot_len(),
        mem.snapshot_len(),
        "snapshot_len {context}"
    );
    let hi = mem.last_index() + 2;
    for i in 0..=hi {
        assert_eq!(wal.term_at(i), mem.term_at(i), "term_at({i}) {context}");
        assert_eq!(wal.entry(i), mem.entry(i), "entry({i}) {context}");
    }
    for from in mem.snapshot_index().saturating_sub(1)..=hi {
        assert_eq!(
            wal.entries(from, hi),
            mem.entries(from, hi),
            "entries({from}, {hi}) {context}"
        );
        let to = from + 2;
        assert_eq!(
            wal.entries(from, to),
            mem.entries(from, to),
            "entries({from}, {to}) {context}"
        );
        assert_eq!(
            wal.entries(from, from.saturating_sub(1)),
            mem.entries(from, from.saturating_sub(1))
        );
        for max in [0, 10, 100] {
            assert_eq!(
                wal.entries_bounded(from, hi, max),
                mem.entries_bounded(from, hi, max),
                "entries_bounded({from}, {hi}, {max}) {context}"
            );
        }
    }
}

/// A small deterministic generator, so scripted workloads replay exactly.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
