//! Nothing moves backwards under late, duplicated and reordered messages
//! (Raft §5.3 Log Matching, §5.4 Leader Completeness, Figure 2).

use raft_core::{Action, Event, RaftNode};

use crate::common::*;

fn applied(actions: &[Action]) -> Vec<u64> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Apply { index, .. } => Some(*index),
            _ => None,
        })
        .collect()
}

// Raft Figure 2 (commitIndex "increases monotonically"): a late heartbeat
// carrying an older leader commit never lowers the follower's commit index.
#[test]
fn commit_index_never_decreases() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let entries = vec![entry(1, 1, b"a"), entry(1, 2, b"b"), entry(1, 3, b"c")];
    follower
        .step(msg(ae(1, 1, (0, 0), entries.clone(), 3)))
        .unwrap();
    assert_eq!(follower.commit_index(), 3);
    for late in [
        ae(1, 1, (0, 0), vec![], 0),
        ae(1, 1, (1, 1), vec![], 1),
        ae(1, 1, (0, 0), entries[..1].to_vec(), 1),
        ae(1, 1, (0, 0), entries.clone(), 2),
    ] {
        follower.step(msg(late)).unwrap();
        assert_eq!(follower.commit_index(), 3);
        assert_eq!(follower.last_applied(), 3);
    }
}

// Raft §5.4 (Leader Completeness): committed entries are never removed. A
// late or forged append that disagrees below the commit index truncates
// nothing, and the reply reports the committed prefix.
#[test]
fn committed_entries_never_truncated() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let entries = vec![entry(1, 1, b"a"), entry(1, 2, b"b"), entry(1, 3, b"c")];
    follower.step(msg(ae(1, 1, (0, 0), entries, 3))).unwrap();
    assert_eq!(follower.commit_index(), 3);
    let actions = follower
        .step(msg(ae(2, 3, (1, 1), vec![entry(2, 2, b"X")], 0)))
        .unwrap();
    assert_eq!(actions, vec![send(3, ae_ok(2, 2, 3))]);
    assert_eq!(terms(follower.log()), vec![1, 1, 1]);
    assert_eq!(follower.log().entry(2), Some(entry(1, 2, b"b")));
}

// Action::Apply contract: each index is applied once, in order, however
// often the append that committed it is delivered.
#[test]
fn no_index_applied_twice() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let append = ae(1, 1, (0, 0), vec![entry(1, 1, b"a"), entry(1, 2, b"b")], 2);
    let actions = follower.step(msg(append.clone())).unwrap();
    assert_eq!(applied(&actions), vec![1, 2]);
    assert_eq!(
        follower.step(msg(append)).unwrap(),
        vec![send(1, ae_ok(1, 2, 2))]
    );
    assert_eq!(
        follower.step(msg(ae(1, 1, (1, 1), vec![], 1))).unwrap(),
        vec![send(1, ae_ok(1, 2, 2))]
    );
    // The next commit applies only what is new.
    let actions = follower
        .step(msg(ae(1, 1, (2, 1), vec![entry(1, 3, b"c")], 3)))
        .unwrap();
    assert_eq!(applied(&actions), vec![3]);

    // On the leader: duplicated acknowledgements apply nothing again.
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::Propose(b"x".to_vec())).unwrap();
    let mut seen = Vec::new();
    for from in [2, 2, 3, 3, 2] {
        seen.extend(applied(&leader.step(msg(ae_ok(1, from, 2))).unwrap()));
    }
    leader.step(Event::Propose(b"y".to_vec())).unwrap();
    seen.extend(applied(&leader.step(msg(ae_ok(1, 3, 3))).unwrap()));
    assert_eq!(seen, vec![2, 3]);
}

// A late acknowledgement (of an earlier, shorter append) or a late
// rejection never lowers what the leader knows a follower holds.
#[test]
fn late_append_reply_never_lowers_match() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step_many(proposals(&[b"a", b"b", b"c"])).unwrap();
    leader.step(msg(ae_ok(1, 2, 4))).unwrap();
    let match_of_2 = |leader: &RaftNode| leader.status().peers[0].match_index;
    assert_eq!(match_of_2(&leader), 4);
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(match_of_2(&leader), 4);
    leader.step(msg(ae_ok(1, 2, 0))).unwrap();
    assert_eq!(match_of_2(&leader), 4);
    leader.step(msg(ae_reject(1, 2, 1, 0))).unwrap();
    assert_eq!(match_of_2(&leader), 4);
    assert!(leader.status().peers[0].next_index > 4);
    assert_eq!(leader.commit_index(), 4);
}

// Reordered appends: a later append arriving first is refused with a hint
// (nothing written), and the follower converges once the earlier one lands.
#[test]
fn reordered_appends_converge_without_damage() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let first = ae(1, 1, (0, 0), vec![entry(1, 1, b"a")], 0);
    let second = ae(1, 1, (1, 1), vec![entry(1, 2, b"b")], 1);
    assert_eq!(
        follower.step(msg(second.clone())).unwrap(),
        vec![send(1, ae_reject(1, 2, 1, 0))]
    );
    assert_eq!(follower.log().last_index(), 0);
    assert_eq!(follower.commit_index(), 0);
    assert_eq!(
        follower.step(msg(first.clone())).unwrap(),
        vec![send(1, ae_ok(1, 2, 1))]
    );
    let actions = follower.step(msg(second)).unwrap();
    assert_eq!(applied(&actions), vec![1]);
    // The first, delivered again late, changes nothing.
    assert_eq!(
        follower.step(msg(first)).unwrap(),
        vec![send(1, ae_ok(1, 2, 1))]
    );
    assert_eq!(terms(follower.log()), vec![1, 1]);
    assert_eq!(follower.commit_index(), 1);
}
