//! `WalLog`: the durable `RaftLog`, and how each call maps to records.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use raft_core::log::{SnapshotStage, check_contiguous};
use raft_core::{
    EntryKind, Error, HardState, Index, LogEntry, Membership, RaftLog, Result, Snapshot, Term,
};
use wal_db::{Wal, WalError};

use crate::compact::{self, LiveState};
use crate::format;
use crate::fsutil::{WAL_FILE, remove_temp_files, storage, sync_dir, wal_error};
use crate::index::{LogIndex, Slot};
use crate::lock::lock_dir;
use crate::reads::{bounded_count, read_entries};
use crate::recovery::{MAX_RECORD_LEN, WAL_DB_HEADER_LEN, open_recovering, replay};
use crate::snapshot_file::{self, SnapshotFile, SnapshotFileReader, SnapshotWriter};
use crate::store::ReadAheadStore;

/// A durable, crash-safe [`RaftLog`] stored in a directory it owns.
///
/// **The directory.** `WalLog::open(dir)` creates `dir` if needed and keeps
/// in it: `log.wal` (the wal-db log of records, see `FORMAT.md`),
/// `snapshot-<index>-<term>.snap` (the current snapshot, if any) and `LOCK`
/// (held locked while the log is open). Files ending in `.tmp` are debris of
/// an interrupted write and are removed on open. Put nothing else there.
///
/// **Durability.** `append`, `truncate` and `set_hard_state` each write one
/// record to the page cache, stamped with the file length the last `sync`
/// made durable (so recovery can tell a lost unsynced write from damage);
/// `sync` makes all of them durable with one fdatasync. `apply_snapshot` is durable when it returns (it syncs the
/// snapshot file, the log and the directory), and so is everything written
/// before it.
///
/// **Memory.** Per entry the index keeps its term, the command's offset in
/// the file, the command's length and its kind: [`INDEX_BYTES_PER_ENTRY`]
/// (24) bytes, plus `Vec` growth slack. Commands are not kept; `entry`,
/// `entries` and `entries_bounded` read them back with one positioned read
/// per run of neighbouring entries (usually one per call). Snapshots are
/// never held whole: a snapshot file is written as its pieces arrive
/// ([`RaftLog::stages_snapshots`]: a leader's chunks, the application's
/// `Event::SnapshotPiece`s) and read back one chunk at a time, each 64 KiB
/// block checked against its CRC32C as it is read.
///
/// **Failures.** A failed write leaves the in-memory view unsure of what the
/// file holds, so every later write and `sync` fails until the log is
/// reopened. The reading calls cannot return errors (the trait has none); if
/// the file cannot be read, or a command read back fails its checksum, they
/// return what they could (a shorter result, never the damaged bytes) and
/// latch the failure: [`RaftLog::read_error`] reports it (the node checks it
/// after every step), and every later write and `sync` fails with it.
///
/// [`INDEX_BYTES_PER_ENTRY`]: crate::INDEX_BYTES_PER_ENTRY
///
/// ```
/// use raft_core::{HardState, LogEntry, RaftLog, Snapshot};
/// use raft_log_wal::WalLog;
///
/// let dir = tempfile::tempdir()?;
/// {
///     let mut log = WalLog::open(dir.path())?;
///     log.append(&[LogEntry::new(1, 1, b"a".to_vec()), LogEntry::new(1, 2, b"b".to_vec())])?;
///     log.set_hard_state(HardState { term: 1, voted_for: Some(3) })?;
///     log.sync()?;
///     log.apply_snapshot(&Snapshot::new(1, 1, b"state".to_vec()))?;
/// }
/// let log = WalLog::open(dir.path())?;
/// assert_eq!(log.last_index(), 2);
/// assert_eq!(log.entry(2).unwrap().command, b"b");
/// assert_eq!(log.snapshot_index(), 1);
/// assert_eq!(log.hard_state().voted_for, Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WalLog {
    dir: PathBuf,
    wal_path: PathBuf,
    wal: Wal<ReadAheadStore>,
    /// Shares the file with `wal`, for reading commands back.
    store: ReadAheadStore,
    index: LogIndex,
    /// The snapshot file the log refers to (with the whole configuration
    /// recorded with it), open for reading chunks.
    snapshot: Option<SnapshotFile>,
    /// Snapshots being written, one file each: from a leader, and from the
    /// application.
    staged_from_leader: Option<SnapshotWriter>,
    staged_from_application: Option<SnapshotWriter>,
    /// Reused encode buffers, so steady-state appends do not allocate.
    buf: Vec<u8>,
    commands: Vec<(usize, u32)>,
    /// The first failure that left memory and file possibly out of step.
    failed: OnceLock<String>,
    /// The length of `log.wal` as of the last completed sync: every record
    /// carries it as its sync mark, so recovery can tell damage to synced
    /// data from the loss of unsynced writes (PROTOCOL.md §10).
    synced_len: u64,
    /// A record was written since the last `sync` (so the next one has
    /// something to make durable, and a `SYNCED` record to write after).
    dirty: bool,
    /// Held for the log's lifetime; declared last so it is released after
    /// the files are closed.
    _lock: File,
}

