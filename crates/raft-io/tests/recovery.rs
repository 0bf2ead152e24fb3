//! A `RaftNode` reopened over a recovered `WalLog` resumes exactly: term,
//! vote, commit and apply at the snapshot, voters from the snapshot's
//! configuration, and nothing the snapshot covers is applied again.

#![cfg(feature = "persistence")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use raft_io::{
    Action, AppendEntries, Event, HardState, Index, InstallSnapshot, LogEntry, Message, RaftConfig,
    RaftLog, RaftNode, RequestVote, Snapshot, WalLog,
};

fn applied(actions: &[Action]) -> Vec<Index> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Apply { index, .. } => Some(*index),
            _ => None,
        })
        .collect()
}

fn vote_granted(actions: &[Action]) -> Option<bool> {
    actions.iter().find_map(|action| match action {
        Action::Send {
            message: Message::RequestVoteReply(reply),
            ..
        } => Some(reply.vote_granted),
        _ => None,
    })
}

fn request_vote(term: u64, candidate: u64, last_log_index: Index) -> Event {
    Event::Message(Message::RequestVote(RequestVote {
        term,
        candidate,
        last_log_index,
        last_log_term: term,
        force: true,
    }))
}

fn append(prev: Index, entries: Vec<LogEntry>, leader_commit: Index) -> Event {
    Event::Message(Message::AppendEntries(AppendEntries {
        term: 5,
        leader: 3,
        prev_log_index: prev,
        prev_log_term: if prev == 0 { 0 } else { 5 },
        entries,
        leader_commit,
    }))
}

/// A follower votes, takes ten entries (four committed), installs a snapshot
/// through 8 naming voters {2, 3, 4}, and is dropped. Reopened, it resumes
/// at term 5 with its vote, commit and applied at 8, the snapshot's voters,
/// and applies only 9 and 10 once the leader's commit reaches it.
#[test]
fn a_follower_resumes_term_vote_snapshot_and_voters() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = WalLog::open(dir.path()).unwrap();
        let mut node = RaftNode::with_log(RaftConfig::new(2, [1, 3]), log);
        let actions = node.step(request_vote(5, 3, 0)).unwrap();
        assert_eq!(vote_granted(&actions), Some(true));
        let entries = (1..=10)
            .map(|i| LogEntry::new(5, i, format!("cmd {i}").into_bytes()))
            .collect();
        let actions = node.step(append(0, entries, 4)).unwrap();
        assert_eq!(applied(&actions), vec![1, 2, 3, 4]);
        let snapshot = Snapshot::with_config(8, 5, vec![2, 3, 4], b"state@8".to_vec());
        let actions = node
            .step(Event::Message(Message::InstallSnapshot(InstallSnapshot {
                term: 5,
                leader: 3,
                snapshot,
            })))
            .unwrap();
        assert!(
            actions
                .iter()
                .any(|a| matches!(a, Action::RestoreSnapshot { index: 8, .. }))
        );
        assert_eq!((node.commit_index(), node.last_applied()), (8, 8));
        // Dropped without any shutdown call, like a killed process.
    }

    let log = WalLog::open(dir.path()).unwrap();
    assert_eq!(
        log.hard_state(),
        HardState {
            term: 5,
            voted_for: Some(3)
        }
    );
    assert_eq!((log.snapshot_index(), log.last_index()), (8, 10));
    assert_eq!(log.snapshot().unwrap().data, b"state@8");
    // The configuration passed here is stale: the snapshot's wins.
    let mut node = RaftNode::with_log(RaftConfig::new(2, [1, 3]), log);
    assert_eq!(node.term(), 5);
    assert_eq!(node.commit_index(), 8);
    assert_eq!(node.last_applied(), 8);
    assert_eq!(node.members(), &[2, 3, 4]);

    // The vote survived: another candidate of term 5 is refused.
    let actions = node.step(request_vote(5, 4, 10)).unwrap();
    assert_eq!(vote_granted(&actions), Some(false));
    assert_eq!(node.log().hard_state().voted_for, Some(3));

    // The leader's commit reaches 10: only what the snapshot does not cover
    // is applied, in order, once.
    let actions = node.step(append(10, Vec::new(), 10)).unwrap();
    assert_eq!(applied(&actions), vec![9, 10]);
    let actions = node.step(append(10, Vec::new(), 10)).unwrap();
    assert!(applied(&actions).is_empty());
}

/// A single-node leader proposes six commands, snapshots through 3 and is
/// dropped. Reopened, it resumes at the snapshot, wins the next term, and
/// re-applies exactly 4, 5 and 6 (never 1 to 3), committed with its no-op.
#[test]
fn a_leader_resumes_after_its_snapshot_and_reapplies_only_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let term = {
        let log = WalLog::open(dir.path()).unwrap();
        let mut node = RaftNode::with_log(RaftConfig::single(1), log);
        while !node.is_leader() {
            node.step(Event::Tick).unwrap();
        }
        let proposals = (1..=6).map(|i| Event::Propose(vec![i]));
        let actions = node.step_many(proposals).unwrap();
        assert_eq!(applied(&actions), vec![1, 2, 3, 4, 5, 6]);
        node.step(Event::Snapshot {
            index: 3,
            data: vec![1, 2, 3],
        })
        .unwrap();
        assert_eq!(node.log().snapshot_index(), 3);
        node.term()
    };

    let log = WalLog::open(dir.path()).unwrap();
    let mut node = RaftNode::with_log(RaftConfig::single(1), log);
    assert_eq!(node.term(), term);
    assert_eq!(node.log().hard_state().voted_for, Some(1));
    assert_eq!((node.commit_index(), node.last_applied()), (3, 3));
    assert_eq!(node.log().last_index(), 6);
    assert_eq!(node.members(), &[1]);
    let mut reapplied = Vec::new();
    while !node.is_leader() {
        reapplied.extend(applied(&node.step(Event::Tick).unwrap()));
    }
    assert_eq!(node.term(), term + 1);
    assert_eq!(reapplied, vec![4, 5, 6]);
    // The inherited tail commits with the new term's no-op at 7.
    assert_eq!(node.commit_index(), 7);
}
