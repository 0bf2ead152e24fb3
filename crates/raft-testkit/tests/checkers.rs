//! Each checker fails on a run that violates its property. The runs are
//! made by hand: nodes that could never coexist in one cluster are shown to
//! one checker, or a node's actions are forged.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use raft_core::{Action, Event, HardState, LogEntry, RaftConfig, RaftLog, RaftNode};
use raft_testkit::{SafetyChecker, SimLog, Violation};

/// A single-node leader over `log`, every step shown to `checker`.
fn elect(id: u64, log: SimLog, checker: &mut SafetyChecker) -> Result<RaftNode<SimLog>, Violation> {
    let mut node = RaftNode::with_log(RaftConfig::single(id), log);
    while !node.is_leader() {
        let actions = node.step(Event::Tick).unwrap();
        checker.observe(&node, &actions)?;
    }
    Ok(node)
}

fn propose(
    node: &mut RaftNode<SimLog>,
    command: &[u8],
    checker: &mut SafetyChecker,
) -> Result<(), Violation> {
    let actions = node.step(Event::Propose(command.to_vec())).unwrap();
    checker.observe(node, &actions)
}

#[test]
fn election_safety_fails_on_two_leaders_in_one_term() {
    let mut checker = SafetyChecker::new();
    elect(1, SimLog::new(), &mut checker).unwrap();
    let violation = elect(2, SimLog::new(), &mut checker).unwrap_err();
    assert_eq!(violation.property, "election safety");
}

#[test]
fn log_matching_fails_on_two_entries_with_one_index_and_term() {
    let mut checker = SafetyChecker::new();
    let mut a = elect(1, SimLog::new(), &mut checker).unwrap();
    propose(&mut a, b"a", &mut checker).unwrap();
    // Another node holds a different entry at (index 1, term 1).
    let mut other = SimLog::new();
    other.append(&[LogEntry::new(1, 1, b"b".to_vec())]).unwrap();
    let b = RaftNode::with_log(RaftConfig::new(2, [1, 3]), other);
    let violation = checker.observe(&b, &[]).unwrap_err();
    assert_eq!(violation.property, "log matching");
}

#[test]
fn leader_completeness_fails_on_a_leader_missing_a_committed_entry() {
    let mut checker = SafetyChecker::new();
    let mut a = elect(1, SimLog::new(), &mut checker).unwrap();
    propose(&mut a, b"committed", &mut checker).unwrap();
    // A node at a later term whose log lacks entry 1 becomes leader.
    let mut empty = SimLog::new();
    empty
        .set_hard_state(HardState {
            term: 5,
            voted_for: None,
        })
        .unwrap();
    let violation = elect(2, empty, &mut checker).unwrap_err();
    assert_eq!(violation.property, "leader completeness");
}

#[test]
fn state_machine_safety_fails_on_two_commands_at_one_index() {
    let mut checker = SafetyChecker::new();
    let a = RaftNode::with_log(RaftConfig::new(1, [2]), SimLog::new());
    let b = RaftNode::with_log(RaftConfig::new(2, [1]), SimLog::new());
    let apply = |command: &[u8]| Action::Apply {
        index: 1,
        term: 1,
        command: command.to_vec(),
    };
    checker.observe(&a, &[apply(b"x")]).unwrap();
    let violation = checker.observe(&b, &[apply(b"y")]).unwrap_err();
    assert_eq!(violation.property, "state machine safety");
}

#[test]
fn apply_order_fails_on_a_reapplied_index() {
    let mut checker = SafetyChecker::new();
    let a = RaftNode::with_log(RaftConfig::new(1, [2]), SimLog::new());
    let apply = |index| Action::Apply {
        index,
        term: 1,
        command: b"x".to_vec(),
    };
    checker.observe(&a, &[apply(1), apply(2)]).unwrap();
    let violation = checker.observe(&a, &[apply(2)]).unwrap_err();
    assert_eq!(violation.property, "apply order");
}