impl WalLog {
    /// Opens the log in directory `path`, creating it if needed, and
    /// recovers its state: a torn final record (a crash mid-write) is cut;
    /// so is an unsynced record lost behind a later one that survived (a
    /// power loss; the log restarts from its last synced state, see
    /// docs/PROTOCOL.md §10). Damage to synced data, an unknown record
    /// version or tag, and a missing or damaged snapshot file are
    /// `Error::Storage` naming the file and the byte offset. What was
    /// recovered is synced before `open` returns. Refused while another
    /// `WalLog` (in this process or another) has the directory open.
    ///
    /// ```
    /// use raft_log_wal::WalLog;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let log = WalLog::open(dir.path())?;
    /// let err = WalLog::open(dir.path()).unwrap_err();
    /// assert!(err.to_string().contains("locked by another process"));
    /// drop(log);
    /// assert!(WalLog::open(dir.path()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let dir = path.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|error| storage("open", &dir, error))?;
        let lock = lock_dir(&dir)?;
        remove_temp_files(&dir).map_err(|error| storage("open", &dir, error))?;
        let wal_path = dir.join(WAL_FILE);
        let existed = wal_path
            .try_exists()
            .map_err(|error| storage("open", &wal_path, error))?;
        if !existed && snapshot_file::any_exist(&dir)? {
            // Starting empty here would silently forget the snapshot.
            return Err(storage(
                "open",
                &wal_path,
                "the log file is missing but the directory holds snapshot files",
            ));
        }
        let (wal, store) = open_recovering(&wal_path)?;
        let index = replay(&wal, &wal_path)?;
        store.end_read_ahead();
        // What we recovered may still sit only in the page cache (a process
        // crash, not a power loss): make it durable before the node acts on
        // it, and start the sync marks from there.
        wal.sync()
            .map_err(|error| wal_error("open", &wal_path, error))?;
        let synced_len = wal.len();
        let snapshot = match index.snapshot_index {
            0 => None,
            at => Some(snapshot_file::open(&dir, at, index.snapshot_term)?),
        };
        let keep = snapshot.as_ref().map(|file| (file.index(), file.term()));
        snapshot_file::remove_others(&dir, keep)?;
        // Makes a newly created log file (and the removals) durable.
        sync_dir(&dir).map_err(|error| storage("open", &dir, error))?;
        Ok(Self {
            dir,
            wal_path,
            wal,
            store,
            index,
            snapshot,
            staged_from_leader: None,
            staged_from_application: None,
            buf: Vec::new(),
            commands: Vec::new(),
            failed: OnceLock::new(),
            synced_len,
            dirty: false,
            _lock: lock,
        })
    }

    /// The directory the log lives in.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let log = raft_log_wal::WalLog::open(dir.path())?;
    /// assert_eq!(log.path(), dir.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A reader of the stored snapshot's data on its own file handle
    /// (`None` without a snapshot): `Send` and `'static`, so the
    /// application can restore from it on another thread while the node
    /// steps on; it keeps reading this snapshot even after the log stores
    /// a newer one. [`RaftNode::snapshot_reader`](raft_core::RaftNode::snapshot_reader)
    /// does the same through the borrowed log.
    ///
    /// ```
    /// use std::io::Read;
    /// use raft_core::{RaftLog, Snapshot};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let mut log = raft_log_wal::WalLog::open(dir.path())?;
    /// assert!(log.snapshot_file_reader()?.is_none());
    /// log.apply_snapshot(&Snapshot::new(3, 1, b"state".to_vec()))?;
    /// let mut reader = log.snapshot_file_reader()?.unwrap();
    /// let handle = std::thread::spawn(move || {
    ///     let mut data = Vec::new();
    ///     reader.read_to_end(&mut data).map(|_| data)
    /// });
    /// assert_eq!(handle.join().unwrap()?, b"state");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot_file_reader(&self) -> Result<Option<SnapshotFileReader>> {
        self.snapshot
            .as_ref()
            .map(SnapshotFile::independent_reader)
            .transpose()
    }

    /// Refuses to continue after a failure that may have left the file and
    /// memory out of step.
    fn check_failed(&self, context: &'static str) -> Result<()> {
        match self.failed.get() {
            Some(first) => Err(Error::storage(
                context,
                format_args!("the log failed earlier and must be reopened: {first}"),
            )),
            None => Ok(()),
        }
    }

    /// Records `error` as the log's failure (the first one wins) and
    /// returns it.
    fn fail(&self, error: Error) -> Error {
        let _ = self.failed.set(error.to_string());
        error
    }

    /// Appends the record in `buf`, returning the file offset of its body.
    fn write_record(&mut self, context: &'static str) -> Result<u64> {
        match self.wal.append(&self.buf) {
            Ok(lsn) => {
                self.dirty = true;
                Ok(lsn.get() + WAL_DB_HEADER_LEN)
            }
            // Refused before anything was written: the log is unchanged.
            Err(WalError::RecordTooLarge { len, max }) => Err(storage(
                context,
                &self.wal_path,
                format_args!("a {len}-byte record exceeds the {max}-byte limit; split the batch"),
            )),
            Err(error) => Err(self.fail(wal_error(context, &self.wal_path, error))),
        }
    }

    /// Reads the entries at `slots`, the first of which is `first`.
    fn read(&self, first: Index, slots: &[Slot]) -> Vec<LogEntry> {
        match read_entries(&self.store, first, slots) {
            Ok(entries) => entries,
            Err((prefix, detail)) => {
                let _ = self.fail(storage("read entries", &self.wal_path, detail));
                prefix
            }
        }
    }

    /// The slots from `from` to `to` (inclusive, clamped to the log).
    fn range(&self, from: Index, to: Index) -> &[Slot] {
        let (Some(start), true) = (self.index.position(from), from <= to) else {
            return &[];
        };
        let wanted = usize::try_from(to - from).unwrap_or(usize::MAX);
        let end = start.saturating_add(wanted).saturating_add(1);
        let end = end.min(self.index.slots.len());
        self.index.slots.get(start..end).unwrap_or_default()
    }

    /// Switches over to the complete snapshot `file`: writes the compacted
    /// log, renames it over the old one, and removes older snapshot files.
    fn install(&mut self, file: SnapshotFile) -> Result<()> {
        const CONTEXT: &str = "apply snapshot";
        let (index, term) = (file.index(), file.term());
        let keep_from = match self.index.term_at(index) {
            Some(held) if held == term => self.index.position(index).map_or(0, |pos| pos + 1),
            _ => self.index.slots.len(),
        };
        let tail = self.index.slots.get(keep_from..).unwrap_or_default();
        let state = LiveState {
            snapshot_index: index,
            snapshot_term: term,
            hard_state: self.index.hard_state,
            tail,
        };
        let rewritten = compact::rewrite(&self.dir, &self.store, &state)?;
        let temp = self.dir.join(crate::fsutil::WAL_REWRITE_FILE);
        // Until this rename the old log is intact and in use.
        std::fs::rename(&temp, &self.wal_path)
            .map_err(|error| storage(CONTEXT, &self.wal_path, error))?;
        self.wal = rewritten.wal;
        self.store = rewritten.store;
        // The rewritten file was synced whole before the rename.
        self.synced_len = self.wal.len();
        self.index.slots = rewritten.slots;
        self.index.snapshot_index = index;
        self.index.snapshot_term = term;
        self.snapshot = Some(file);
        sync_dir(&self.dir).map_err(|error| self.fail(storage(CONTEXT, &self.dir, error)))?;
        // The log now durably refers to the new snapshot; older files are
        // unreferenced. Removing them is housekeeping (open repeats it), so
        // a failure here is not the caller's problem.
        let _ = snapshot_file::remove_others(&self.dir, Some((index, term)));
        Ok(())
    }

    fn staged(&mut self, stage: SnapshotStage) -> &mut Option<SnapshotWriter> {
        match stage {
            SnapshotStage::FromLeader => &mut self.staged_from_leader,
            SnapshotStage::FromApplication => &mut self.staged_from_application,
        }
    }

    /// The stored snapshot's data from `offset`; a failed read is latched
    /// (see [`RaftLog::read_error`]) and returns nothing.
    fn read_snapshot(&self, offset: u64, len: usize) -> Vec<u8> {
        let Some(file) = &self.snapshot else {
            return Vec::new();
        };
        match file.read_chunk(offset, len) {
            Ok(data) => data,
            Err(error) => {
                let _ = self.fail(error);
                Vec::new()
            }
        }
    }
}

