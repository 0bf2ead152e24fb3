//! The entries a `MemoryLog` holds, all in one form: owned (the seed's
//! `LogEntry`) until the first shared append, shared (`SharedEntry`) from
//! then on. A node uses one form, so each path reads and writes its own
//! form with the plain `Vec` operations and copies nothing; an entry of
//! the other form is converted (copied) once, on its way in or out.

use std::ops::Range;

use crate::shared::SharedEntry;
use crate::types::{EntryKind, LogEntry, Term};

#[derive(Clone)]
pub(super) enum HeldEntries {
    Owned(Vec<LogEntry>),
    Shared(Vec<SharedEntry>),
}

impl Default for HeldEntries {
    fn default() -> Self {
        Self::Owned(Vec::new())
    }
}

impl HeldEntries {
    #[inline]
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Owned(entries) => entries.len(),
            Self::Shared(entries) => entries.len(),
        }
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The term at `pos`, if held.
    #[inline]
    pub(super) fn term_at(&self, pos: usize) -> Option<Term> {
        match self {
            Self::Owned(entries) => entries.get(pos).map(|entry| entry.term),
            Self::Shared(entries) => entries.get(pos).map(|entry| entry.term),
        }
    }

    #[inline]
    pub(super) fn term(&self, pos: usize) -> Term {
        match self {
            Self::Owned(entries) => entries[pos].term,
            Self::Shared(entries) => entries[pos].term,
        }
    }

    #[inline]
    pub(super) fn kind(&self, pos: usize) -> EntryKind {
        match self {
            Self::Owned(entries) => entries[pos].kind,
            Self::Shared(entries) => entries[pos].kind,
        }
    }

    fn command_len(&self, pos: usize) -> usize {
        match self {
            Self::Owned(entries) => entries[pos].command.len(),
            Self::Shared(entries) => entries[pos].command.len(),
        }
    }

    /// The longest prefix of `range` whose commands total at most
    /// `bytes_max`, never less than its first entry.
    pub(super) fn bounded(&self, range: Range<usize>, bytes_max: usize) -> Range<usize> {
        let mut bytes = 0usize;
        let count = range
            .clone()
            .take_while(|&pos| {
                bytes = bytes.saturating_add(self.command_len(pos));
                bytes <= bytes_max
            })
            .count()
            .max(1);
        range.start..range.end.min(range.start + count)
    }

    pub(super) fn entry(&self, pos: usize) -> LogEntry {
        match self {
            Self::Owned(entries) => entries[pos].clone(),
            Self::Shared(entries) => entries[pos].to_log_entry(),
        }
    }

    pub(super) fn extend_owned(&self, range: Range<usize>, out: &mut Vec<LogEntry>) {
        match self {
            Self::Owned(entries) => out.extend_from_slice(&entries[range]),
            Self::Shared(entries) => {
                out.extend(entries[range].iter().map(SharedEntry::to_log_entry))
            }
        }
    }

    pub(super) fn to_owned_vec(&self, range: Range<usize>) -> Vec<LogEntry> {
        match self {
            Self::Owned(entries) => entries[range].to_vec(),
            Self::Shared(entries) => entries[range]
                .iter()
                .map(SharedEntry::to_log_entry)
                .collect(),
        }
    }

    pub(super) fn extend_shared(&self, range: Range<usize>, out: &mut Vec<SharedEntry>) {
        match self {
            Self::Owned(entries) => {
                out.extend(entries[range].iter().cloned().map(SharedEntry::from));
            }
            Self::Shared(entries) => out.extend_from_slice(&entries[range]),
        }
    }

    /// Drops the entries at positions `..=pos`.
    pub(super) fn remove_through(&mut self, pos: usize) {
        match self {
            Self::Owned(entries) => drop(entries.drain(..=pos)),
            Self::Shared(entries) => drop(entries.drain(..=pos)),
        }
    }

    pub(super) fn truncate(&mut self, len: usize) {
        match self {
            Self::Owned(entries) => entries.truncate(len),
            Self::Shared(entries) => entries.truncate(len),
        }
    }

    pub(super) fn clear(&mut self) {
        self.truncate(0);
    }

    pub(super) fn append_cloned(&mut self, batch: &[LogEntry]) {
        match self {
            Self::Owned(entries) => entries.extend_from_slice(batch),
            Self::Shared(entries) => entries.extend(batch.iter().cloned().map(SharedEntry::from)),
        }
    }

    pub(super) fn append_owned(&mut self, batch: &mut Vec<LogEntry>) {
        match self {
            Self::Owned(entries) => entries.append(batch),
            Self::Shared(entries) => entries.extend(batch.drain(..).map(SharedEntry::from)),
        }
    }

    /// The first shared append turns the held entries shared (each held
    /// command copied once); later ones only move references.
    pub(super) fn append_shared(&mut self, batch: &mut Vec<SharedEntry>) {
        if let Self::Owned(entries) = self {
            let converted = std::mem::take(entries)
                .into_iter()
                .map(SharedEntry::from)
                .collect();
            *self = Self::Shared(converted);
        }
        if let Self::Shared(entries) = self {
            entries.append(batch);
        }
    }

    /// `(index, term, kind, command)` of the entry at `pos`.
    fn key(&self, pos: usize) -> (u64, Term, EntryKind, &[u8]) {
        match self {
            Self::Owned(entries) => {
                let e = &entries[pos];
                (e.index, e.term, e.kind, &e.command)
            }
            Self::Shared(entries) => {
                let e = &entries[pos];
                (e.index, e.term, e.kind, &e.command)
            }
        }
    }
}

