//! `SimLog`: a `RaftLog` that knows what is durable. A simulated crash keeps
//! exactly the writes made before the last successful `sync`; a simulated
//! disk failure makes `sync` fail. It also records every append so the
//! checkers can verify Log Matching incrementally.

use crate::disk::CrashSwitch;
use raft_core::log::SnapshotStage;
use raft_core::{
    Error, HardState, Index, LogEntry, Membership, MemoryLog, RaftLog, Result, SharedEntry,
    Snapshot, Term,
};

/// A write not yet made durable.
#[derive(Clone, Debug)]
enum PendingWrite {
    Append(Vec<LogEntry>),
    /// Kept shared, so the durable log holds the same form.
    AppendShared(Vec<SharedEntry>),
    Truncate(Index),
    HardState(HardState),
    Snapshot(Snapshot, Membership),
}

/// An appended entry as the checkers see it: the entry and the term of the
/// entry before it at the moment it was appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendRecord {
    /// The entry.
    pub entry: LogEntry,
    /// Term of the entry at `entry.index - 1` when it was appended.
    pub prev_term: Term,
}

/// A simulated disk: the visible log, the durable log, and what lies
/// between them.
///
/// ```
/// use raft_core::{LogEntry, RaftLog};
/// use raft_testkit::SimLog;
/// let mut log = SimLog::new();
/// log.append(&[LogEntry::new(1, 1, b"a".to_vec())]).unwrap();
/// log.sync().unwrap();
/// log.append(&[LogEntry::new(1, 2, b"b".to_vec())]).unwrap();
/// let recovered = log.crash(); // the unsynced entry 2 is lost
/// assert_eq!(recovered.last_index(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SimLog {
    current: MemoryLog,
    durable: MemoryLog,
    pending: Vec<PendingWrite>,
    appended: Vec<AppendRecord>,
    entries_truncated: u64,
    fail_sync: CrashSwitch,
    crash_at_sync: CrashSwitch,
}

impl SimLog {
    /// An empty simulated disk.
    pub fn new() -> Self {
        Self::default()
    }

    /// What survives a crash now: the durable state only, as a fresh log.
    pub fn crash(&self) -> SimLog {
        SimLog {
            current: self.durable.clone(),
            durable: self.durable.clone(),
            ..SimLog::default()
        }
    }

    /// Makes every later `sync` fail (a dying disk), or heals it; the
    /// same switch as [`SimDisk::set_sync_failure`](crate::SimDisk::set_sync_failure).
    pub fn set_fail_sync(&mut self, fail: bool) {
        self.fail_sync.set(fail);
    }

    /// Every append so far, in order (for the Log Matching checker).
    pub fn appended(&self) -> &[AppendRecord] {
        &self.appended
    }

    /// How many entries truncation has removed so far (compaction excluded).
    pub fn entries_truncated(&self) -> u64 {
        self.entries_truncated
    }

    pub(crate) fn crash_switch(&self) -> &CrashSwitch {
        &self.crash_at_sync
    }

    pub(crate) fn sync_failure_switch(&self) -> &CrashSwitch {
        &self.fail_sync
    }

    /// Writes not yet made durable.
    pub fn unsynced_writes(&self) -> usize {
        self.pending.len()
    }
}

impl SimLog {
    /// Records appended entries for the checkers, each with the term of
    /// the entry before it.
    fn record_appends(&mut self, mut prev_term: Term, entries: impl Iterator<Item = LogEntry>) {
        for entry in entries {
            let term = entry.term;
            self.appended.push(AppendRecord { entry, prev_term });
            prev_term = term;
        }
    }
}

impl RaftLog for SimLog {
    fn last_index(&self) -> Index {
        self.current.last_index()
    }

    fn last_term(&self) -> Term {
        self.current.last_term()
    }

    fn term_at(&self, index: Index) -> Option<Term> {
        self.current.term_at(index)
    }

    fn entry(&self, index: Index) -> Option<LogEntry> {
        self.current.entry(index)
    }