impl RaftLog for WalLog {
    fn last_index(&self) -> Index {
        self.index.last_index()
    }

    fn last_term(&self) -> Term {
        self.index.last_term()
    }

    fn term_at(&self, index: Index) -> Option<Term> {
        self.index.term_at(index)
    }

    fn entry(&self, index: Index) -> Option<LogEntry> {
        let slot = self.index.slot(index)?;
        self.read(index, std::slice::from_ref(slot)).pop()
    }

    fn entries(&self, from: Index, to: Index) -> Vec<LogEntry> {
        self.read(from, self.range(from, to))
    }

    fn kind_at(&self, index: Index) -> Option<EntryKind> {
        // Known from the index: no read of the command.
        self.index.slot(index).map(|slot| slot.kind)
    }

    fn entries_bounded(&self, from: Index, to: Index, bytes_max: usize) -> Vec<LogEntry> {
        let slots = self.range(from, to);
        let count = bounded_count(slots, bytes_max);
        self.read(from, slots.get(..count).unwrap_or_default())
    }

    /// One append is one record, which wal-db caps at 64 MiB: the limit,
    /// less the record's own header. Each entry's framing is within the
    /// [`ENTRY_OVERHEAD_BYTES`](raft_core::log::ENTRY_OVERHEAD_BYTES) the
    /// node counts per entry.
    fn max_append_bytes(&self) -> usize {
        const _: () = assert!(format::ENTRY_HEADER_LEN <= raft_core::log::ENTRY_OVERHEAD_BYTES);
        (MAX_RECORD_LEN as usize).saturating_sub(format::ENTRIES_HEADER_LEN)
    }

