//! `SimDisk`: what the simulated cluster and its checkers need from a
//! node's disk, so the same checked cluster runs over [`SimLog`] (in memory)
//! or over real files (`WalDisk`, feature `wal`).

use std::sync::atomic::{AtomicBool, Ordering};

use raft_core::{NodeId, RaftLog, Result};

use crate::sim_log::{AppendRecord, SimLog};

/// A [`RaftLog`] the simulator can check and crash.
///
/// The checkers read [`appended`](SimDisk::appended) (Log Matching) and
/// [`entries_truncated`](SimDisk::entries_truncated) (Leader Append-Only);
/// the cluster calls [`crash`](SimDisk::crash) to stop a machine, which
/// must keep exactly what a real crash may keep: every write made before the
/// last successful `sync`, and of the later ones at most a prefix.
///
/// ```
/// use raft_core::{LogEntry, RaftLog};
/// use raft_testkit::{SimDisk, SimLog};
///
/// let mut disk = SimLog::create(1, 7)?;
/// disk.append(&[LogEntry::new(1, 1, b"a".to_vec())])?;
/// disk.sync()?;
/// disk.append(&[LogEntry::new(1, 2, b"b".to_vec())])?;
/// assert_eq!(disk.appended().len(), 2);
/// let recovered = SimDisk::crash(disk)?;
/// assert_eq!(recovered.last_index(), 1);
/// assert!(recovered.appended().is_empty(), "a fresh process has recorded nothing");
///
/// // A crash inside a step: the writes are made, the sync never happens.
/// let mut disk = recovered;
/// disk.append(&[LogEntry::new(2, 2, b"c".to_vec())])?;
/// disk.set_crash_at_sync(true);
/// assert!(disk.sync().is_err());
/// let recovered = SimDisk::crash(disk)?;
/// assert_eq!(recovered.last_index(), 1);
/// assert!(!recovered.crash_at_sync());
/// # Ok::<(), raft_core::Error>(())
/// ```
pub trait SimDisk: RaftLog + Sized {
    /// A fresh, empty disk for node `id`; `seed` drives any randomness the
    /// disk uses (such as where a crash tears a write).
    ///
    /// # Errors
    /// `Error::Storage` if the disk cannot be created.
    fn create(id: NodeId, seed: u64) -> Result<Self>;

    /// Every entry appended since this disk was created or recovered, in
    /// order, with the term before it.
    fn appended(&self) -> &[AppendRecord];

    /// How many entries `truncate` removed since this disk was created or
    /// recovered (compaction excluded).
    fn entries_truncated(&self) -> u64;

    /// Arms (or disarms) a crash inside the next step that writes: while
    /// armed, `sync` fails with `Error::Storage` and makes nothing durable,
    /// as if the machine lost power between its writes and their fsync. The
    /// cluster then [`crash`](SimDisk::crash)es the machine. Takes `&self`
    /// because a running `RaftNode` only lends its log immutably.
    fn set_crash_at_sync(&self, armed: bool);

    /// Whether a crash is armed (see
    /// [`set_crash_at_sync`](SimDisk::set_crash_at_sync)).
    fn crash_at_sync(&self) -> bool;

    /// Arms (or heals) a failing disk: while armed, every `sync` fails
    /// with `Error::Storage` and makes nothing durable. Unlike
    /// [`set_crash_at_sync`](SimDisk::set_crash_at_sync) the machine lives
    /// on: its node must surface the error and refuse every later step, and
    /// the cluster then stops it and later restarts it from what was synced
    /// ([`crash`](SimDisk::crash) heals the disk). Takes `&self` for the same
    /// reason. The default does nothing: a disk that cannot fail its sync.
    ///
    /// ```
    /// use raft_core::{LogEntry, RaftLog};
    /// use raft_testkit::{SimDisk, SimLog};
    ///
    /// let mut disk = SimLog::create(1, 0)?;
    /// disk.append(&[LogEntry::new(1, 1, b"a".to_vec())])?;
    /// disk.set_sync_failure(true);
    /// assert!(disk.sync_failure());
    /// assert!(disk.sync().is_err());
    /// let recovered = SimDisk::crash(disk)?;
    /// assert_eq!(recovered.last_index(), 0, "nothing was synced");
    /// assert!(!recovered.sync_failure(), "a restarted machine has a working disk");
    /// # Ok::<(), raft_core::Error>(())
    /// ```
    fn set_sync_failure(&self, armed: bool) {
        let _ = armed;
    }

    /// Whether the disk's `sync` is failing (see
    /// [`set_sync_failure`](SimDisk::set_sync_failure)).
    fn sync_failure(&self) -> bool {
        false
    }

    /// Crashes the machine and recovers its disk as a restarted process
    /// would find it: the synced writes survive (and possibly a prefix of
    /// the unsynced ones); the append and truncation records start empty.
    ///
    /// # Errors
    /// `Error::Storage` if recovery fails, which for a correct log is a bug.
    fn crash(self) -> Result<Self>;
}

impl SimDisk for SimLog {
    fn create(_id: NodeId, _seed: u64) -> Result<Self> {
        Ok(SimLog::new())
    }

    fn appended(&self) -> &[AppendRecord] {
        SimLog::appended(self)
    }

    fn entries_truncated(&self) -> u64 {
        SimLog::entries_truncated(self)
    }

    fn set_crash_at_sync(&self, armed: bool) {
        self.crash_switch().set(armed);
    }

    fn crash_at_sync(&self) -> bool {
        self.crash_switch().get()
    }

    fn set_sync_failure(&self, armed: bool) {
        self.sync_failure_switch().set(armed);
    }

    fn sync_failure(&self) -> bool {
        self.sync_failure_switch().get()
    }

    fn crash(self) -> Result<Self> {
        Ok(SimLog::crash(&self))
    }
}

/// The armed-crash (or failing-sync) flag of a disk: settable through `&self`, copied (not
/// shared) by `Clone`.
#[derive(Debug, Default)]
pub(crate) struct CrashSwitch(AtomicBool);

impl CrashSwitch {
    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, armed: bool) {
        self.0.store(armed, Ordering::Relaxed);
    }
}

impl Clone for CrashSwitch {
    fn clone(&self) -> Self {
        Self(AtomicBool::new(self.get()))
    }
}
