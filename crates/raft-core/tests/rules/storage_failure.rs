//! A failing disk stops the node (PROTOCOL.md §1, "Failure"): a read that
//! fails fails the step that made it, like a failed write, even when the
//! step wrote nothing.

use raft_core::{Error, Event, MemoryLog, RaftLog};

use crate::common::*;

// The log's reads cannot return errors, so a backend latches a failed read
// and the node checks it at the end of every step. Here a resend, a step
// that writes nothing, reads entries the disk no longer gives back: the step
// fails with Error::Storage, sends nothing, and so does every later step.
#[test]
fn a_failed_log_read_fails_the_step_and_the_node() {
    let (mut leader, probe) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    elect_and_settle(&mut leader);
    leader.step(Event::Propose(b"a".to_vec())).unwrap();
    assert_eq!(leader.log().last_index(), 2);
    probe.take();

    probe.fail_reads(true);
    // Follower 2 lost the append and asks again from index 2.
    let error = leader.step(msg(ae_reject(1, 2, 2, 0))).unwrap_err();
    assert!(matches!(error, Error::Storage { .. }), "{error}");
    assert_eq!(probe.take(), vec![], "a resend writes nothing");
    // The disk is gone: even a tick that reads nothing now fails.
    assert_eq!(leader.step(Event::Tick).unwrap_err(), error);
    assert_eq!(leader.step(msg(ae_ok(1, 3, 2))).unwrap_err(), error);
}

// A step that fails because a read failed reports the read failure, its
// cause, not what went wrong after it: here entry 2 commits, reading it to
// apply fails, and the error names the read, not a "missing" entry.
#[test]
fn a_failure_after_a_failed_read_is_reported_as_the_read() {
    let (mut leader, probe) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    elect_and_settle(&mut leader);
    leader.step(Event::Propose(b"a".to_vec())).unwrap();
    probe.fail_reads(true);
    let error = leader.step(msg(ae_ok(1, 2, 2))).unwrap_err();
    assert_eq!(error, Error::storage("read entries", "injected failure"));
}

/// A backend that implements only the required methods: no snapshots.
struct NoSnapshotLog(MemoryLog);

impl RaftLog for NoSnapshotLog {
    required_log_methods_of_field_0!();
}

// A backend that cannot store snapshots fails loudly when the leader sends
// one (Raft 7's InstallSnapshot): the step fails with a storage error
// instead of pretending the snapshot was installed.
#[test]
fn a_backend_without_snapshots_fails_the_step_that_installs_one() {
    let mut follower =
        raft_core::RaftNode::with_log(cfg(2, &[1, 2, 3]), NoSnapshotLog(MemoryLog::new()));
    let snapshot = raft_core::Snapshot::with_config(4, 1, vec![1, 2, 3], b"S".to_vec());
    let install = raft_core::Message::InstallSnapshot(raft_core::InstallSnapshot {
        term: 1,
        leader: 1,
        snapshot,
    });
    let error = follower.step(msg(install)).unwrap_err();
    assert!(matches!(error, Error::Storage { .. }), "{error}");
    assert_eq!(follower.log().snapshot_index(), 0);
}

/// A backend that says it stages snapshots but whose `stage_install`
/// stores nothing (a broken backend): the log keeps its older snapshot.
struct ForgetfulStagingLog(MemoryLog);

impl RaftLog for ForgetfulStagingLog {
    required_log_methods_of_field_0!();
    fn snapshot_index(&self) -> u64 {
        self.0.snapshot_index()
    }
    fn snapshot(&self) -> Option<raft_core::Snapshot> {
        self.0.snapshot()
    }
    fn apply_snapshot(&mut self, snapshot: &raft_core::Snapshot) -> raft_core::Result<()> {
        self.0.apply_snapshot(snapshot)
    }
    fn stages_snapshots(&self) -> bool {
        true
    }
    fn stage_begin(&mut self, _: SnapshotStage) -> raft_core::Result<()> {
        Ok(())
    }
    fn stage_write(&mut self, _: SnapshotStage, _: &[u8]) -> raft_core::Result<()> {
        Ok(())
    }
    fn stage_install(
        &mut self,
        _: SnapshotStage,
        _: u64,
        _: u64,
        _: &raft_core::Membership,
    ) -> raft_core::Result<()> {
        Ok(())
    }
}

