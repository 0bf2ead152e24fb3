//! The storage seam: `RaftLog`, and `MemoryLog`, its in-memory implementation.

mod held_entries;
mod memory;
mod snapshot_reader;
mod staging;

pub use memory::MemoryLog;
pub use snapshot_reader::SnapshotReader;
pub use staging::{SnapshotStage, StagedSnapshots};

use crate::error::{Error, Result};
use crate::membership::Membership;
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

    /// The largest batch one `append` accepts, counted as the sum over its
    /// entries of `command.len() + ENTRY_OVERHEAD_BYTES` (see
    /// [`append_cost`]). The node never asks for more: a proposal that alone
    /// exceeds it is refused with [`Error::ProposalTooLarge`] before anything
    /// is written, and a step's proposals that together exceed it go to the
    /// log in several appends. A backend with a record size limit reports it
    /// here, less its fixed per-batch overhead. The default is unlimited.
    ///
    /// ```
    /// use raft_core::{MemoryLog, RaftLog};
    /// assert_eq!(MemoryLog::new().max_append_bytes(), usize::MAX);
    /// ```
    fn max_append_bytes(&self) -> usize {
        usize::MAX
    }

    /// Append a batch; the first index must be `last_index() + 1` and the
    /// batch contiguous, else `Error::Storage`.
    fn append(&mut self, entries: &[LogEntry]) -> Result<()>;

    /// Appends `entries` (same precondition as `append`) and leaves the
    /// `Vec` empty with its capacity, so a caller that owns the batch hands
    /// it over instead of having it cloned. The default clones through
    /// `append`; a log that stores `LogEntry`s should move them.
    fn append_from(&mut self, entries: &mut Vec<LogEntry>) -> Result<()> {
        self.append(entries)?;
        entries.clear();
        Ok(())
    }

    /// `entries(from, to)` pushed onto `out`, so a caller can reuse one
    /// buffer across steps. Override to skip the intermediate `Vec`.
    fn entries_into(&self, from: Index, to: Index, out: &mut Vec<LogEntry>) {
        out.extend(self.entries(from, to));
    }

    /// **(ours)** Appends shared entries (same precondition as `append`),
    /// leaving the `Vec` empty with its capacity: the fast path of
    /// `RaftConfig::with_shared_commands`. A log that keeps commands in
    /// memory should keep these references (as `MemoryLog` does) so no
    /// command is copied; the default copies them into owned entries.
    fn append_shared(&mut self, entries: &mut Vec<crate::SharedEntry>) -> Result<()> {
        let mut owned: Vec<LogEntry> = entries
            .iter()
            .map(crate::SharedEntry::to_log_entry)
            .collect();
        self.append_from(&mut owned)?;
        entries.clear();
        Ok(())
    }

    /// **(ours)** Like `entries_bounded(from, to, bytes_max)`, as shared
    /// entries pushed onto `out`. A log that holds shared entries hands out
    /// references; the default copies each command once into shared
    /// storage.
    fn shared_entries_into(
        &self,
        from: Index,
        to: Index,
        bytes_max: usize,
        out: &mut Vec<crate::SharedEntry>,
    ) {
        out.extend(
            self.entries_bounded(from, to, bytes_max)
                .into_iter()
                .map(crate::SharedEntry::from),
        );
    }

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

    /// **(ours)** The whole configuration recorded with the stored snapshot
    /// (voters, learners, outgoing voters while joint). The default reads
    /// the snapshot's voters; a backend that overrides
    /// [`apply_snapshot_with_membership`](Self::apply_snapshot_with_membership)
    /// overrides this too.
    fn snapshot_membership(&self) -> Option<Membership> {
        self.snapshot()
            .filter(|snapshot| !snapshot.config.is_empty())
            .map(|snapshot| Membership::new(snapshot.config))
    }

    /// **(ours)** Like [`apply_snapshot`](Self::apply_snapshot), also
    /// recording the whole configuration at the snapshot's index. The node
    /// always calls this one. The default keeps only the voters (in
    /// `snapshot.config`), so learners and a joint state survive a restart
    /// only with a backend that overrides it (`MemoryLog` and `WalLog` do).
    fn apply_snapshot_with_membership(
        &mut self,
        snapshot: &Snapshot,
        membership: &Membership,
    ) -> Result<()> {
        let _ = membership;
        self.apply_snapshot(snapshot)
    }

    /// **(ours)** Length in bytes of the stored snapshot's data (`0` with
    /// none). Override to avoid reading the data.
    fn snapshot_len(&self) -> u64 {
        self.snapshot()
            .map_or(0, |snapshot| snapshot.data.len() as u64)
    }

    /// **(ours)** Up to `len` bytes of the stored snapshot's data from
    /// `offset`: what a leader streams to a follower one chunk at a time.
    /// Override to read a chunk without materialising the whole snapshot.
    fn snapshot_chunk(&self, offset: u64, len: usize) -> Vec<u8> {
        self.snapshot()
            .map_or_else(Vec::new, |snapshot| chunk_of(&snapshot.data, offset, len))
    }

    /// **(ours)** The stored snapshot's data as a reader that borrows
    /// nothing from the log (`None` without a snapshot), so it can move to
    /// another thread: an application restoring its state there while the
    /// node steps on. It reads the snapshot stored now, even after the log
    /// stores a newer one. The default copies the data into memory
    /// (`snapshot()`); a backend that keeps snapshots in files returns a
    /// reader on its own handle of the file (`WalLog` does).
    ///
    /// ```
    /// use std::io::Read;
    /// use raft_core::{MemoryLog, RaftLog, Snapshot};
    /// let mut log = MemoryLog::new();
    /// assert!(log.detached_snapshot_reader().unwrap().is_none());
    /// log.apply_snapshot(&Snapshot::new(2, 1, b"state".to_vec())).unwrap();
    /// let mut reader = log.detached_snapshot_reader().unwrap().unwrap();
    /// let mut data = Vec::new();
    /// std::thread::spawn(move || reader.read_to_end(&mut data).map(|_| data))
    ///     .join().unwrap().map(|data| assert_eq!(data, b"state")).unwrap();
    /// ```
    fn detached_snapshot_reader(&self) -> Result<Option<DetachedSnapshotReader>> {
        Ok(self.snapshot().map(|snapshot| {
            Box::new(std::io::Cursor::new(snapshot.data)) as DetachedSnapshotReader
        }))
    }

    /// **(ours)** Whether this log stages snapshots: takes one in pieces
    /// through [`stage_begin`](Self::stage_begin),
    /// [`stage_write`](Self::stage_write) and
    /// [`stage_install`](Self::stage_install), so that neither a snapshot a
    /// leader streams to this node nor one the application writes piece by
    /// piece (`Event::SnapshotPiece`) is ever held whole in memory by the
    /// node. Without staging (the default) the node assembles a streamed
    /// snapshot in memory and stores it with
    /// [`apply_snapshot_with_membership`](Self::apply_snapshot_with_membership),
    /// and refuses `Event::SnapshotPiece`. Override all four `stage_*`
    /// methods together with this one.
    ///
    /// ```
    /// use raft_core::{MemoryLog, RaftLog};
    /// assert!(MemoryLog::new().stages_snapshots());
    /// ```
    fn stages_snapshots(&self) -> bool {
        false
    }

    /// **(ours)** Starts staging a snapshot in `stage`, dropping whatever
    /// `stage` held. Only called when [`stages_snapshots`](Self::stages_snapshots)
    /// is true. Staged bytes are not the log's state: a crash may drop
    /// them, and nothing reads them until [`stage_install`](Self::stage_install).
    fn stage_begin(&mut self, stage: SnapshotStage) -> Result<()> {
        let _ = stage;
        Err(unstaged("stage snapshot"))
    }

    /// **(ours)** Appends `data` to the snapshot staged in `stage`.
    fn stage_write(&mut self, stage: SnapshotStage, data: &[u8]) -> Result<()> {
        let _ = (stage, data);
        Err(unstaged("stage snapshot"))
    }

    /// **(ours)** Makes the bytes staged in `stage` the stored snapshot,
    /// through `index` at `term`, with the configuration `membership` in
    /// force there; the log keeps the entries after `index` if it holds
    /// `index` at `term`, else it is replaced (as for
    /// [`apply_snapshot`](Self::apply_snapshot)). `stage` is empty
    /// afterwards. Durable, like `apply_snapshot`, once the next `sync`
    /// returns. A snapshot not newer than the stored one is dropped.
    fn stage_install(
        &mut self,
        stage: SnapshotStage,
        index: Index,
        term: Term,
        membership: &Membership,
    ) -> Result<()> {
        let _ = (stage, index, term, membership);
        Err(unstaged("install staged snapshot"))
    }

    /// **(ours)** Drops what `stage` holds, if anything. Cannot fail: a
    /// backend that cannot remove a staged file leaves it for
    /// [`stage_begin`](Self::stage_begin) (or its next open) to replace.
    fn stage_discard(&mut self, stage: SnapshotStage) {
        let _ = stage;
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

/// The error a `stage_*` default returns (the node never calls them on a
/// log whose `stages_snapshots` is false).
fn unstaged(context: &'static str) -> Error {
    Error::storage(context, "this log backend does not stage snapshots")
}

/// What [`RaftLog::detached_snapshot_reader`] returns: the snapshot's data,
/// readable on any thread.
pub type DetachedSnapshotReader = Box<dyn std::io::Read + Send>;

/// What the node counts per entry on top of its command when it sizes an
/// append against [`RaftLog::max_append_bytes`]. A backend whose per-entry
/// framing is larger must lower its limit to match.
pub const ENTRY_OVERHEAD_BYTES: usize = 32;

/// What one entry with a `command_len`-byte command costs against
/// [`RaftLog::max_append_bytes`].
///
/// ```
/// use raft_core::log::{ENTRY_OVERHEAD_BYTES, append_cost};
/// assert_eq!(append_cost(10), 10 + ENTRY_OVERHEAD_BYTES);
/// assert_eq!(append_cost(usize::MAX), usize::MAX);
/// ```
pub fn append_cost(command_len: usize) -> usize {
    command_len.saturating_add(ENTRY_OVERHEAD_BYTES)
}

/// Up to `len` bytes of `data` from `offset` (fewer at the end, none past
/// it): the slice a `snapshot_chunk` returns.
///
/// ```
/// use raft_core::log::chunk_of;
/// assert_eq!(chunk_of(b"snapshot", 4, 10), b"shot");
/// assert!(chunk_of(b"snapshot", 99, 1).is_empty());
/// ```
pub fn chunk_of(data: &[u8], offset: u64, len: usize) -> Vec<u8> {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let end = start.saturating_add(len).min(data.len());
    data[start..end].to_vec()
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
    check_indexes_contiguous(last_index, entries.iter().map(|entry| entry.index))
}

/// [`check_contiguous`] for any batch, given its indexes in order.
pub(crate) fn check_indexes_contiguous(
    last_index: Index,
    indexes: impl IntoIterator<Item = Index>,
) -> Result<()> {
    for (expected, index) in (last_index + 1..).zip(indexes) {
        if index != expected {
            return Err(Error::storage(
                "append",
                format_args!("entry index {index} is not contiguous (expected {expected})"),
            ));
        }
    }
    Ok(())
}

/// The error a failed step reports: a storage failure that followed a
/// failed read (a committed entry that read back as missing, say) is
/// reported as the read failure, its cause.
pub(crate) fn first_cause(log: &impl RaftLog, error: Error) -> Error {
    match (&error, check_reads(log)) {
        (Error::Storage { .. }, Err(cause)) => cause,
        _ => error,
    }
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
