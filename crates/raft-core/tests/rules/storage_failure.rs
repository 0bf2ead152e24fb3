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
