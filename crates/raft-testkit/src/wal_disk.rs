//! `WalDisk` (feature `wal`): a real [`WalLog`] in a temporary directory,
//! crashed by cutting `log.wal` back to what was synced and recovered with
//! `WalLog::open`, a real recovery over real files at every crash.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use raft_core::log::SnapshotStage;
use raft_core::{
    Error, HardState, Index, LogEntry, Membership, NodeId, RaftLog, Result, Snapshot, Term,
};
use raft_log_wal::{WAL_FILE_NAME, WalLog};
use tempfile::TempDir;

use crate::disk::{CrashSwitch, SimDisk};
use crate::rng::SimRng;
use crate::sim_log::AppendRecord;

/// The environment variable naming the directory `WalDisk`s are created in
/// (default: the system temporary directory). Point it at a tmpfs such as
/// `/dev/shm` to take the disk's fsync latency out of long simulations.
pub const WAL_DIR_ENV: &str = "RAFT_SIM_WAL_DIR";

/// What a crash leaves of the writes made since the last `sync`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CrashMode {
    /// `log.wal` is cut back to its length at the last successful `sync`:
    /// exactly the synced writes survive.
    Synced,
    /// The last write is torn: the file is cut at a random offset strictly
    /// inside the record written last (earlier unsynced records survive,
    /// as they may on a real disk). Recovery must cut the torn record. With
    /// nothing unsynced this is [`Synced`](CrashMode::Synced).
    TornTail,
    /// An unsynced record other than the last is lost (zeroed) while the
    /// records after it survive, as out-of-order write-back can leave them
    /// after a power loss. Recovery must restart from the state before the
    /// hole (docs/PROTOCOL.md §10). With fewer than two unsynced records
    /// this is [`TornTail`](CrashMode::TornTail).
    LostEarlier,
    /// Each crash picks `Synced`, `TornTail` or `LostEarlier` at random
    /// (the disk's seed).
    #[default]
    Mixed,
}

/// A simulated machine's disk made of real files: a [`WalLog`] in a
/// temporary directory (removed on drop), which records every append for
/// the checkers and remembers the length of `log.wal` at each durability
/// point (a successful `sync`, and the return of `apply_snapshot`).
///
/// [`SimDisk::crash`] drops the `WalLog`, truncates `log.wal` to the last
/// durable length (or tears the last record, see [`CrashMode`]) and reopens
/// the directory with `WalLog::open`.
///
/// ```
/// use raft_core::{HardState, LogEntry, RaftLog};
/// use raft_testkit::{CrashMode, SimDisk, WalDisk};
///
/// let mut disk = WalDisk::create(1, 7)?.with_mode(CrashMode::TornTail);
/// disk.append(&[LogEntry::new(1, 1, b"kept".to_vec())])?;
/// disk.set_hard_state(HardState { term: 1, voted_for: Some(1) })?;
/// disk.sync()?;
/// disk.append(&[LogEntry::new(1, 2, b"torn".to_vec())])?;
/// let recovered = SimDisk::crash(disk)?;
/// assert_eq!(recovered.last_index(), 1);
/// assert_eq!(recovered.hard_state().voted_for, Some(1));
/// assert_eq!(recovered.torn_crashes(), 1);
/// # Ok::<(), raft_core::Error>(())
/// ```
#[derive(Debug)]
pub struct WalDisk {
    /// Declared before `dir` so the log closes before the directory goes.
    log: WalLog,
    dir: TempDir,
    wal_path: PathBuf,
    mode: CrashMode,
    rng: SimRng,
    appended: Vec<AppendRecord>,
    entries_truncated: u64,
    /// `log.wal`'s length at the last durability point.
    synced_len: u64,
    /// `log.wal`'s length now, and where the latest record starts.
    written_len: u64,
    last_write_start: u64,
    /// Where each record written since the last durability point starts.
    unsynced_starts: Vec<u64>,
    crashes: u64,
    torn_crashes: u64,
    crash_at_sync: CrashSwitch,
    sync_failure: CrashSwitch,
}

impl WalDisk {
    /// Chooses what a crash keeps of the unsynced writes.
    ///
    /// ```
    /// use raft_testkit::{CrashMode, SimDisk, WalDisk};
    /// let disk = WalDisk::create(1, 0)?.with_mode(CrashMode::Synced);
    /// assert_eq!(disk.mode(), CrashMode::Synced);
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    #[must_use]
    pub fn with_mode(mut self, mode: CrashMode) -> Self {
        self.mode = mode;
        self
    }