    fn entries(&self, from: Index, to: Index) -> Vec<LogEntry> {
        self.current.entries(from, to)
    }

    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        let prev_term = self.current.last_term();
        self.current.append(entries)?;
        self.record_appends(prev_term, entries.iter().cloned());
        self.pending.push(PendingWrite::Append(entries.to_vec()));
        Ok(())
    }

    /// Forwarded, so the shared form is what both logs hold (and what
    /// crashes, truncations and snapshots act on).
    fn append_shared(&mut self, entries: &mut Vec<SharedEntry>) -> Result<()> {
        let prev_term = self.current.last_term();
        let batch = entries.clone();
        self.current.append_shared(entries)?;
        self.record_appends(prev_term, batch.iter().map(SharedEntry::to_log_entry));
        self.pending.push(PendingWrite::AppendShared(batch));
        Ok(())
    }

    fn shared_entries_into(
        &self,
        from: Index,
        to: Index,
        bytes_max: usize,
        out: &mut Vec<SharedEntry>,
    ) {
        self.current.shared_entries_into(from, to, bytes_max, out);
    }

    fn truncate(&mut self, from: Index) -> Result<()> {
        let before = self.current.last_index();
        self.current.truncate(from)?;
        self.entries_truncated += before - self.current.last_index();
        self.pending.push(PendingWrite::Truncate(from));
        Ok(())
    }

    fn hard_state(&self) -> HardState {
        self.current.hard_state()
    }

    fn set_hard_state(&mut self, state: HardState) -> Result<()> {
        self.current.set_hard_state(state)?;
        self.pending.push(PendingWrite::HardState(state));
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        if self.fail_sync.get() {
            return Err(Error::storage("sync", "simulated disk failure"));
        }
        if self.crash_at_sync.get() {
            return Err(Error::storage("sync", "simulated crash before the sync"));
        }
        for write in self.pending.drain(..) {
            match write {
                PendingWrite::Append(entries) => self.durable.append(&entries)?,
                PendingWrite::AppendShared(mut entries) => {
                    self.durable.append_shared(&mut entries)?;
                }
                PendingWrite::Truncate(from) => self.durable.truncate(from)?,
                PendingWrite::HardState(state) => self.durable.set_hard_state(state)?,
                PendingWrite::Snapshot(snapshot, membership) => self
                    .durable
                    .apply_snapshot_with_membership(&snapshot, &membership)?,
            }
        }
        Ok(())
    }

    fn snapshot_index(&self) -> Index {
        self.current.snapshot_index()
    }

    fn snapshot(&self) -> Option<Snapshot> {
        self.current.snapshot()
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
        self.current
            .apply_snapshot_with_membership(snapshot, membership)?;
        self.pending
            .push(PendingWrite::Snapshot(snapshot.clone(), membership.clone()));
        Ok(())
    }

    fn snapshot_membership(&self) -> Option<Membership> {
        self.current.snapshot_membership()
    }

    fn snapshot_len(&self) -> u64 {
        self.current.snapshot_len()
    }

    fn snapshot_chunk(&self, offset: u64, len: usize) -> Vec<u8> {
        self.current.snapshot_chunk(offset, len)
    }

    /// Staged bytes live only in the visible log: a crash drops them, as
    /// it drops a real backend's unfinished snapshot file.
    fn stages_snapshots(&self) -> bool {
        true
    }

    fn stage_begin(&mut self, stage: SnapshotStage) -> Result<()> {
        self.current.stage_begin(stage)
    }

    fn stage_write(&mut self, stage: SnapshotStage, data: &[u8]) -> Result<()> {
        self.current.stage_write(stage, data)
    }

    fn stage_install(
        &mut self,
        stage: SnapshotStage,
        index: Index,
        term: Term,
        membership: &Membership,
    ) -> Result<()> {
        let before = self.current.snapshot_index();
        self.current.stage_install(stage, index, term, membership)?;
        if self.current.snapshot_index() != before
            && let Some(snapshot) = self.current.snapshot()
        {
            self.pending
                .push(PendingWrite::Snapshot(snapshot, membership.clone()));
        }
        Ok(())
    }

    fn stage_discard(&mut self, stage: SnapshotStage) {
        self.current.stage_discard(stage);
    }
}