    fn read_error(&self) -> Option<Error> {
        self.check_failed("read entries").err()
    }

    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        self.check_failed("append")?;
        check_contiguous(self.index.last_index(), entries)?;
        let Some(first) = entries.first() else {
            return Ok(());
        };
        format::encode_entries(
            &mut self.buf,
            entries.iter(),
            first.index,
            self.synced_len,
            &mut self.commands,
        )
        .map_err(|reason| storage("append", &self.wal_path, reason))?;
        let base = self.write_record("append")?;
        self.index.slots.reserve(entries.len());
        for (entry, &(offset, len)) in entries.iter().zip(&self.commands) {
            self.index.slots.push(Slot {
                term: entry.term,
                pos: base + offset as u64,
                len,
                kind: entry.kind,
                checked: true,
            });
        }
        Ok(())
    }

    fn truncate(&mut self, from: Index) -> Result<()> {
        self.check_failed("truncate")?;
        self.index
            .check_truncate(from)
            .map_err(|detail| Error::storage("truncate", detail))?;
        if from > self.index.last_index() {
            return Ok(()); // nothing to remove, nothing to record
        }
        format::encode_truncate(&mut self.buf, from, self.synced_len);
        self.write_record("truncate")?;
        self.index.truncate(from);
        Ok(())
    }

    fn hard_state(&self) -> HardState {
        self.index.hard_state
    }

    fn set_hard_state(&mut self, state: HardState) -> Result<()> {
        self.check_failed("set hard state")?;
        if state == self.index.hard_state {
            return Ok(()); // already written; the next sync covers it
        }
        format::encode_hard_state(&mut self.buf, state, self.synced_len);
        self.write_record("set hard state")?;
        self.index.hard_state = state;
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        self.check_failed("sync")?;
        let len = self.wal.len();
        self.wal
            .sync()
            .map_err(|error| self.fail(wal_error("sync", &self.wal_path, error)))?;
        self.synced_len = len;
        if std::mem::take(&mut self.dirty) {
            // Says on file what this sync covered, even if nothing is ever
            // written after it: without it, damage to the records this sync
            // made durable would look like lost unsynced writes. Not synced
            // itself (that would cost a second fsync): the next sync, or the
            // OS's write-back, makes it durable.
            format::encode_synced(&mut self.buf, len);
            if let Err(error) = self.wal.append(&self.buf) {
                return Err(self.fail(wal_error("sync", &self.wal_path, error)));
            }
        }
        Ok(())
    }

    fn snapshot_index(&self) -> Index {
        self.index.snapshot_index
    }

    /// Reads the whole snapshot into memory: the raft-io 1.0 call. The
    /// node itself reads chunks ([`snapshot_chunk`](RaftLog::snapshot_chunk)).
    fn snapshot(&self) -> Option<Snapshot> {
        let file = self.snapshot.as_ref()?;
        let len = usize::try_from(file.data_len()).unwrap_or(usize::MAX);
        let data = self.read_snapshot(0, len);
        if self.failed.get().is_some() {
            return None;
        }
        let voters = file.membership().voters().to_vec();
        Some(Snapshot::with_config(
            file.index(),
            file.term(),
            voters,
            data,
        ))
    }

    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<()> {
        let voters = Membership::new(snapshot.config.iter().copied());
        self.apply_snapshot_with_membership(snapshot, &voters)
    }

    fn apply_snapshot_with_membership(
        &mut self,
        snapshot: &Snapshot,
        membership: &Membership,
    ) -> Result<()> {
        self.check_failed("apply snapshot")?;
        if snapshot.index <= self.index.snapshot_index {
            return Ok(());
        }
        let mut writer = SnapshotWriter::create(&self.dir, &snapshot_file::staging_name("whole"))?;
        writer.write(&snapshot.data)?;
        let file = writer.finish(snapshot.index, snapshot.term, membership)?;
        self.install(file)
    }

    fn snapshot_membership(&self) -> Option<Membership> {
        self.snapshot
            .as_ref()
            .map(|file| file.membership().clone())
            .filter(|membership| !membership.is_empty())
    }

    fn snapshot_len(&self) -> u64 {
        self.snapshot.as_ref().map_or(0, SnapshotFile::data_len)
    }

    fn snapshot_chunk(&self, offset: u64, len: usize) -> Vec<u8> {
        self.read_snapshot(offset, len)
    }

    fn detached_snapshot_reader(&self) -> Result<Option<raft_core::log::DetachedSnapshotReader>> {
        Ok(self
            .snapshot_file_reader()?
            .map(|reader| Box::new(reader) as raft_core::log::DetachedSnapshotReader))
    }

    fn stages_snapshots(&self) -> bool {
        true
    }

    fn stage_begin(&mut self, stage: SnapshotStage) -> Result<()> {
        self.check_failed("stage snapshot")?;
        if let Some(old) = self.staged(stage).take() {
            old.discard();
        }
        let purpose = match stage {
            SnapshotStage::FromLeader => "from-leader",
            SnapshotStage::FromApplication => "from-application",
        };
        let writer = SnapshotWriter::create(&self.dir, &snapshot_file::staging_name(purpose))?;
        *self.staged(stage) = Some(writer);
        Ok(())
    }

    fn stage_write(&mut self, stage: SnapshotStage, data: &[u8]) -> Result<()> {
        match self.staged(stage) {
            Some(writer) => writer.write(data),
            None => Err(stage.nothing_staged("stage snapshot")),
        }
    }

    fn stage_install(
        &mut self,
        stage: SnapshotStage,
        index: Index,
        term: Term,
        membership: &Membership,
    ) -> Result<()> {
        self.check_failed("apply snapshot")?;
        let Some(writer) = self.staged(stage).take() else {
            return Err(stage.nothing_staged("apply snapshot"));
        };
        if index <= self.index.snapshot_index {
            writer.discard();
            return Ok(());
        }
        let file = writer.finish(index, term, membership)?;
        self.install(file)
    }

    fn stage_discard(&mut self, stage: SnapshotStage) {
        if let Some(writer) = self.staged(stage).take() {
            writer.discard();
        }
    }
}

impl fmt::Debug for WalLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalLog")
            .field("dir", &self.dir)
            .field("snapshot_index", &self.index.snapshot_index)
            .field("last_index", &self.index.last_index())
            .field("file_len", &self.wal.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_log_can_move_between_threads() {
        fn assert_send<T: Send>() {}
        assert_send::<WalLog>();
    }
}