    /// The crash mode in force.
    ///
    /// ```
    /// use raft_testkit::{CrashMode, SimDisk, WalDisk};
    /// assert_eq!(WalDisk::create(1, 0)?.mode(), CrashMode::Mixed);
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    pub fn mode(&self) -> CrashMode {
        self.mode
    }

    /// The directory holding the log's files.
    ///
    /// ```
    /// use raft_testkit::{SimDisk, WalDisk};
    /// let disk = WalDisk::create(1, 0)?;
    /// assert!(disk.path().join(raft_log_wal::WAL_FILE_NAME).exists());
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The underlying log.
    ///
    /// ```
    /// use raft_core::RaftLog;
    /// use raft_testkit::{SimDisk, WalDisk};
    /// let disk = WalDisk::create(1, 0)?;
    /// assert_eq!(disk.log().last_index(), 0);
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    pub fn log(&self) -> &WalLog {
        &self.log
    }

    /// `log.wal`'s length at the last durability point: what a crash keeps.
    ///
    /// ```
    /// use raft_core::{LogEntry, RaftLog};
    /// use raft_testkit::{SimDisk, WalDisk};
    /// let mut disk = WalDisk::create(1, 0)?;
    /// let empty = disk.synced_len();
    /// disk.append(&[LogEntry::new(1, 1, vec![])])?;
    /// assert_eq!(disk.synced_len(), empty);
    /// disk.sync()?;
    /// assert!(disk.synced_len() > empty);
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    pub fn synced_len(&self) -> u64 {
        self.synced_len
    }

    /// Crashes survived by this disk so far.
    ///
    /// ```
    /// use raft_testkit::{SimDisk, WalDisk};
    /// let disk = SimDisk::crash(WalDisk::create(1, 0)?)?;
    /// assert_eq!(disk.crashes(), 1);
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    pub fn crashes(&self) -> u64 {
        self.crashes
    }

    /// Of those, the crashes that tore or lost an unsynced record (recovery
    /// had to cut it, and with `LostEarlier` what followed it).
    ///
    /// ```
    /// use raft_testkit::{SimDisk, WalDisk};
    /// let disk = SimDisk::crash(WalDisk::create(1, 0)?)?;
    /// assert_eq!(disk.torn_crashes(), 0, "nothing was unsynced");
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    pub fn torn_crashes(&self) -> u64 {
        self.torn_crashes
    }

    /// Stores a snapshot through `install`, which fsyncs its files (so a
    /// failing disk fails it) and is durable when it returns.
    fn installing(
        &mut self,
        context: &'static str,
        install: impl FnOnce(&mut WalLog) -> Result<()>,
    ) -> Result<()> {
        if self.sync_failure.get() {
            return Err(Error::storage(context, "simulated fsync failure"));
        }
        let before = self.log.snapshot_index();
        install(&mut self.log)?;
        if self.log.snapshot_index() == before {
            return Ok(()); // already covered: nothing was written
        }
        // The log was rewritten and synced.
        self.durable(context)
    }

    fn file_len(&self, context: &'static str) -> Result<u64> {
        file_len(context, &self.wal_path)
    }

    /// Notes where the record just written (if any) starts and ends.
    fn wrote(&mut self, context: &'static str) -> Result<()> {
        let len = self.file_len(context)?;
        if len != self.written_len {
            self.last_write_start = self.written_len;
            self.unsynced_starts.push(self.written_len);
            self.written_len = len;
        }
        Ok(())
    }

    /// A durability point: a crash from now on keeps the file as it is.
    fn durable(&mut self, context: &'static str) -> Result<()> {
        self.written_len = self.file_len(context)?;
        self.last_write_start = self.written_len;
        self.synced_len = self.written_len;
        self.unsynced_starts.clear();
        Ok(())
    }

    /// For a `LostEarlier` crash: the byte range of an unsynced record
    /// that has another unsynced record after it, if there is one.
    fn lost_record(&mut self) -> Option<(u64, u64)> {
        let starts = &self.unsynced_starts;
        if starts.len() < 2 {
            return None;
        }
        let i = usize::try_from(self.rng.below(starts.len() as u64 - 1)).ok()?;
        Some((*starts.get(i)?, *starts.get(i + 1)?))
    }

