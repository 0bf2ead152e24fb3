//! `MemoryLog`: the default, non-durable `RaftLog`, backed by a `Vec`.

use super::held_entries::HeldEntries;
use super::{
    RaftLog, SnapshotStage, StagedSnapshots, check_contiguous, check_indexes_contiguous, chunk_of,
};
use crate::error::{Error, Result};
use crate::membership::Membership;
use crate::shared::SharedEntry;
use crate::types::{EntryKind, HardState, Index, LogEntry, Snapshot, Term};

/// An in-memory `RaftLog` for tests, examples and the single-node path. Its
/// `sync` always succeeds and nothing survives the process.
///
/// ```
/// use raft_core::{Error, LogEntry, MemoryLog, RaftLog};
/// let mut log = MemoryLog::new();
/// assert!(log.is_empty());
/// log.append(&[LogEntry::new(1, 1, b"a".to_vec())]).unwrap();
/// assert_eq!(log.len(), 1);
/// // A non-contiguous append is refused rather than corrupting the log.
/// let err = log.append(&[LogEntry::new(1, 3, vec![])]).unwrap_err();
/// assert!(matches!(err, Error::Storage { .. }));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryLog {
    /// `entries[i]` has index `snapshot_index + 1 + i`.
    entries: HeldEntries,
    hard_state: HardState,
    snapshot: Option<Snapshot>,
    /// The whole configuration at the snapshot's index.
    snapshot_membership: Option<Membership>,
    /// Snapshots being taken in pieces (not part of the log's state).
    staged: StagedSnapshots,
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries held (not counting those compacted into the snapshot).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entries are held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn snapshot_term(&self) -> Term {
        self.snapshot.as_ref().map_or(0, |snap| snap.term)
    }

    /// Positions of the held entries in `[from, to]`, clamped to what is
    /// held; empty if `from` is not held or `from > to`.
    fn held(&self, from: Index, to: Index) -> std::ops::Range<usize> {
        let (Some(start), true) = (self.position(from), from <= to) else {
            return 0..0;
        };
        let wanted = usize::try_from(to - from).unwrap_or(usize::MAX);
        start..start.saturating_add(wanted).min(self.entries.len() - 1) + 1
    }

    /// Stores `snapshot` unless it is not newer than the stored one: a
    /// compaction keeps the suffix after it, an installation from another
    /// log replaces the whole log.
    fn store_snapshot(&mut self, snapshot: Snapshot, membership: Membership) {
        if snapshot.index <= self.snapshot_index() {
            return;
        }
        if self.term_at(snapshot.index) == Some(snapshot.term) {
            if let Some(pos) = self.position(snapshot.index) {
                self.entries.remove_through(pos);
            }
        } else {
            self.entries.clear();
        }
        self.snapshot = Some(snapshot);
        self.snapshot_membership = (!membership.is_empty()).then_some(membership);
    }

    /// Position in `entries` of `index`, if held.
    fn position(&self, index: Index) -> Option<usize> {
        let offset = index.checked_sub(self.snapshot_index() + 1)?;
        let offset = usize::try_from(offset).ok()?;
        (offset < self.entries.len()).then_some(offset)
    }
}

// The small reads and writes below are `#[inline]`: the node is generic
// over its log, so it is compiled in the user's crate, where a call into
// this crate cannot be inlined otherwise (measured: several calls per step).
impl RaftLog for MemoryLog {
    #[inline]
    fn last_index(&self) -> Index {
        self.snapshot_index() + self.entries.len() as Index
    }

    #[inline]
    fn last_term(&self) -> Term {
        match self.entries.len() {
            0 => self.snapshot_term(),
            len => self.entries.term(len - 1),
        }
    }