// The application is told to restore the snapshot the log stored; if the
// log reads back another one than it just installed, the step fails with a
// storage error rather than hand the application the wrong state.
#[test]
fn a_staged_snapshot_that_reads_back_as_another_fails_the_step() {
    let mut inner = MemoryLog::new();
    inner
        .apply_snapshot(&raft_core::Snapshot::with_config(
            2,
            1,
            vec![1, 2, 3],
            b"old".to_vec(),
        ))
        .unwrap();
    let mut follower =
        raft_core::RaftNode::with_log(cfg(3, &[1, 2, 3]), ForgetfulStagingLog(inner));
    let error = follower
        .step(msg(crate::snapshot::chunk(4, b"NEW", 0, 3)))
        .unwrap_err();
    assert!(
        matches!(&error, Error::Storage { detail, .. } if detail.contains("reads back as the one through 2")),
        "{error}"
    );
}

/// What `FaultyEntryLog` does to the entry at its index.
#[derive(Clone, Copy, Debug)]
enum EntryFault {
    /// Returns nothing, as if the entry were lost.
    Missing,
    /// Returns the next entry in its place.
    Misplaced,
}

/// A broken backend: reading the entry at `index` fails as `fault` says
/// (the bulk reads use the defaults, so they see the fault too).
struct FaultyEntryLog {
    inner: MemoryLog,
    index: raft_core::Index,
    fault: EntryFault,
}

impl RaftLog for FaultyEntryLog {
    fn last_index(&self) -> raft_core::Index {
        self.inner.last_index()
    }
    fn last_term(&self) -> raft_core::Term {
        self.inner.last_term()
    }
    fn term_at(&self, index: raft_core::Index) -> Option<raft_core::Term> {
        self.inner.term_at(index)
    }
    fn entry(&self, index: raft_core::Index) -> Option<raft_core::LogEntry> {
        match (index == self.index, self.fault) {
            (false, _) => self.inner.entry(index),
            (true, EntryFault::Missing) => None,
            (true, EntryFault::Misplaced) => {
                let mut entry = self.inner.entry(index)?;
                entry.index += 1;
                Some(entry)
            }
        }
    }
    fn append(&mut self, entries: &[raft_core::LogEntry]) -> raft_core::Result<()> {
        self.inner.append(entries)
    }
    fn truncate(&mut self, from: raft_core::Index) -> raft_core::Result<()> {
        self.inner.truncate(from)
    }
    fn hard_state(&self) -> raft_core::HardState {
        self.inner.hard_state()
    }
    fn set_hard_state(&mut self, state: raft_core::HardState) -> raft_core::Result<()> {
        self.inner.set_hard_state(state)
    }
    fn sync(&mut self) -> raft_core::Result<()> {
        self.inner.sync()
    }
}

/// A single-node leader (it appends no no-op: nothing of an earlier term
/// can be uncommitted) over a log whose entry 1, the first proposal's,
/// reads back as `fault` says; `proposals` commands proposed in one step.
fn apply_through_fault(fault: EntryFault, proposals: usize) -> Error {
    let log = FaultyEntryLog {
        inner: MemoryLog::new(),
        index: 1,
        fault,
    };
    let mut node = raft_core::RaftNode::with_log(raft_core::RaftConfig::single(1), log);
    while !node.is_leader() {
        node.step(Event::Tick).unwrap();
    }
    let events = (0..proposals).map(|i| Event::Propose(vec![u8::try_from(i).unwrap_or(0)]));
    let error = node.step_many(events).unwrap_err();
    assert_eq!(node.last_applied(), 0, "nothing past the fault is applied");
    assert_eq!(
        node.step(Event::Tick).unwrap_err(),
        error,
        "the node stays failed"
    );
    error
}

// A committed entry the log cannot give back, or gives back at the wrong
// index, is a storage fault: the node must not skip it or apply another
// in its place (each entry applied once, in order). Both apply paths: the
// one entry read alone, and the batch.
#[test]
fn a_committed_entry_missing_or_misplaced_fails_the_apply() {
    let faults = [
        (
            EntryFault::Missing,
            "committed entry 1 is missing from the log",
        ),
        (
            EntryFault::Misplaced,
            "log returned entry 2 where 1 was expected",
        ),
    ];
    for (fault, reason) in faults {
        for proposals in [1, 3] {
            assert_eq!(
                apply_through_fault(fault, proposals),
                Error::storage("apply", reason),
                "{fault:?}, {proposals} proposals"
            );
        }
    }
}
