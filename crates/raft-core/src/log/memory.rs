//! `MemoryLog`: the default, non-durable `RaftLog`, backed by a `Vec`.

use super::{RaftLog, check_contiguous};
use crate::error::{Error, Result};
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
    entries: Vec<LogEntry>,
    hard_state: HardState,
    snapshot: Option<Snapshot>,
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

    fn snapshot_term(&self) -> Term {
        self.snapshot.as_ref().map_or(0, |snap| snap.term)
    }

    /// Position in `entries` of `index`, if held.
    fn position(&self, index: Index) -> Option<usize> {
        let offset = index.checked_sub(self.snapshot_index() + 1)?;
        let offset = usize::try_from(offset).ok()?;
        (offset < self.entries.len()).then_some(offset)
    }
}

impl RaftLog for MemoryLog {
    fn last_index(&self) -> Index {
        self.snapshot_index() + self.entries.len() as Index
    }

    fn last_term(&self) -> Term {
        self.entries
            .last()
            .map_or_else(|| self.snapshot_term(), |entry| entry.term)
    }

    fn term_at(&self, index: Index) -> Option<Term> {
        if index == self.snapshot_index() {
            return Some(self.snapshot_term());
        }
        self.position(index).map(|pos| self.entries[pos].term)
    }

    fn entry(&self, index: Index) -> Option<LogEntry> {
        self.position(index).map(|pos| self.entries[pos].clone())
    }

    fn kind_at(&self, index: Index) -> Option<EntryKind> {
        self.position(index).map(|pos| self.entries[pos].kind)
    }

    fn entries(&self, from: Index, to: Index) -> Vec<LogEntry> {
        let (Some(start), true) = (self.position(from), from <= to) else {
            return Vec::new();
        };
        let wanted = usize::try_from(to - from).unwrap_or(usize::MAX);
        let end = start.saturating_add(wanted).min(self.entries.len() - 1);
        self.entries[start..=end].to_vec()
    }

    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        check_contiguous(self.last_index(), entries)?;
        self.entries.extend_from_slice(entries);
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

    fn hard_state(&self) -> HardState {
        self.hard_state
    }

    fn set_hard_state(&mut self, state: HardState) -> Result<()> {
        self.hard_state = state;
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        Ok(())
    }

    fn snapshot_index(&self) -> Index {
        self.snapshot.as_ref().map_or(0, |snap| snap.index)
    }

    fn snapshot(&self) -> Option<Snapshot> {
        self.snapshot.clone()
    }

    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<()> {
        if snapshot.index <= self.snapshot_index() {
            return Ok(());
        }
        if self.term_at(snapshot.index) == Some(snapshot.term) {
            // Compaction: keep the suffix after the snapshot.
            if let Some(pos) = self.position(snapshot.index) {
                self.entries.drain(..=pos);
            }
        } else {
            // Installation: the snapshot replaces the whole log.
            self.entries.clear();
        }
        self.snapshot = Some(snapshot.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
