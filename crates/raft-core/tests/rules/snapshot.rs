//! Snapshots (Raft §7): compaction, sending a snapshot to a follower that
//! needs compacted entries, installing one.

use raft_core::{
    Action, Error, Event, InstallSnapshot, InstallSnapshotReply, Message, RaftConfig, RaftNode,
    ReplicationState, Snapshot,
};

use crate::common::*;

fn install(term: u64, leader: u64, snapshot: Snapshot) -> raft_core::Message {
    Message::InstallSnapshot(InstallSnapshot {
        term,
        leader,
        snapshot,
    })
}

fn install_reply(term: u64, from: u64, last_index: u64) -> raft_core::Message {
    Message::InstallSnapshotReply(InstallSnapshotReply {
        term,
        from,
        last_index,
    })
}

// Raft §7: "the leader must occasionally send snapshots to followers that
// lag behind" — when the entries a follower needs were compacted away.
#[test]
fn leader_sends_snapshot_when_follower_needs_compacted_entries() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step_many(proposals(&[b"a", b"b", b"c"])).unwrap();
    leader.step(msg(ae_ok(1, 2, 4))).unwrap();
    assert_eq!(leader.last_applied(), 4);
    assert_eq!(
        leader
            .step(Event::Snapshot {
                index: 4,
                data: b"S".to_vec()
            })
            .unwrap(),
        vec![]
    );
    assert_eq!(leader.log().snapshot_index(), 4);

    // Node 3 holds only the no-op: it refuses, and the entries it needs are
    // gone, so the snapshot goes out instead.
    let snapshot = Snapshot::with_config(4, 1, vec![1, 2, 3], b"S".to_vec());
    assert_eq!(
        leader.step(msg(ae_reject(1, 3, 2, 0))).unwrap(),
        vec![send(3, install(1, 1, snapshot.clone()))]
    );
    assert_eq!(leader.status().peers[1].state, ReplicationState::Snapshot);

    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]));
    follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 1)))
        .unwrap();
    assert_eq!(
        follower.step(msg(install(1, 1, snapshot))).unwrap(),
        vec![
            Action::RestoreSnapshot {
                index: 4,
                term: 1,
                data: b"S".to_vec()
            },
            send(1, install_reply(1, 3, 4)),
        ]
    );
    assert_eq!(
        (
            follower.commit_index(),
            follower.last_applied(),
            follower.log().last_index()
        ),
        (4, 4, 4)
    );

    assert_eq!(leader.step(msg(install_reply(1, 3, 4))).unwrap(), vec![]);
    assert_eq!(leader.status().peers[1].match_index, 4);
}

// Raft §7: a snapshot covering no more than the follower already committed
// is not installed (it would move the state machine backwards).
#[test]
fn snapshot_older_than_commit_is_not_installed() {
    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]));
    let entries = vec![entry(1, 1, b"a"), entry(1, 2, b"b"), entry(1, 3, b"c")];
    follower.step(msg(ae(1, 1, (0, 0), entries, 3))).unwrap();
    let old = Snapshot::with_config(2, 1, vec![1, 2, 3], b"old".to_vec());
    assert_eq!(
        follower.step(msg(install(1, 1, old))).unwrap(),
        vec![send(1, install_reply(1, 3, 3))]
    );
    assert_eq!(follower.log().snapshot_index(), 0);
    assert_eq!(follower.last_applied(), 3);
}

// Compaction covers applied entries only.
#[test]
fn snapshot_must_not_cover_unapplied_entries() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect_and_settle(&mut leader);
    leader.step(Event::Propose(b"a".to_vec())).unwrap();
    assert!(matches!(
        leader.step(Event::Snapshot {
            index: 2,
            data: vec![]
        }),
        Err(Error::InvalidRequest { .. })
    ));
    assert_eq!(leader.log().snapshot_index(), 0);
}

// The snapshot hint comes once every `snapshot_threshold` applied entries.
// (A sole voter appends no no-op, so its first proposal is index 1.)
#[test]
fn snapshot_hint_every_threshold_applied_entries() {
    let mut node = RaftNode::new(RaftConfig::single(1).with_snapshot_threshold(2));
    elect(&mut node);
    let apply = |index: u64, command: &[u8]| Action::Apply {
        index,
        term: 1,
        command: command.to_vec(),
    };
    assert_eq!(
        node.step(Event::Propose(b"a".to_vec())).unwrap(),
        vec![apply(1, b"a")]
    );
    assert_eq!(
        node.step(Event::Propose(b"b".to_vec())).unwrap(),
        vec![apply(2, b"b"), Action::Snapshot { index: 2, term: 1 }]
    );
    assert_eq!(
        node.step(Event::Propose(b"c".to_vec())).unwrap(),
        vec![apply(3, b"c")]
    );
    assert_eq!(
        node.step(Event::Propose(b"d".to_vec())).unwrap(),
        vec![apply(4, b"d"), Action::Snapshot { index: 4, term: 1 }]
    );
}