    /// The hottest read of the node (several per step): one bounds check.
    #[inline]
    fn term_at(&self, index: Index) -> Option<Term> {
        let (snapshot_index, snapshot_term) = self
            .snapshot
            .as_ref()
            .map_or((0, 0), |snap| (snap.index, snap.term));
        let offset = index.checked_sub(snapshot_index)?;
        match offset.checked_sub(1) {
            None => Some(snapshot_term),
            Some(pos) => self.entries.term_at(usize::try_from(pos).ok()?),
        }
    }

    fn entry(&self, index: Index) -> Option<LogEntry> {
        self.position(index).map(|pos| self.entries.entry(pos))
    }

    fn kind_at(&self, index: Index) -> Option<EntryKind> {
        self.position(index).map(|pos| self.entries.kind(pos))
    }

    fn entries(&self, from: Index, to: Index) -> Vec<LogEntry> {
        self.entries.to_owned_vec(self.held(from, to))
    }

    fn entries_into(&self, from: Index, to: Index, out: &mut Vec<LogEntry>) {
        self.entries.extend_owned(self.held(from, to), out);
    }

    /// One pass over the held slice and one allocation of the exact size:
    /// the default (an `entry` clone and a `Vec` push per index) showed up in
    /// the leader's `send_append` profile (`crates/raft-bench`).
    fn entries_bounded(&self, from: Index, to: Index, bytes_max: usize) -> Vec<LogEntry> {
        let held = self.held(from, to);
        if held.is_empty() {
            return Vec::new();
        }
        self.entries
            .to_owned_vec(self.entries.bounded(held, bytes_max))
    }