/// Equal when the entries are, whichever form holds them.
impl PartialEq for HeldEntries {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|pos| self.key(pos) == other.key(pos))
    }
}

impl Eq for HeldEntries {}

/// The entries as a list, whichever form holds them.
impl std::fmt::Debug for HeldEntries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Owned(entries) => f.debug_list().entries(entries).finish(),
            Self::Shared(entries) => f.debug_list().entries(entries).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(commands: &[&[u8]]) -> Vec<LogEntry> {
        commands
            .iter()
            .zip(1..)
            .map(|(c, index)| LogEntry::new(1, index, c.to_vec()))
            .collect()
    }

    #[test]
    fn the_first_shared_append_converts_and_later_ones_share() {
        let mut held = HeldEntries::default();
        held.append_owned(&mut owned(&[b"a", b"b"]));
        let command: crate::SharedCommand = b"c"[..].into();
        held.append_shared(&mut vec![SharedEntry::new(1, 3, command.clone())]);
        assert!(matches!(held, HeldEntries::Shared(_)));
        let mut out = Vec::new();
        held.extend_shared(0..3, &mut out);
        assert!(std::sync::Arc::ptr_eq(&out[2].command, &command));
        assert_eq!(held.to_owned_vec(0..3), owned(&[b"a", b"b", b"c"]));
        // An owned append to a shared log is converted on the way in.
        held.append_cloned(&[LogEntry::new(1, 4, b"d".to_vec())]);
        assert_eq!(held.entry(3), LogEntry::new(1, 4, b"d".to_vec()));
        assert_eq!(held.len(), 4);
    }

    #[test]
    fn equality_and_debug_ignore_the_form() {
        let mut a = HeldEntries::default();
        a.append_owned(&mut owned(&[b"x", b"y"]));
        let mut b = HeldEntries::default();
        b.append_shared(
            &mut owned(&[b"x", b"y"])
                .into_iter()
                .map(SharedEntry::from)
                .collect(),
        );
        assert_eq!(a, b);
        b.truncate(1);
        assert_ne!(a, b);
        let mut c = HeldEntries::default();
        c.append_owned(&mut owned(&[b"x"]));
        assert_eq!(
            format!("{b:?}").replace("SharedEntry", "LogEntry"),
            format!("{c:?}")
        );
    }

    #[test]
    fn a_bounded_range_keeps_at_least_its_first_entry() {
        let mut held = HeldEntries::default();
        held.append_owned(&mut owned(&[b"aaaa", b"bb", b"c"]));
        assert_eq!(held.bounded(0..3, 6), 0..2);
        assert_eq!(held.bounded(0..3, 1), 0..1);
        assert_eq!(held.bounded(1..3, 100), 1..3);
        assert_eq!(held.bounded(0..3, 7), 0..3);
    }
}
