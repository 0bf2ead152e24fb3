//! Applying committed entries (Raft paper 5.3, Figure 2: "if commitIndex >
//! lastApplied, increment lastApplied, apply log[lastApplied] to the state
//! machine"), in either entry form, each once and in order; a log that
//! cannot give an entry back, or gives back another, is a storage fault.

use super::RaftNode;
use super::entry_forms::EntryForm;
use crate::error::{Error, Result};
use crate::log::RaftLog;
use crate::types::Index;

/// Entries handed to the state machine per log read while applying.
const APPLY_CHUNK_ENTRIES: Index = 256;

impl<L: RaftLog> RaftNode<L> {
    /// Hands committed entries to the state machine, in order, each once.
    /// Empty (no-op) and configuration entries are skipped.
    pub(super) fn apply_committed(&mut self) -> Result<()> {
        if self.last_applied < self.commit_index {
            if self.config.shared_commands() {
                let mut buffer = std::mem::take(&mut self.apply_shared_buf);
                let result = self.apply_from_log(&mut buffer);
                self.apply_shared_buf = buffer;
                result?;
            } else {
                let mut buffer = std::mem::take(&mut self.apply_buf);
                let result = self.apply_from_log(&mut buffer);
                self.apply_buf = buffer;
                result?;
            }
        }
        self.maybe_hint_snapshot();
        Ok(())
    }

    /// Reads committed entries into `buffer` (reused across steps, left
    /// empty) and emits their applies.
    fn apply_from_log<E: EntryForm>(&mut self, buffer: &mut Vec<E>) -> Result<()> {
        if self.commit_index == self.last_applied + 1 {
            // One entry (one proposal in flight, say): read alone.
            let index = self.commit_index;
            let entry = E::read_one(&self.log, index, buffer);
            return self.apply_entry(entry, index);
        }
        while self.last_applied < self.commit_index {
            let from = self.last_applied + 1;
            let to = self
                .commit_index
                .min(from.saturating_add(APPLY_CHUNK_ENTRIES - 1));
            buffer.clear();
            E::read_from(&self.log, from, to, buffer);
            if buffer.is_empty() {
                return Err(missing_entry(from));
            }
            for entry in buffer.drain(..) {
                // `apply_entry`'s check, written out: passing each entry
                // through its `Option` cost some 24 instructions per entry
                // (callgrind, follower append of 8).
                if entry.index() != self.last_applied + 1 {
                    return Err(misplaced_entry(entry.index(), self.last_applied + 1));
                }
                self.last_applied = entry.index();
                entry.push_apply(&mut self.out);
            }
        }
        Ok(())
    }

    /// Applies `entry`, which the log returned for index `expected` (the
    /// next to apply): a missing or misplaced entry is a storage fault.
    #[inline]
    fn apply_entry<E: EntryForm>(&mut self, entry: Option<E>, expected: Index) -> Result<()> {
        match entry {
            Some(entry) if entry.index() == expected => {
                self.last_applied = expected;
                entry.push_apply(&mut self.out);
                Ok(())
            }
            Some(entry) => Err(misplaced_entry(entry.index(), expected)),
            None => Err(missing_entry(expected)),
        }
    }
}

/// The log does not hold committed entry `index`.
#[cold]
fn missing_entry(index: Index) -> Error {
    Error::storage(
        "apply",
        format_args!("committed entry {index} is missing from the log"),
    )
}

/// The log returned entry `got` where the node asked for `expected`.
#[cold]
fn misplaced_entry(got: Index, expected: Index) -> Error {
    Error::storage(
        "apply",
        format_args!("log returned entry {got} where {expected} was expected"),
    )
}