    /// Hands out the held references: no command is copied (unless the log
    /// holds owned entries, which are copied).
    fn shared_entries_into(
        &self,
        from: Index,
        to: Index,
        bytes_max: usize,
        out: &mut Vec<SharedEntry>,
    ) {
        let held = self.held(from, to);
        if held.is_empty() {
            return;
        }
        self.entries
            .extend_shared(self.entries.bounded(held, bytes_max), out);
    }

    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        check_contiguous(self.last_index(), entries)?;
        self.entries.append_cloned(entries);
        Ok(())
    }

    /// Moves the entries: no command is cloned.
    fn append_from(&mut self, entries: &mut Vec<LogEntry>) -> Result<()> {
        check_contiguous(self.last_index(), entries)?;
        self.entries.append_owned(entries);
        Ok(())
    }

    /// Keeps the references: no command is copied.
    fn append_shared(&mut self, entries: &mut Vec<SharedEntry>) -> Result<()> {
        check_indexes_contiguous(self.last_index(), entries.iter().map(|entry| entry.index))?;
        self.entries.append_shared(entries);
        Ok(())
    }

    fn truncate(&mut self, from: Index) -> Result<()> {
        if from <= self.snapshot_index() {
            return Err(Error::storage(
                "truncate",
                format_args!(
                    "index {from} is covered by the snapshot at {}",
                    self.snapshot_index()
                ),
            ));
        }
        if let Some(pos) = self.position(from) {
            self.entries.truncate(pos);
        }
        Ok(())
    }

    #[inline]
    fn hard_state(&self) -> HardState {
        self.hard_state
    }

    #[inline]
    fn set_hard_state(&mut self, state: HardState) -> Result<()> {
        self.hard_state = state;
        Ok(())
    }

    #[inline]
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn snapshot_index(&self) -> Index {
        self.snapshot.as_ref().map_or(0, |snap| snap.index)
    }

    fn snapshot(&self) -> Option<Snapshot> {
        self.snapshot.clone()
    }

    fn snapshot_membership(&self) -> Option<Membership> {
        self.snapshot_membership.clone()
    }

    fn apply_snapshot_with_membership(
        &mut self,
        snapshot: &Snapshot,
        membership: &Membership,
    ) -> Result<()> {
        self.store_snapshot(snapshot.clone(), membership.clone());
        Ok(())
    }

    fn snapshot_len(&self) -> u64 {
        self.snapshot
            .as_ref()
            .map_or(0, |snapshot| snapshot.data.len() as u64)
    }

    fn snapshot_chunk(&self, offset: u64, len: usize) -> Vec<u8> {
        self.snapshot
            .as_ref()
            .map_or_else(Vec::new, |snapshot| chunk_of(&snapshot.data, offset, len))
    }

    fn stages_snapshots(&self) -> bool {
        true
    }

    fn stage_begin(&mut self, stage: SnapshotStage) -> Result<()> {
        self.staged.begin(stage);
        Ok(())
    }

    fn stage_write(&mut self, stage: SnapshotStage, data: &[u8]) -> Result<()> {
        self.staged.write(stage, data)
    }

    fn stage_install(
        &mut self,
        stage: SnapshotStage,
        index: Index,
        term: Term,
        membership: &Membership,
    ) -> Result<()> {
        let data = self.staged.take(stage)?;
        let snapshot = Snapshot::with_config(index, term, membership.voters().to_vec(), data);
        self.store_snapshot(snapshot, membership.clone());
        Ok(())
    }

    fn stage_discard(&mut self, stage: SnapshotStage) {
        self.staged.discard(stage);
    }

    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<()> {
        let membership = Membership::new(snapshot.config.iter().copied());
        self.store_snapshot(snapshot.clone(), membership);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn len_and_is_empty_count_the_held_entries() {
        let mut log = MemoryLog::new();
        assert_eq!((log.len(), log.is_empty()), (0, true));
        log.append(&[LogEntry::new(1, 1, vec![]), LogEntry::new(1, 2, vec![])])
            .unwrap();
        assert_eq!((log.len(), log.is_empty()), (2, false));
    }

    #[test]
    fn it_stages_snapshots_and_a_discarded_stage_installs_nothing() {
        let mut log = MemoryLog::new();
        assert!(log.stages_snapshots());
        let stage = SnapshotStage::FromLeader;
        let voters = Membership::new([1, 2]);
        log.stage_begin(stage).unwrap();
        log.stage_write(stage, b"ab").unwrap();
        log.stage_discard(stage);
        assert!(log.stage_install(stage, 3, 1, &voters).is_err());
        assert_eq!(log.snapshot_index(), 0);
        log.stage_begin(stage).unwrap();
        log.stage_write(stage, b"cd").unwrap();
        log.stage_install(stage, 3, 1, &voters).unwrap();
        assert_eq!(log.snapshot().unwrap().data, b"cd");
        assert_eq!(log.snapshot_membership(), Some(voters));
    }

    fn log_with(terms: &[Term]) -> MemoryLog {
        let mut log = MemoryLog::new();
        let entries: Vec<_> = terms
            .iter()
            .zip(1..)
            .map(|(&term, index)| LogEntry::new(term, index, index.to_le_bytes().to_vec()))
            .collect();
        log.append(&entries).unwrap();
        log
    }

    #[test]
    fn truncate_drops_the_suffix() {
        let mut log = log_with(&[1, 1, 2]);
        log.truncate(2).unwrap();
        assert_eq!(log.last_index(), 1);
        assert_eq!(log.last_term(), 1);
        log.truncate(9).unwrap();
        assert_eq!(log.last_index(), 1);
    }

    #[test]
    fn entries_clamps_to_what_is_held() {
        let log = log_with(&[1, 1, 2]);
        assert_eq!(log.entries(2, 10).len(), 2);
        assert!(log.entries(4, 10).is_empty());
        assert!(log.entries(3, 2).is_empty());
    }

    #[test]
    fn bulk_reads_agree_with_the_defaults() {
        // The trait's default, through a log that only implements `entry`.
        struct EntryOnly<'a>(&'a MemoryLog);
        impl RaftLog for EntryOnly<'_> {
            fn last_index(&self) -> Index {
                self.0.last_index()
            }
            fn last_term(&self) -> Term {
                self.0.last_term()
            }
            fn term_at(&self, index: Index) -> Option<Term> {
                self.0.term_at(index)
            }
            fn entry(&self, index: Index) -> Option<LogEntry> {
                self.0.entry(index)
            }
            fn append(&mut self, _: &[LogEntry]) -> Result<()> {
                Ok(())
            }
            fn truncate(&mut self, _: Index) -> Result<()> {
                Ok(())
            }
            fn hard_state(&self) -> HardState {
                self.0.hard_state()
            }
            fn set_hard_state(&mut self, _: HardState) -> Result<()> {
                Ok(())
            }
            fn sync(&mut self) -> Result<()> {
                Ok(())
            }
        }
        let mut log = MemoryLog::new();
        let entries: Vec<_> = (1..=6)
            .map(|index| LogEntry::new(1, index, vec![0; usize::try_from(index).unwrap()]))
            .collect();
        log.append(&entries).unwrap();
        log.apply_snapshot(&Snapshot::new(1, 1, vec![])).unwrap();
        for from in 0..=8 {
            for to in 0..=8 {
                for bytes_max in [0, 1, 2, 5, 9, 12, 100] {
                    assert_eq!(
                        log.entries_bounded(from, to, bytes_max),
                        EntryOnly(&log).entries_bounded(from, to, bytes_max),
                        "from {from} to {to} bytes_max {bytes_max}"
                    );
                }
                assert_eq!(log.entries(from, to), EntryOnly(&log).entries(from, to));
                // Pushed after what the buffer already holds.
                let prefix = LogEntry::new(9, 99, vec![1]);
                let (mut ours, mut default) = (vec![prefix.clone()], vec![prefix]);
                log.entries_into(from, to, &mut ours);
                EntryOnly(&log).entries_into(from, to, &mut default);
                assert_eq!(ours, default, "entries_into from {from} to {to}");
            }
        }
    }

    #[test]
    fn append_from_moves_the_batch_and_keeps_the_precondition() {
        let mut batch: Vec<_> = (1..=3)
            .map(|index| LogEntry::new(1, index, vec![7; 3]))
            .collect();
        let mut cloned = MemoryLog::new();
        cloned.append(&batch).unwrap();
        let mut moved = MemoryLog::new();
        moved.append_from(&mut batch).unwrap();
        assert_eq!(moved, cloned);
        assert!(
            batch.is_empty() && batch.capacity() >= 3,
            "emptied, capacity kept"
        );
        // A gap is refused and the batch is left as it was.
        let mut gap = vec![LogEntry::new(1, 5, vec![])];
        assert!(matches!(
            moved.append_from(&mut gap),
            Err(Error::Storage { .. })
        ));
        assert_eq!((gap.len(), moved.last_index()), (1, 3));
    }

    #[test]
    fn entries_bounded_keeps_at_least_one() {
        let mut log = MemoryLog::new();
        log.append(&[
            LogEntry::new(1, 1, vec![0; 10]),
            LogEntry::new(1, 2, vec![0; 10]),
        ])
        .unwrap();
        assert_eq!(log.entries_bounded(1, 2, 1).len(), 1);
        assert_eq!(log.entries_bounded(1, 2, 20).len(), 2);
    }

    #[test]
    fn compaction_keeps_the_tail_and_the_boundary_term() {
        let mut log = log_with(&[1, 1, 2, 3]);
        log.apply_snapshot(&Snapshot::new(2, 1, vec![])).unwrap();
        assert_eq!(log.snapshot_index(), 2);
        assert_eq!(log.term_at(2), Some(1));
        assert_eq!(log.term_at(1), None);
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.last_index(), 4);
        assert!(log.truncate(2).is_err());
    }

    #[test]
    fn installing_a_foreign_snapshot_replaces_the_log() {
        let mut log = log_with(&[1, 1]);
        log.apply_snapshot(&Snapshot::new(5, 4, vec![])).unwrap();
        assert_eq!(log.last_index(), 5);
        assert_eq!(log.last_term(), 4);
        assert!(log.is_empty());
        log.append(&[LogEntry::new(4, 6, vec![])]).unwrap();
        assert_eq!(log.last_index(), 6);
    }
}