#[test]
fn monotonic_commit_fails_when_a_node_forgets_its_commit_without_restarting() {
    let mut checker = SafetyChecker::new();
    let mut a = elect(1, SimLog::new(), &mut checker).unwrap();
    propose(&mut a, b"x", &mut checker).unwrap();
    assert_eq!(a.commit_index(), 1);
    let amnesiac = RaftNode::with_log(RaftConfig::single(1), SimLog::new());
    let violation = checker.observe(&amnesiac, &[]).unwrap_err();
    assert_eq!(violation.property, "monotonic commit");
    // A declared restart is allowed to start over.
    checker.node_restarted(1);
    checker.observe(&amnesiac, &[]).unwrap();
}

#[test]
fn a_crash_keeps_exactly_the_synced_writes() {
    let mut log = SimLog::new();
    log.append(&[LogEntry::new(1, 1, b"synced".to_vec())])
        .unwrap();
    log.set_hard_state(HardState {
        term: 1,
        voted_for: Some(1),
    })
    .unwrap();
    log.sync().unwrap();
    log.append(&[LogEntry::new(1, 2, b"lost".to_vec())])
        .unwrap();
    log.set_hard_state(HardState {
        term: 2,
        voted_for: None,
    })
    .unwrap();
    let recovered = log.crash();
    assert_eq!(recovered.last_index(), 1);
    assert_eq!(
        recovered.hard_state(),
        HardState {
            term: 1,
            voted_for: Some(1)
        }
    );
    log.set_fail_sync(true);
    assert!(
        log.sync().is_err(),
        "a failing disk surfaces Error::Storage"
    );
}

/// A disk that can claim truncations its log never made: the only way to
/// show the checker a leader whose log lost entries in its own term.
#[derive(Debug, Default)]
struct TruncatingDisk {
    log: SimLog,
    forged_truncations: std::cell::Cell<u64>,
}

impl RaftLog for TruncatingDisk {
    fn last_index(&self) -> u64 {
        self.log.last_index()
    }
    fn last_term(&self) -> u64 {
        self.log.last_term()
    }
    fn term_at(&self, index: u64) -> Option<u64> {
        self.log.term_at(index)
    }
    fn entry(&self, index: u64) -> Option<LogEntry> {
        self.log.entry(index)
    }
    fn append(&mut self, entries: &[LogEntry]) -> raft_core::Result<()> {
        self.log.append(entries)
    }
    fn truncate(&mut self, from: u64) -> raft_core::Result<()> {
        self.log.truncate(from)
    }
    fn hard_state(&self) -> HardState {
        self.log.hard_state()
    }
    fn set_hard_state(&mut self, state: HardState) -> raft_core::Result<()> {
        self.log.set_hard_state(state)
    }
    fn sync(&mut self) -> raft_core::Result<()> {
        self.log.sync()
    }
}

impl raft_testkit::SimDisk for TruncatingDisk {
    fn create(id: u64, seed: u64) -> raft_core::Result<Self> {
        Ok(Self {
            log: SimLog::create(id, seed)?,
            forged_truncations: Default::default(),
        })
    }
    fn appended(&self) -> &[raft_testkit::AppendRecord] {
        self.log.appended()
    }
    fn entries_truncated(&self) -> u64 {
        self.log.entries_truncated() + self.forged_truncations.get()
    }
    fn set_crash_at_sync(&self, armed: bool) {
        self.log.set_crash_at_sync(armed);
    }
    fn crash_at_sync(&self) -> bool {
        self.log.crash_at_sync()
    }
    fn crash(self) -> raft_core::Result<Self> {
        Ok(Self {
            log: self.log.crash()?,
            forged_truncations: Default::default(),
        })
    }
}

#[test]
fn leader_append_only_fails_when_a_leader_truncates_in_its_term() {
    use raft_testkit::SimDisk;
    let mut checker = SafetyChecker::new();
    let disk = TruncatingDisk::create(1, 0).unwrap();
    let mut node = RaftNode::with_log(RaftConfig::single(1), disk);
    while !node.is_leader() {
        let actions = node.step(Event::Tick).unwrap();
        checker.observe(&node, &actions).unwrap();
    }
    let actions = node.step(Event::Propose(b"x".to_vec())).unwrap();
    checker.observe(&node, &actions).unwrap();
    // Still the leader of the same term, its disk now reports removed entries.
    node.log().forged_truncations.set(1);
    let violation = checker.observe(&node, &[]).unwrap_err();
    assert_eq!(violation.property, "leader append-only");
}
