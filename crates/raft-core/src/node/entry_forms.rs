//! The two forms an entry takes in the node, owned ([`LogEntry`]) and
//! shared ([`SharedEntry`]), as the follower's append path and the apply
//! path see them: one implementation of each rule serves both.

use crate::error::Result;
use crate::event::Action;
use crate::log::RaftLog;
use crate::shared::SharedEntry;
use crate::types::{EntryKind, Index, LogEntry, Term};

/// One entry, either form.
pub(super) trait EntryForm: Sized {
    fn index(&self) -> Index;
    fn term(&self) -> Term;
    fn kind(&self) -> EntryKind;
    /// Pushes the log's entries `[from, to]` onto `out`, in this form.
    fn read_from<L: RaftLog>(log: &L, from: Index, to: Index, out: &mut Vec<Self>);
    /// The log's entry at `index` alone, in this form (`buffer` is scratch
    /// space a form may use).
    fn read_one<L: RaftLog>(log: &L, index: Index, buffer: &mut Vec<Self>) -> Option<Self>;
    /// Moves `batch` into `log`, leaving it empty.
    fn append_to<L: RaftLog>(log: &mut L, batch: &mut Vec<Self>) -> Result<()>;
    /// The owned form, for the (rare) configuration entries.
    fn owned(&self) -> LogEntry;
    /// Pushes the `Apply` of this entry onto `out` if it is normal and
    /// non-empty (a no-op or a configuration is not applied); built in
    /// place, as the hot path wants.
    fn push_apply(self, out: &mut Vec<Action>);
}

impl EntryForm for LogEntry {
    fn index(&self) -> Index {
        self.index
    }

    fn term(&self) -> Term {
        self.term
    }

    fn kind(&self) -> EntryKind {
        self.kind
    }

    fn read_from<L: RaftLog>(log: &L, from: Index, to: Index, out: &mut Vec<Self>) {
        log.entries_into(from, to, out);
    }

    /// One clone, without the batch read's range and buffer work
    /// (measured: a third of applying one entry).
    fn read_one<L: RaftLog>(log: &L, index: Index, _buffer: &mut Vec<Self>) -> Option<Self> {
        log.entry(index)
    }

    fn append_to<L: RaftLog>(log: &mut L, batch: &mut Vec<Self>) -> Result<()> {
        log.append_from(batch)
    }

    fn owned(&self) -> LogEntry {
        self.clone()
    }

    #[inline]
    fn push_apply(self, out: &mut Vec<Action>) {
        if self.kind == EntryKind::Normal && !self.command.is_empty() {
            out.push(Action::Apply {
                index: self.index,
                term: self.term,
                command: self.command,
            });
        }
    }
}

impl EntryForm for SharedEntry {
    fn index(&self) -> Index {
        self.index
    }

    fn term(&self) -> Term {
        self.term
    }

    fn kind(&self) -> EntryKind {
        self.kind
    }

    fn read_from<L: RaftLog>(log: &L, from: Index, to: Index, out: &mut Vec<Self>) {
        log.shared_entries_into(from, to, usize::MAX, out);
    }

    fn read_one<L: RaftLog>(log: &L, index: Index, buffer: &mut Vec<Self>) -> Option<Self> {
        buffer.clear();
        log.shared_entries_into(index, index, usize::MAX, buffer);
        buffer.pop()
    }

    fn append_to<L: RaftLog>(log: &mut L, batch: &mut Vec<Self>) -> Result<()> {
        log.append_shared(batch)
    }

    fn owned(&self) -> LogEntry {
        self.to_log_entry()
    }

    #[inline]
    fn push_apply(self, out: &mut Vec<Action>) {
        if self.kind == EntryKind::Normal && !self.command.is_empty() {
            out.push(Action::ApplyShared {
                index: self.index,
                term: self.term,
                command: self.command,
            });
        }
    }
}

/// Entries must continue `prev_log_index` contiguously with terms that
/// never decrease and never exceed the leader's `term`; anything else is
/// corrupt input and is ignored rather than trusted.
pub(super) fn is_well_formed<E: EntryForm>(
    term: Term,
    prev_log_index: Index,
    prev_log_term: Term,
    entries: &[E],
) -> bool {
    let mut expected_index = prev_log_index;
    let mut previous_term = prev_log_term;
    for entry in entries {
        let Some(next) = expected_index.checked_add(1) else {
            return false;
        };
        expected_index = next;
        if entry.index() != expected_index || entry.term() < previous_term || entry.term() > term {
            return false;
        }
        previous_term = entry.term();
    }
    true
}
