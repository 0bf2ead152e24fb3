//! `WalLog`'s record limit reaches the node (`RaftLog::max_append_bytes`):
//! a proposal over 64 MiB is the caller's error, not a storage failure, and
//! a step's proposals that only together exceed it are split into records.

// Tests assert by unwrapping; helper functions outside `#[test]` need the
// allowance spelled out (clippy.toml covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use raft_core::log::ENTRY_OVERHEAD_BYTES;
use raft_core::{Action, Error, Event, RaftConfig, RaftLog, RaftNode};
use raft_log_wal::WalLog;

const MIB: usize = 1 << 20;

#[test]
fn oversized_proposals_are_refused_and_large_batches_split() {
    let dir = tempfile::tempdir().unwrap();
    let log = WalLog::open(dir.path()).unwrap();
    let max = log.max_append_bytes();
    assert!((64 * MIB - 64..64 * MIB).contains(&max), "{max}");
    let mut node = RaftNode::with_log(RaftConfig::single(1), log);
    while !node.is_leader() {
        node.step(Event::Tick).unwrap();
    }
    let error = node.step(Event::Propose(vec![1; 64 * MIB])).unwrap_err();
    assert_eq!(
        error,
        Error::ProposalTooLarge {
            bytes: 64 * MIB,
            max: max - ENTRY_OVERHEAD_BYTES
        }
    );
    assert_eq!(node.log().last_index(), 0, "nothing written");

    // Two 33 MiB proposals in one step: 66 MiB, more than one record holds.
    let actions = node
        .step_many([
            Event::Propose(vec![2; 33 * MIB]),
            Event::Propose(vec![3; 33 * MIB]),
        ])
        .unwrap();
    let applied: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Apply { index, command, .. } => Some((*index, command.len(), command[0])),
            _ => None,
        })
        .collect();
    assert_eq!(applied, vec![(1, 33 * MIB, 2), (2, 33 * MIB, 3)]);
    drop(node);
    let reopened = WalLog::open(dir.path()).unwrap();
    assert_eq!(reopened.last_index(), 2);
    assert_eq!(reopened.entry(2).unwrap().command.len(), 33 * MIB);
}

#[test]
fn the_append_limit_is_the_record_limit_less_the_entries_header_and_the_largest_proposal_fits() {
    // One append is one record of at most 64 MiB, whose ENTRIES header
    // (version, tag, sync mark, first index, count: 22 bytes, PROTOCOL.md
    // §10) is all the limit leaves out; each entry's own 17 bytes are within
    // the node's per-entry overhead.
    let dir = tempfile::tempdir().unwrap();
    let log = WalLog::open(dir.path()).unwrap();
    let max = log.max_append_bytes();
    assert_eq!(max, 64 * MIB - (1 + 1 + 8 + 8 + 4));
    let mut node = RaftNode::with_log(RaftConfig::single(1), log);
    while !node.is_leader() {
        node.step(Event::Tick).unwrap();
    }
    let largest = max - ENTRY_OVERHEAD_BYTES;
    let actions = node.step(Event::Propose(vec![4; largest])).unwrap();
    let applied = actions.iter().find_map(|a| match a {
        Action::Apply { index, command, .. } if command.len() == largest => Some(*index),
        _ => None,
    });
    let index = applied.expect("the largest proposal is applied");
    drop(node);
    let reopened = WalLog::open(dir.path()).unwrap();
    assert_eq!(reopened.entry(index).unwrap().command.len(), largest);
}
