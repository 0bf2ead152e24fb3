//! The storage seam: `RaftLog`, and `MemoryLog`, its in-memory implementation.

mod memory;

pub use memory::MemoryLog;

use crate::error::{Error, Result};
use crate::types::{EntryKind, HardState, Index, LogEntry, Snapshot, Term};

/// Where the log and the hard state live. The node reads and writes through
/// it and treats `sync` returning `Ok` as the durability point.
///
/// **Durability contract.** A backend may buffer writes, but once `sync`
/// returns `Ok`, every preceding `append`, `truncate`, `set_hard_state` and
/// `apply_snapshot` is durable. The node calls `sync` before it hands out any
/// message that depends on those writes.
///
/// ```
/// use raft_core::{HardState, LogEntry, MemoryLog, RaftLog};
/// let mut log = MemoryLog::new();
/// log.append(&[LogEntry::new(1, 1, b"a".to_vec())]).unwrap();
/// log.set_hard_state(HardState { term: 1, voted_for: Some(1) }).unwrap();
/// log.sync().unwrap();
/// assert_eq!(log.last_index(), 1);
/// assert_eq!(log.term_at(1), Some(1));
/// assert_eq!(log.term_at(0), Some(0)); // the sentinel
/// assert_eq!(log.term_at(2), None);
/// ```
pub trait RaftLog {
    /// Index of the last entry (the snapshot index if the log is empty after
    /// it, `0` if there is nothing at all).
    fn last_index(&self) -> Index;

    /// Term of the last entry (the snapshot term, or `0`).
    fn last_term(&self) -> Term;

    /// Term at `index`: `Some(0)` at `0`, `Some(snapshot term)` at the
    /// snapshot boundary, `None` below it or past the end.
    fn term_at(&self, index: Index) -> Option<Term>;

    /// The entry at `index`, if the log holds it.
    fn entry(&self, index: Index) -> Option<LogEntry>;

    /// **(ours)** The kind of the entry at `index`, if the log holds it.
    /// The node scans kinds at start-up to find the configuration entries;
    /// override it when the kind is known without reading the command.
    fn kind_at(&self, index: Index) -> Option<EntryKind> {
        self.entry(index).map(|entry| entry.kind)
    }

    /// Entries in the inclusive range `[from, to]`; stops at the first index
    /// the log does not hold. Override for a bulk read.
    fn entries(&self, from: Index, to: Index) -> Vec<LogEntry> {
        (from..=to).map_while(|index| self.entry(index)).collect()
    }

    /// Like `entries`, but stops once the commands total more than
    /// `bytes_max` (always returning at least the first entry if it exists),
    /// so one oversized batch cannot starve a follower. Override for a bulk
    /// read.
    fn entries_bounded(&self, from: Index, to: Index, bytes_max: usize) -> Vec<LogEntry> {
        let mut bytes = 0usize;
        let mut out = Vec::new();
        for index in from..=to {
            let Some(entry) = self.entry(index) else {
                break;
            };
            bytes = bytes.saturating_add(entry.command.len());
            if !out.is_empty() && bytes > bytes_max {
                break;
            }
            out.push(entry);
        }
        out
    }

    /// A failure of a reading call, latched. `entry`, `entries` and
    /// `entries_bounded` cannot return an error, so a backend whose read
    /// fails (an I/O error, a checksum mismatch) returns what it could and
    /// remembers why; from then on this returns an [`Error::Storage`]. The
    /// node checks it at the end of every step and fails that step, and
    /// every later one, as it would a failed write: a step that only read
    /// (a heartbeat, a resend) must not carry on as if the disk were fine.
    /// The default never fails: its reads cannot.
    ///
    /// ```
    /// use raft_core::{MemoryLog, RaftLog};
    /// assert_eq!(MemoryLog::new().read_error(), None);
    /// ```
    fn read_error(&self) -> Option<Error> {
        None
    }

    /// Append a batch; the first index must be `last_index() + 1` and the
    /// batch contiguous, else `Error::Storage`.
    fn append(&mut self, entries: &[LogEntry]) -> Result<()>;

    /// Remove every entry with index `>= from`.
    fn truncate(&mut self, from: Index) -> Result<()>;

    /// The persisted term and vote.
    fn hard_state(&self) -> HardState;

    /// Persist a new term and vote (durable after the next `sync`).
    fn set_hard_state(&mut self, state: HardState) -> Result<()>;

    /// Make every preceding write durable.
    fn sync(&mut self) -> Result<()>;

    /// The last index covered by the stored snapshot (`0` if none).
    fn snapshot_index(&self) -> Index {
        0
    }

    /// The stored snapshot, if any.
    fn snapshot(&self) -> Option<Snapshot> {
        None
    }

    /// Store `snapshot` and drop the entries it covers. If the log holds the
    /// entry at `snapshot.index` with the same term, the entries after it
    /// are kept; otherwise the whole log is replaced. The default fails, so
    /// a snapshot-unaware backend fails loudly.
    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<()> {
        let _ = snapshot;
        Err(Error::storage(
            "apply snapshot",
            "this log backend does not support snapshots",
        ))
    }
}

/// Checks the `append` precondition shared by every backend: the batch
/// starts at `last_index + 1` and is contiguous.
///
/// ```
/// use raft_core::{LogEntry, log::check_contiguous};
/// let batch = [LogEntry::new(1, 4, vec![]), LogEntry::new(1, 5, vec![])];
/// assert!(check_contiguous(3, &batch).is_ok());
/// assert!(check_contiguous(4, &batch).is_err());
/// ```
pub fn check_contiguous(last_index: Index, entries: &[LogEntry]) -> Result<()> {
    for (expected, entry) in (last_index + 1..).zip(entries) {
        if entry.index != expected {
            return Err(Error::storage(
                "append",
                format_args!(
                    "entry index {} is not contiguous (expected {expected})",
                    entry.index
                ),
            ));
        }
    }
    Ok(())
}

/// Fails with the log's latched read error, if any (see
/// [`RaftLog::read_error`]), always as an [`Error::Storage`], so the node
/// stops whatever the backend reported.
pub(crate) fn check_reads(log: &impl RaftLog) -> Result<()> {
    match log.read_error() {
        None => Ok(()),
        Some(error @ Error::Storage { .. }) => Err(error),
        Some(other) => Err(Error::storage("read", other)),
    }
}
