//! Commitment (Raft §5.3, §5.4.2): by majority, current term only, and the
//! follower's commit rule.

use raft_core::{Action, Event, RaftNode};

use crate::common::*;

// Raft §5.4.2 and Figure 8: "Raft never commits log entries from previous
// terms by counting replicas. Only log entries from the leader's current
// term are committed by counting replicas". An entry of term 2 stored on a
// majority is not committed until an entry of term 3 is.
#[test]
fn figure_8_old_term_entry_commits_only_with_a_current_term_entry() {
    let mut leader = RaftNode::with_log(cfg(1, &[1, 2, 3]), memory_log(&[1, 2], 2, None));
    elect(&mut leader);
    assert_eq!(leader.term(), 3);
    assert_eq!(leader.log().entry(3), Some(noop(3, 3)));

    // Both followers hold index 2 (term 2): a majority, not committed.
    leader.step(msg(ae_ok(3, 2, 2))).unwrap();
    leader.step(msg(ae_ok(3, 3, 2))).unwrap();
    assert_eq!(leader.commit_index(), 0);

    // One follower holds the term-3 no-op: both commit together.
    let actions = leader.step(msg(ae_ok(3, 2, 3))).unwrap();
    assert_eq!(leader.commit_index(), 3);
    assert_eq!(
        actions,
        vec![
            Action::Apply {
                index: 1,
                term: 1,
                command: vec![1]
            },
            Action::Apply {
                index: 2,
                term: 2,
                command: vec![2]
            },
        ]
    );
}

// Raft §5.3: an entry is committed once the leader has replicated it on a
// majority of servers (the leader counting itself).
#[test]
fn leader_commits_once_a_majority_holds_the_entry() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3, 4, 5]));
    elect(&mut leader);
    leader.step(msg(ae_ok(1, 2, 1))).unwrap();
    assert_eq!(leader.commit_index(), 0, "2 of 5 is not a majority");
    leader.step(msg(ae_ok(1, 3, 1))).unwrap();
    assert_eq!(leader.commit_index(), 1, "3 of 5 is");

    leader.step(Event::Propose(b"a".to_vec())).unwrap();
    leader.step(msg(ae_ok(1, 5, 2))).unwrap();
    assert_eq!(leader.commit_index(), 1);
    let actions = leader.step(msg(ae_ok(1, 4, 2))).unwrap();
    assert_eq!(leader.commit_index(), 2);
    assert!(actions.contains(&Action::Apply {
        index: 2,
        term: 1,
        command: b"a".to_vec()
    }));
}

// Raft Figure 2, AppendEntries receiver rule 5: "If leaderCommit >
// commitIndex, set commitIndex = min(leaderCommit, index of last new
// entry)" — not the follower's last index, whose tail may be stale.
#[test]
fn follower_commit_is_min_of_leader_commit_and_last_new_entry() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let (a, b) = (entry(1, 1, b"a"), entry(1, 2, b"b"));
    follower
        .step(msg(ae(1, 1, (0, 0), vec![a.clone(), b], 9)))
        .unwrap();
    assert_eq!(follower.commit_index(), 2, "capped by the last new entry");

    // The tail (2, 3) of this follower's log is of term 1 and may not be
    // the new leader's: a heartbeat at index 1 commits only through 1.
    let mut follower = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1, 1, 1], 1, None));
    let actions = follower.step(msg(ae(2, 1, (1, 1), vec![], 3))).unwrap();
    assert_eq!(follower.commit_index(), 1);
    assert_eq!(
        actions,
        vec![
            send(1, ae_ok(2, 2, 1)),
            Action::Apply {
                index: 1,
                term: 1,
                command: vec![1]
            },
        ]
    );
    // Leader commit below what we hold: commit follows the leader.
    follower.step(msg(ae(2, 1, (3, 1), vec![], 2))).unwrap();
    assert_eq!(follower.commit_index(), 2);
}
