//! `LogIndex`: the in-memory view of the log, without the commands.
//!
//! The same transitions serve the live log and recovery, so replaying the
//! records rebuilds exactly the state that wrote them.

use raft_core::{EntryKind, HardState, Index, Term};

/// What the index keeps per entry: the term, where the command sits in the
/// log file, its length, its kind and whether it has a checksum. 24 bytes
/// (8 + 8 + 4 + 1 + 1, padded); the
/// command itself is read back from the file when asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    /// The entry's term.
    pub(crate) term: Term,
    /// Byte offset of the command in the log file.
    pub(crate) pos: u64,
    /// Length of the command in bytes.
    pub(crate) len: u32,
    /// Normal or config.
    pub(crate) kind: EntryKind,
    /// Whether the command's checksum sits in the `CHECKSUM_LEN` bytes
    /// before it (record version 2); version-1 entries have none.
    pub(crate) checked: bool,
}

/// The log's logical state: snapshot boundary, entry slots and hard state.
#[derive(Clone, Debug, Default)]
pub(crate) struct LogIndex {
    /// Last index covered by the snapshot (`0` if none).
    pub(crate) snapshot_index: Index,
    /// Term at `snapshot_index` (`0` if none).
    pub(crate) snapshot_term: Term,
    /// `slots[i]` is the entry at `snapshot_index + 1 + i`.
    pub(crate) slots: Vec<Slot>,
    /// The persisted term and vote.
    pub(crate) hard_state: HardState,
}

/// How `apply_snapshot` changed the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SnapshotEffect {
    /// The snapshot is not newer than the current one: nothing changes.
    Stale,
    /// The log held the snapshot's last entry: the suffix is kept.
    Compacted,
    /// The snapshot replaces the whole log.
    Replaced,
}

impl LogIndex {
    pub(crate) fn last_index(&self) -> Index {
        self.snapshot_index + self.slots.len() as Index
    }

    pub(crate) fn last_term(&self) -> Term {
        self.slots
            .last()
            .map_or(self.snapshot_term, |slot| slot.term)
    }

    /// Position in `slots` of `index`, if held.
    pub(crate) fn position(&self, index: Index) -> Option<usize> {
        let offset = index.checked_sub(self.snapshot_index + 1)?;
        let offset = usize::try_from(offset).ok()?;
        (offset < self.slots.len()).then_some(offset)
    }

    pub(crate) fn slot(&self, index: Index) -> Option<&Slot> {
        self.slots.get(self.position(index)?)
    }

    pub(crate) fn term_at(&self, index: Index) -> Option<Term> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        self.slot(index).map(|slot| slot.term)
    }

    /// Why `truncate(from)` is refused, if it is.
    pub(crate) fn check_truncate(&self, from: Index) -> Result<(), String> {
        if from <= self.snapshot_index {
            return Err(format!(
                "index {from} is covered by the snapshot at {}",
                self.snapshot_index
            ));
        }
        Ok(())
    }

    /// Removes every entry `>= from`; returns whether anything was removed.
    /// The caller has checked `check_truncate`.
    pub(crate) fn truncate(&mut self, from: Index) -> bool {
        match self.position(from) {
            Some(pos) => {
                self.slots.truncate(pos);
                true
            }
            None => false,
        }
    }

    /// Applies the snapshot rule of `RaftLog::apply_snapshot`.
    pub(crate) fn apply_snapshot(&mut self, index: Index, term: Term) -> SnapshotEffect {
        if index <= self.snapshot_index {
            return SnapshotEffect::Stale;
        }
        let effect = if self.term_at(index) == Some(term) {
            if let Some(pos) = self.position(index) {
                self.slots.drain(..=pos);
            }
            SnapshotEffect::Compacted
        } else {
            self.slots.clear();
            SnapshotEffect::Replaced
        };
        self.snapshot_index = index;
        self.snapshot_term = term;
        effect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(term: Term) -> Slot {
        Slot {
            term,
            pos: 0,
            len: 0,
            kind: EntryKind::Normal,
            checked: true,
        }
    }

    #[test]
    fn slot_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), crate::INDEX_BYTES_PER_ENTRY);
    }

    #[test]
    fn snapshot_rule_matches_memory_log() {
        let mut index = LogIndex {
            slots: vec![slot(1), slot(1), slot(2)],
            ..LogIndex::default()
        };
        assert_eq!(index.apply_snapshot(2, 1), SnapshotEffect::Compacted);
        assert_eq!(
            (index.last_index(), index.term_at(2), index.term_at(1)),
            (3, Some(1), None)
        );
        assert_eq!(index.apply_snapshot(2, 1), SnapshotEffect::Stale);
        assert_eq!(index.apply_snapshot(9, 4), SnapshotEffect::Replaced);
        assert_eq!((index.last_index(), index.last_term()), (9, 4));
        assert!(index.check_truncate(9).is_err());
        assert!(!index.truncate(10));
    }
}