    /// Where a crash cuts `log.wal` now, and whether that tears a record.
    fn cut_point(&mut self, file_len: u64) -> (u64, bool) {
        let tear = match self.mode {
            CrashMode::Synced => false,
            CrashMode::TornTail | CrashMode::LostEarlier => true,
            CrashMode::Mixed => self.rng.chance(500),
        };
        let start = self.last_write_start.max(self.synced_len);
        if tear && file_len > start.saturating_add(1) {
            // Strictly inside the last record: at least one byte of it is
            // kept and at least one is lost.
            (start + 1 + self.rng.below(file_len - start - 1), true)
        } else {
            (self.synced_len, false)
        }
    }
}

fn file_len(context: &'static str, path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|meta| meta.len())
        .map_err(|error| Error::storage(context, format_args!("{}: {error}", path.display())))
}

impl SimDisk for WalDisk {
    /// A `WalLog` in a new temporary directory under [`WAL_DIR_ENV`] (or
    /// the system temporary directory).
    fn create(id: NodeId, seed: u64) -> Result<Self> {
        let root = std::env::var_os(WAL_DIR_ENV).map_or_else(std::env::temp_dir, PathBuf::from);
        let dir = tempfile::Builder::new()
            .prefix(&format!("raft-sim-{id}-"))
            .tempdir_in(&root)
            .map_err(|error| {
                Error::storage("create disk", format_args!("{}: {error}", root.display()))
            })?;
        let log = WalLog::open(dir.path())?;
        let wal_path = dir.path().join(WAL_FILE_NAME);
        let mut disk = Self {
            log,
            dir,
            wal_path,
            mode: CrashMode::default(),
            rng: SimRng::new(seed.rotate_left(17) ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            appended: Vec::new(),
            entries_truncated: 0,
            synced_len: 0,
            written_len: 0,
            last_write_start: 0,
            unsynced_starts: Vec::new(),
            crashes: 0,
            torn_crashes: 0,
            crash_at_sync: CrashSwitch::default(),
            sync_failure: CrashSwitch::default(),
        };
        disk.durable("create disk")?;
        Ok(disk)
    }

    fn appended(&self) -> &[AppendRecord] {
        &self.appended
    }

    fn entries_truncated(&self) -> u64 {
        self.entries_truncated
    }

    fn set_crash_at_sync(&self, armed: bool) {
        self.crash_at_sync.set(armed);
    }

    fn crash_at_sync(&self) -> bool {
        self.crash_at_sync.get()
    }

    fn set_sync_failure(&self, armed: bool) {
        self.sync_failure.set(armed);
    }

    fn sync_failure(&self) -> bool {
        self.sync_failure.get()
    }

    fn crash(mut self) -> Result<Self> {
        const CONTEXT: &str = "crash";
        let file_len = self.file_len(CONTEXT)?;
        let lose = match self.mode {
            CrashMode::LostEarlier => true,
            CrashMode::Mixed => self.rng.chance(333),
            CrashMode::Synced | CrashMode::TornTail => false,
        };
        let hole = if lose { self.lost_record() } else { None };
        let (cut, torn) = match hole {
            Some(_) => (file_len, true),
            None => self.cut_point(file_len),
        };
        let Self {
            log,
            dir,
            wal_path,
            mode,
            rng,
            crashes,
            torn_crashes,
            ..
        } = self;
        drop(log);
        let io_error = |error: std::io::Error| {
            Error::storage(CONTEXT, format_args!("{}: {error}", wal_path.display()))
        };
        let file = OpenOptions::new()
            .write(true)
            .open(&wal_path)
            .map_err(io_error)?;
        file.set_len(cut).map_err(io_error)?;
        if let Some((start, end)) = hole {
            use std::io::{Seek, SeekFrom, Write};
            let zeros = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
            let mut file = file;
            file.seek(SeekFrom::Start(start)).map_err(io_error)?;
            file.write_all(&zeros).map_err(io_error)?;
        } else {
            drop(file);
        }
        let log = WalLog::open(dir.path())?;
        let mut disk = Self {
            log,
            dir,
            wal_path,
            mode,
            rng,
            appended: Vec::new(),
            entries_truncated: 0,
            synced_len: 0,
            written_len: 0,
            last_write_start: 0,
            unsynced_starts: Vec::new(),
            crashes: crashes + 1,
            torn_crashes: torn_crashes + u64::from(torn),
            crash_at_sync: CrashSwitch::default(),
            sync_failure: CrashSwitch::default(),
        };
        disk.durable(CONTEXT)?;
        Ok(disk)
    }
}

impl RaftLog for WalDisk {
    fn last_index(&self) -> Index {
        self.log.last_index()
    }

