//! Proposals against the log's append limit (`RaftLog::max_append_bytes`,
//! PROTOCOL.md §1): a proposal too large for any append is the caller's
//! error, refused before anything is written; proposals that only together
//! exceed the limit go to the log in several appends.

use raft_core::log::ENTRY_OVERHEAD_BYTES;
use raft_core::{Action, Error, Event, MemoryLog, RaftLog};

use crate::common::*;

/// Room for exactly two 30-byte commands per append.
const LIMIT: usize = 2 * (30 + ENTRY_OVERHEAD_BYTES);

#[test]
fn a_proposal_larger_than_the_log_accepts_is_refused_and_the_leader_goes_on() {
    let (mut leader, probe) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    elect_and_settle(&mut leader);
    probe.set_max_append_bytes(LIMIT);
    probe.take();
    let too_large = vec![7; LIMIT - ENTRY_OVERHEAD_BYTES + 1];
    assert_eq!(
        leader.step(Event::Propose(too_large)).unwrap_err(),
        Error::ProposalTooLarge {
            bytes: LIMIT - ENTRY_OVERHEAD_BYTES + 1,
            max: LIMIT - ENTRY_OVERHEAD_BYTES,
        }
    );
    assert_eq!(probe.take(), vec![], "nothing written");
    assert!(leader.is_leader());
    // The largest that fits is accepted, and the node is not failed.
    let largest = vec![7; LIMIT - ENTRY_OVERHEAD_BYTES];
    leader.step(Event::Propose(largest)).unwrap();
    assert_eq!(leader.log().last_index(), 2);

    // In a batch the refusal is one `Rejected`; the rest goes on.
    let batch = proposals(&[b"a", &[0; LIMIT], b"b"]);
    let actions = leader.step_many(batch).unwrap();
    assert!(actions.contains(&Action::Rejected {
        event: 1,
        error: Error::ProposalTooLarge {
            bytes: LIMIT,
            max: LIMIT - ENTRY_OVERHEAD_BYTES,
        },
    }));
    assert_eq!(leader.log().last_index(), 4);
}

// Group commit (§1) puts a step's proposals in one append; when together
// they exceed the limit they are split into appends that each fit, still
// made durable by one sync.
#[test]
fn proposals_that_together_exceed_the_log_limit_are_split_into_appends() {
    let (mut leader, probe) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    elect_and_settle(&mut leader);
    probe.set_max_append_bytes(LIMIT);
    probe.take();
    let c = [9u8; 30];
    leader.step_many(proposals(&[&c, &c, &c, &c, &c])).unwrap();
    assert_eq!(
        probe.take(),
        vec![
            Call::Append { first: 2, count: 2 },
            Call::Append { first: 4, count: 2 },
            Call::Append { first: 6, count: 1 },
            Call::Sync,
        ]
    );
    assert_eq!(terms(leader.log()), vec![1; 6]);
}
