//! **(ours)** Shared commands: the fast path's entries, whose command bytes
//! are reference-counted so that one allocation serves the log, every
//! outgoing append and the `Apply` (see `RaftConfig::with_shared_commands`).
//!
//! The seed's owned types ([`LogEntry`], `AppendEntries`, `Action::Apply`)
//! copy a command once per place that holds it: into each follower's
//! append, and out of the log again for each apply. On the fast path a
//! command is allocated once, by whoever made it, and every other holder
//! takes a reference.

use std::sync::Arc;

use crate::message::AppendEntries;
use crate::types::{EntryKind, Index, LogEntry, Term};

/// A command's bytes, shared: cloning it counts a reference and copies
/// nothing.
///
/// ```
/// use raft_core::SharedCommand;
/// let command: SharedCommand = SharedCommand::from(&b"put k v"[..]);
/// let other = command.clone();
/// assert!(std::sync::Arc::ptr_eq(&command, &other));
/// ```
pub type SharedCommand = Arc<[u8]>;

/// A log entry whose command is a [`SharedCommand`]: [`LogEntry`] for the
/// fast path.
///
/// ```
/// use raft_core::{LogEntry, SharedEntry};
/// let shared = SharedEntry::new(2, 7, b"put k v"[..].into());
/// assert_eq!(shared.to_log_entry(), LogEntry::new(2, 7, b"put k v".to_vec()));
/// assert_eq!(SharedEntry::from(shared.to_log_entry()), shared);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedEntry {
    /// The term of the leader that created the entry.
    pub term: Term,
    /// The entry's position in the log.
    pub index: Index,
    /// Whether this is an application command or a configuration.
    pub kind: EntryKind,
    /// The command (or the encoded configuration), shared.
    pub command: SharedCommand,
}

impl SharedEntry {
    /// A `Normal` entry carrying `command`.
    pub fn new(term: Term, index: Index, command: SharedCommand) -> Self {
        Self {
            term,
            index,
            kind: EntryKind::Normal,
            command,
        }
    }

    /// The same entry with its command copied into an owned `Vec`.
    pub fn to_log_entry(&self) -> LogEntry {
        LogEntry {
            term: self.term,
            index: self.index,
            kind: self.kind,
            command: self.command.to_vec(),
        }
    }
}

impl From<LogEntry> for SharedEntry {
    /// Copies the command once into shared storage.
    fn from(entry: LogEntry) -> Self {
        Self {
            term: entry.term,
            index: entry.index,
            kind: entry.kind,
            command: entry.command.into(),
        }
    }
}

/// **(ours)** [`AppendEntries`] carrying [`SharedEntry`]s: what a leader
/// under `RaftConfig::with_shared_commands` sends when it has entries to
/// send (its heartbeats and probes stay `AppendEntries`). Every node
/// accepts both. On the wire it is an `AppendEntries` frame, encoded
/// straight from the shared bytes; the receiver decodes an `AppendEntries`.
///
/// ```
/// use raft_core::{AppendShared, Message, SharedEntry};
/// let m = AppendShared {
///     term: 4, leader: 1, prev_log_index: 9, prev_log_term: 3,
///     entries: vec![SharedEntry::new(4, 10, b"x"[..].into())], leader_commit: 7,
/// };
/// assert_eq!(m.to_append_entries().entries[0].command, b"x");
/// assert_eq!(Message::AppendShared(m).term(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendShared {
    /// The leader's term.
    pub term: Term,
    /// The leader.
    pub leader: crate::types::NodeId,
    /// Index of the entry just before `entries`.
    pub prev_log_index: Index,
    /// Term of that entry.
    pub prev_log_term: Term,
    /// Contiguous entries starting at `prev_log_index + 1`.
    pub entries: Vec<SharedEntry>,
    /// The leader's commit index.
    pub leader_commit: Index,
}

impl AppendShared {
    /// The same append with owned entries (each command copied).
    pub fn to_append_entries(&self) -> AppendEntries {
        AppendEntries {
            term: self.term,
            leader: self.leader,
            prev_log_index: self.prev_log_index,
            prev_log_term: self.prev_log_term,
            entries: self.entries.iter().map(SharedEntry::to_log_entry).collect(),
            leader_commit: self.leader_commit,
        }
    }
}