    fn last_term(&self) -> Term {
        self.log.last_term()
    }

    fn term_at(&self, index: Index) -> Option<Term> {
        self.log.term_at(index)
    }

    fn entry(&self, index: Index) -> Option<LogEntry> {
        self.log.entry(index)
    }

    fn entries(&self, from: Index, to: Index) -> Vec<LogEntry> {
        self.log.entries(from, to)
    }

    fn entries_bounded(&self, from: Index, to: Index, bytes_max: usize) -> Vec<LogEntry> {
        self.log.entries_bounded(from, to, bytes_max)
    }

    fn read_error(&self) -> Option<Error> {
        self.log.read_error()
    }

    fn max_append_bytes(&self) -> usize {
        self.log.max_append_bytes()
    }

    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        let mut prev_term = self.log.last_term();
        self.log.append(entries)?;
        self.wrote("append")?;
        for entry in entries {
            self.appended.push(AppendRecord {
                entry: entry.clone(),
                prev_term,
            });
            prev_term = entry.term;
        }
        Ok(())
    }

    fn truncate(&mut self, from: Index) -> Result<()> {
        let before = self.log.last_index();
        self.log.truncate(from)?;
        self.wrote("truncate")?;
        self.entries_truncated += before.saturating_sub(self.log.last_index());
        Ok(())
    }

    fn hard_state(&self) -> HardState {
        self.log.hard_state()
    }

    fn set_hard_state(&mut self, state: HardState) -> Result<()> {
        self.log.set_hard_state(state)?;
        self.wrote("set hard state")
    }

    fn sync(&mut self) -> Result<()> {
        if self.crash_at_sync.get() {
            return Err(Error::storage("sync", "simulated crash before the fsync"));
        }
        if self.sync_failure.get() {
            return Err(Error::storage("sync", "simulated fsync failure"));
        }
        self.log.sync()?;
        self.durable("sync")
    }

    fn snapshot_index(&self) -> Index {
        self.log.snapshot_index()
    }

    fn snapshot(&self) -> Option<Snapshot> {
        self.log.snapshot()
    }

    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<()> {
        let membership = Membership::new(snapshot.config.iter().copied());
        self.apply_snapshot_with_membership(snapshot, &membership)
    }

    fn apply_snapshot_with_membership(
        &mut self,
        snapshot: &Snapshot,
        membership: &Membership,
    ) -> Result<()> {
        self.installing("apply snapshot", |log| {
            log.apply_snapshot_with_membership(snapshot, membership)
        })
    }

    fn snapshot_membership(&self) -> Option<Membership> {
        self.log.snapshot_membership()
    }

    fn snapshot_len(&self) -> u64 {
        self.log.snapshot_len()
    }

    fn snapshot_chunk(&self, offset: u64, len: usize) -> Vec<u8> {
        self.log.snapshot_chunk(offset, len)
    }

    fn kind_at(&self, index: Index) -> Option<raft_core::EntryKind> {
        self.log.kind_at(index)
    }

    fn stages_snapshots(&self) -> bool {
        self.log.stages_snapshots()
    }

    fn stage_begin(&mut self, stage: SnapshotStage) -> Result<()> {
        self.log.stage_begin(stage)
    }

    fn stage_write(&mut self, stage: SnapshotStage, data: &[u8]) -> Result<()> {
        self.log.stage_write(stage, data)
    }

    fn stage_install(
        &mut self,
        stage: SnapshotStage,
        index: Index,
        term: Term,
        membership: &Membership,
    ) -> Result<()> {
        self.installing("install staged snapshot", |log| {
            log.stage_install(stage, index, term, membership)
        })
    }

    fn stage_discard(&mut self, stage: SnapshotStage) {
        self.log.stage_discard(stage);
    }
}
