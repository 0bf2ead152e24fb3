//! The configurations a node's log holds, so that one in force can be found
//! for any index and a truncated configuration entry can be undone.
//!
//! Thesis 4.1: a server uses the latest configuration in its log, whether
//! or not it is committed; when a configuration entry is removed by a
//! conflicting append, the server falls back to the one before it.

use crate::log::RaftLog;
use crate::membership::Membership;
use crate::types::{EntryKind, Index};

/// The configurations of the log, oldest first: a base (the snapshot's, or
/// the one the node started with, at index `0`) and one per `Config` entry
/// after it.
///
/// Invariant: never empty; indices strictly increase.
#[derive(Clone, Debug)]
pub(crate) struct ConfigHistory {
    entries: Vec<(Index, Membership)>,
}

impl ConfigHistory {
    pub(crate) fn new(index: Index, membership: Membership) -> Self {
        Self {
            entries: vec![(index, membership)],
        }
    }

    /// The configuration in force: the latest in the log.
    pub(crate) fn in_force(&self) -> &Membership {
        &self.last().1
    }

    /// Index of the entry that set the configuration in force (the base's
    /// index for the base).
    pub(crate) fn in_force_index(&self) -> Index {
        self.last().0
    }

    fn last(&self) -> &(Index, Membership) {
        // The invariant keeps one entry at least.
        &self.entries[self.entries.len() - 1]
    }

    /// The configuration in force at `index`.
    pub(crate) fn at(&self, index: Index) -> &Membership {
        self.entries
            .iter()
            .rev()
            .find(|(at, _)| *at <= index)
            .map_or(&self.entries[0].1, |(_, membership)| membership)
    }

    /// A `Config` entry at `index` was appended.
    pub(crate) fn push(&mut self, index: Index, membership: Membership) {
        debug_assert!(
            index > self.in_force_index(),
            "config at {index} out of order"
        );
        self.entries.retain(|(at, _)| *at < index);
        if self.entries.is_empty() {
            self.entries.push((0, Membership::default()));
        }
        self.entries.push((index, membership));
    }

    /// Adds the configuration of every `Config` entry `log` holds after
    /// `after` (kinds are scanned without reading commands where the log
    /// knows them).
    pub(crate) fn push_from_log<L: RaftLog>(&mut self, log: &L, after: Index) {
        for index in after + 1..=log.last_index() {
            if log.kind_at(index) == Some(EntryKind::Config)
                && let Some(membership) = log.entry(index).and_then(|entry| entry.membership())
            {
                self.push(index, membership);
            }
        }
    }

    /// Entries from `from` on were truncated: forget their configurations.
    /// Returns whether the configuration in force changed.
    pub(crate) fn truncate(&mut self, from: Index) -> bool {
        let before = self.entries.len();
        while self.entries.len() > 1 && self.last().0 >= from {
            self.entries.pop();
        }
        self.entries.len() != before
    }

    /// The log was compacted through `index`: only the configuration in
    /// force there is still needed of those at or below it.
    pub(crate) fn compact(&mut self, index: Index) {
        let keep_from = self
            .entries
            .iter()
            .rposition(|(at, _)| *at <= index)
            .unwrap_or(0);
        self.entries.drain(..keep_from);
    }

    /// The log was replaced by a snapshot through `index` recording
    /// `membership`.
    pub(crate) fn reset(&mut self, index: Index, membership: Membership) {
        self.entries.clear();
        self.entries.push((index, membership));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_falls_back_to_the_previous_configuration() {
        let mut history = ConfigHistory::new(0, Membership::new([1, 2, 3]));
        history.push(5, Membership::new([1, 2, 3, 4]));
        history.push(9, Membership::new([1, 2, 4]));
        assert_eq!(history.in_force().voters(), &[1, 2, 4]);
        assert_eq!(history.at(7).voters(), &[1, 2, 3, 4]);
        assert!(!history.truncate(10));
        assert!(history.truncate(9));
        assert_eq!(history.in_force().voters(), &[1, 2, 3, 4]);
        assert!(history.truncate(3));
        assert_eq!(
            (history.in_force_index(), history.in_force().voters()),
            (0, &[1, 2, 3][..])
        );
        assert!(!history.truncate(1), "the base is never truncated");
    }

    #[test]
    fn compaction_keeps_the_configuration_in_force_at_the_snapshot() {
        let mut history = ConfigHistory::new(0, Membership::new([1]));
        history.push(3, Membership::new([1, 2]));
        history.push(8, Membership::new([1, 2, 3]));
        history.compact(5);
        assert_eq!(history.at(5).voters(), &[1, 2]);
        assert_eq!(history.at(0).voters(), &[1, 2], "older ones are gone");
        assert_eq!(history.in_force().voters(), &[1, 2, 3]);
    }
}
