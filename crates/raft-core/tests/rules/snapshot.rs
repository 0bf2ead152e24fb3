//! Snapshots (Raft §7): compaction, sending a snapshot to a follower that
//! needs compacted entries, installing one.

use raft_core::{
    Action, Error, Event, InstallSnapshot, InstallSnapshotReply, LogEntry, Message, RaftConfig,
    RaftNode, ReplicationState, Snapshot, SnapshotChunk, SnapshotChunkReply,
};

use crate::common::*;

pub(crate) fn install(term: u64, leader: u64, snapshot: Snapshot) -> raft_core::Message {
    Message::InstallSnapshot(InstallSnapshot {
        term,
        leader,
        snapshot,
    })
}

pub(crate) fn install_reply(term: u64, from: u64, last_index: u64) -> raft_core::Message {
    Message::InstallSnapshotReply(InstallSnapshotReply {
        term,
        from,
        last_index,
    })
}

pub(crate) fn chunk(index: u64, total: &[u8], offset: usize, len: usize) -> Message {
    Message::SnapshotChunk(Box::new(SnapshotChunk {
        term: 1,
        leader: 1,
        index,
        snapshot_term: 1,
        voters: vec![1, 2, 3],
        learners: vec![],
        outgoing: vec![],
        total_len: total.len() as u64,
        offset: offset as u64,
        data: total[offset..offset + len].to_vec(),
    }))
}

pub(crate) fn chunk_reply(from: u64, index: u64, next_offset: u64, installed: bool) -> Message {
    Message::SnapshotChunkReply(SnapshotChunkReply {
        term: 1,
        from,
        index,
        next_offset,
        installed,
    })
}

/// A leader of {1, 2, 3} whose log is compacted through 4 (data
/// `SNAPSHOT`, streamed in 2-byte chunks, 4 in flight), and whose follower
/// 3 holds only the no-op: its rejection starts the stream. Returns the
/// chunks sent.
fn streaming_leader() -> (RaftNode, Vec<Action>) {
    streaming_leader_of(b"SNAPSHOT")
}

/// `streaming_leader` with snapshot data `data`.
fn streaming_leader_of(data: &[u8]) -> (RaftNode, Vec<Action>) {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]).with_snapshot_chunk_bytes(2));
    elect_and_settle(&mut leader);
    leader.step_many(proposals(&[b"a", b"b", b"c"])).unwrap();
    leader.step(msg(ae_ok(1, 2, 4))).unwrap();
    assert_eq!(leader.last_applied(), 4);
    let snapshot = Event::Snapshot {
        index: 4,
        data: data.to_vec(),
    };
    assert_eq!(leader.step(snapshot).unwrap(), vec![]);
    assert_eq!(leader.log().snapshot_index(), 4);
    let sent = leader.step(msg(ae_reject(1, 3, 2, 0))).unwrap();
    (leader, sent)
}

fn chunks_to(actions: &[Action], to: u64) -> Vec<u64> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send {
                to: dest,
                message: Message::SnapshotChunk(chunk),
            } if *dest == to => Some(chunk.offset),
            _ => None,
        })
        .collect()
}

// Raft §7: "the leader must occasionally send snapshots to followers that
// lag behind": when the entries a follower needs were compacted away, the
// snapshot is streamed in chunks (§7's offset/data/done), as many in
// flight as the window allows, and the follower installs it once every
// byte arrived.
#[test]
fn leader_streams_the_snapshot_in_chunks_when_entries_were_compacted() {
    let (mut leader, sent) = streaming_leader();
    let data = b"SNAPSHOT";
    assert_eq!(
        sent,
        (0..4)
            .map(|i| send(3, chunk(4, data, 2 * i, 2)))
            .collect::<Vec<_>>()
    );
    assert_eq!(leader.status().peers[1].state, ReplicationState::Snapshot);

    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]));
    follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 1)))
        .unwrap();
    for offset in [0, 2, 4] {
        assert_eq!(
            follower.step(msg(chunk(4, data, offset, 2))).unwrap(),
            vec![send(1, chunk_reply(3, 4, offset as u64 + 2, false))]
        );
    }
    assert_eq!(
        follower.log().snapshot_index(),
        0,
        "not installed before the last byte"
    );
    assert_eq!(
        follower.step(msg(chunk(4, data, 6, 2))).unwrap(),
        vec![
            Action::RestoreSnapshot {
                index: 4,
                term: 1,
                data: data.to_vec()
            },
            send(1, chunk_reply(3, 4, 8, true)),
        ]
    );
    assert_eq!(
        (follower.commit_index(), follower.log().last_index()),
        (4, 4)
    );

    leader.step(msg(chunk_reply(3, 4, 8, true))).unwrap();
    let peer = &leader.status().peers[1];
    assert_eq!((peer.match_index, peer.state), (4, ReplicationState::Probe));
}

// A lost chunk costs that chunk, not the snapshot: the follower answers a
// chunk past a gap with what it holds, the leader sees the same offset
// acknowledged twice and resends from there.
#[test]
fn a_lost_chunk_is_resent_from_what_the_follower_holds() {
    let (mut leader, _) = streaming_leader();
    let data = b"SNAPSHOT";
    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]));
    follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 1)))
        .unwrap();
    follower.step(msg(chunk(4, data, 0, 2))).unwrap();
    // The chunk at 2 is lost; the one at 4 leaves a gap.
    assert_eq!(
        follower.step(msg(chunk(4, data, 4, 2))).unwrap(),
        vec![send(1, chunk_reply(3, 4, 2, false))]
    );
    assert_eq!(
        chunks_to(&leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap(), 3),
        Vec::<u64>::new()
    );
    let resent = leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
    assert_eq!(
        chunks_to(&resent, 3),
        vec![2, 4, 6],
        "from the first missing byte"
    );
}

// A follower that lost its partial snapshot (it restarted) answers a
// chunk from the middle with offset 0, and the leader starts over.
#[test]
fn a_follower_without_the_start_asks_for_it_and_the_leader_starts_over() {
    let (mut leader, _) = streaming_leader();
    leader.step(msg(chunk_reply(3, 4, 4, false))).unwrap();
    let mut restarted = RaftNode::new(cfg(3, &[1, 2, 3]));
    assert_eq!(
        restarted.step(msg(chunk(4, b"SNAPSHOT", 4, 2))).unwrap(),
        vec![send(1, chunk_reply(3, 4, 0, false))]
    );
    let resent = leader.step(msg(chunk_reply(3, 4, 0, false))).unwrap();
    assert_eq!(chunks_to(&resent, 3), vec![0, 2, 4, 6]);
}

// Issue 9, item 2: a follower receiving a snapshot still gets a heartbeat
// every interval (so it does not time out), and its answers count for
// check-quorum: one lost chunk with another follower down does not make a
// healthy leader step down.
#[test]
fn a_follower_in_the_snapshot_state_gets_heartbeats_that_count_for_check_quorum() {
    let (mut leader, _) = streaming_leader();
    for tick in 1..=60 {
        let actions = leader.step(Event::Tick).unwrap();
        if tick % 3 == 0 {
            assert!(
                actions.contains(&send(3, ae(1, 1, (4, 1), vec![], 4))),
                "tick {tick}: {actions:?}"
            );
            // Node 3 answers (it has not installed the snapshot: too
            // short); node 2 is down.
            leader.step(msg(ae_reject(1, 3, 2, 0))).unwrap();
        }
    }
    assert!(leader.is_leader(), "node 3's answers keep a quorum");
    assert_eq!(leader.status().peers[1].state, ReplicationState::Snapshot);
}

// Issue 9, items 3 and 4: an unreachable follower is not sent the snapshot
// again and again (a heartbeat per interval is all it costs), and late or
// duplicated rejections do not restart the stream.
#[test]
fn no_resend_storm_to_an_unreachable_follower_or_on_duplicated_rejections() {
    let (mut leader, _) = streaming_leader();
    for _ in 0..5 {
        let actions = leader.step(msg(ae_reject(1, 3, 2, 0))).unwrap();
        assert_eq!(
            chunks_to(&actions, 3),
            Vec::<u64>::new(),
            "a duplicated rejection resent chunks"
        );
    }
    // Node 3 falls silent; node 2 keeps answering heartbeats, so the
    // leader keeps its quorum.
    let mut chunks = 0;
    for tick in 1..=120 {
        chunks += chunks_to(&leader.step(Event::Tick).unwrap(), 3).len();
        if tick % 3 == 0 {
            leader.step(msg(ae_ok(1, 2, 4))).unwrap();
        }
    }
    assert!(leader.is_leader());
    // It answered (the rejections) while the stream made no progress, so
    // the window is resent once; after that it is silent and gets none.
    assert_eq!(chunks, 4, "resent more than once to a silent node");
}

// A stale `InstallSnapshotReply` or chunk reply does not knock a follower
// that replicates back to probing, nor move its match index back.
#[test]
fn stale_snapshot_answers_do_not_disturb_a_replicating_follower() {
    let (mut leader, _) = streaming_leader();
    leader.step(msg(chunk_reply(3, 4, 8, true))).unwrap();
    leader.step(msg(ae_ok(1, 3, 4))).unwrap();
    assert_eq!(leader.status().peers[1].state, ReplicationState::Replicate);
    leader.step(msg(install_reply(1, 3, 2))).unwrap();
    leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
    leader.step(msg(chunk_reply(3, 2, 8, true))).unwrap();
    let peer = &leader.status().peers[1];
    assert_eq!(
        (peer.state, peer.match_index),
        (ReplicationState::Replicate, 4)
    );
}

// A snapshot taken while an older one streams replaces it: the stream
// restarts with the newer snapshot, and the follower drops the partial one.
#[test]
fn a_newer_snapshot_replaces_the_one_being_streamed() {
    let (mut leader, _) = streaming_leader();
    leader.step(Event::Propose(b"d".to_vec())).unwrap();
    leader.step(msg(ae_ok(1, 2, 5))).unwrap();
    leader
        .step(Event::Snapshot {
            index: 5,
            data: b"NEWER".to_vec(),
        })
        .unwrap();
    let mut restarted = Vec::new();
    for _ in 0..3 {
        restarted.extend(leader.step(Event::Tick).unwrap());
    }
    let newer: Vec<u64> = restarted
        .iter()
        .filter_map(|action| match action {
            Action::Send {
                to: 3,
                message: Message::SnapshotChunk(chunk),
            } => Some(chunk.index),
            _ => None,
        })
        .collect();
    assert!(
        !newer.is_empty() && newer.iter().all(|&index| index == 5),
        "{newer:?}"
    );

    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]));
    follower.step(msg(chunk(4, b"SNAPSHOT", 0, 2))).unwrap();
    follower.step(msg(chunk(5, b"NEWER", 0, 5))).unwrap();
    assert_eq!(follower.log().snapshot_index(), 5);
}

// raft-io 1.0 peers send a whole snapshot in one `InstallSnapshot`: it is
// still installed.
#[test]
fn a_whole_snapshot_in_one_message_is_installed() {
    let snapshot = Snapshot::with_config(4, 1, vec![1, 2, 3], b"S".to_vec());
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

// A follower that holds part of this snapshot already (from an earlier
// leader's stream) says so, and the new stream skips ahead to what it
// lacks rather than resending from the start forever.
#[test]
fn a_stream_skips_ahead_to_what_the_follower_already_holds() {
    let data = [7u8; 32];
    let (mut leader, first) = streaming_leader_of(&data);
    assert_eq!(
        chunks_to(&first, 3),
        (0..8).map(|i| 2 * i).collect::<Vec<_>>()
    );
    let actions = leader.step(msg(chunk_reply(3, 4, 24, false))).unwrap();
    assert_eq!(chunks_to(&actions, 3), vec![24, 26, 28, 30]);
    // A reply claiming more than the snapshot holds is clamped, not trusted.
    let (mut other, _) = streaming_leader_of(&data);
    other.step(msg(chunk_reply(3, 4, 99, false))).unwrap();
    assert_eq!(other.status().peers[1].state, ReplicationState::Snapshot);
}

// A follower that acknowledged part of a stream, then lost it (it
// restarted) and started again from the first chunk, reports less than it
// acknowledged: once the stream stalls, the leader resends from what the
// follower now holds instead of waiting forever.
#[test]
fn a_follower_that_lost_acknowledged_chunks_is_resent_from_what_it_holds() {
    let data = [7u8; 32];
    let (mut leader, _) = streaming_leader_of(&data);
    leader.step(msg(chunk_reply(3, 4, 16, false))).unwrap();
    // Restarted, it holds only the first chunk again.
    leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
    let mut resent = Vec::new();
    for tick in 1..=9 {
        let actions = leader.step(Event::Tick).unwrap();
        if tick % 3 == 0 {
            leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
        }
        resent.extend(chunks_to(&actions, 3));
    }
    assert!(
        resent.contains(&2),
        "never resent from offset 2: {resent:?}"
    );
}

// The same with nothing outstanding: a follower that claimed every byte
// without installing (no honest follower does: the last byte installs)
// and then reports less is resent from what it reports once the stream
// stalls, though every byte the leader sent counts as acknowledged.
#[test]
fn a_follower_reporting_less_than_it_acknowledged_is_resent_with_nothing_in_flight() {
    let data = [7u8; 32];
    let (mut leader, _) = streaming_leader_of(&data);
    let claimed = leader.step(msg(chunk_reply(3, 4, 32, false))).unwrap();
    // Skipped ahead to the end: only the (empty) closing chunk goes out.
    assert_eq!(chunks_to(&claimed, 3), vec![32]);
    leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
    let mut resent = Vec::new();
    for tick in 1..=9 {
        let actions = leader.step(Event::Tick).unwrap();
        if tick % 3 == 0 {
            leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
        }
        resent.extend(chunks_to(&actions, 3));
    }
    assert_eq!(
        resent,
        vec![2, 4, 6, 8, 10, 12, 14, 16],
        "resent from offset 2"
    );
}

// Raft 5.1 ("if a server receives a request with a stale term number, it
// rejects the request"), for the snapshot requests of Raft 7 too: a stale
// leader's InstallSnapshot or chunk is refused with our term, so it learns
// it is stale, and nothing is installed.
#[test]
fn stale_snapshot_requests_are_refused_with_our_term() {
    let mut node = RaftNode::with_log(cfg(2, &[1, 2, 3]), memory_log(&[1, 3], 3, None));
    let snapshot = Snapshot::with_config(4, 1, vec![1, 2, 3], b"S".to_vec());
    assert_eq!(
        node.step(msg(install(2, 1, snapshot))).unwrap(),
        vec![send(1, install_reply(3, 2, 0))]
    );
    let refused = Message::SnapshotChunkReply(SnapshotChunkReply {
        term: 3,
        from: 2,
        index: 4,
        next_offset: 0,
        installed: false,
    });
    assert_eq!(
        node.step(msg(chunk(4, b"SNAPSHOT", 0, 2))).unwrap(),
        vec![send(1, refused)]
    );
    assert_eq!(node.log().snapshot_index(), 0);
    assert_eq!(terms(node.log()), vec![1, 3]);
    assert_eq!((node.term(), node.leader()), (3, None));
}

// Raft 7 ("the snapshot also includes ... the latest configuration as of
// the last included index") and thesis 4.1 (a server uses the latest
// configuration it holds): a follower that installs a snapshot adopts the
// configuration it records, even one no entry of its own log named.
#[test]
fn an_installed_snapshot_brings_its_configuration() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let snapshot = Snapshot::with_config(4, 1, vec![1, 2, 3, 4], b"S".to_vec());
    let actions = follower.step(msg(install(1, 1, snapshot))).unwrap();
    assert!(actions.contains(&send(1, install_reply(1, 2, 4))));
    assert_eq!(follower.log().snapshot_index(), 4);
    assert_eq!(follower.members(), &[1, 2, 3, 4]);
}

// Raft 5.3 and 7: a probe that went unanswered is retried at the heartbeat
// as an empty append; the snapshot is for a follower whose entries were
// compacted away, not for one that is merely slow to answer.
#[test]
fn an_unanswered_probe_above_the_snapshot_is_retried_without_the_snapshot() {
    let mut log = raft_core::MemoryLog::new();
    log.apply_snapshot(&Snapshot::with_config(4, 1, vec![1, 2, 3], b"S".to_vec()))
        .unwrap();
    let mut leader = RaftNode::with_log(cfg(1, &[1, 2, 3]), log);
    elect(&mut leader); // the no-op at 5 is the outstanding probe
    let term = leader.term();
    let (_, heartbeat) = tick_until_output(&mut leader, 100);
    assert_eq!(
        heartbeat,
        vec![
            send(2, ae(term, 1, (4, 1), vec![], 4)),
            send(3, ae(term, 1, (4, 1), vec![], 4)),
        ]
    );
}

fn peer_state(leader: &RaftNode, id: u64) -> (ReplicationState, u64) {
    let status = leader.status();
    let peer = status.peers.iter().find(|peer| peer.id == id).unwrap();
    (peer.state, peer.match_index)
}

// Raft 7: while a snapshot streams, only an answer showing the follower
// holds the snapshot ends the stream. A late success about entries below it
// changes nothing; a success at the snapshot's index (the follower
// installed it) ends the stream, and replication resumes after it.
#[test]
fn only_a_success_at_the_snapshot_index_ends_the_stream() {
    let (mut leader, _) = streaming_leader();
    assert_eq!(peer_state(&leader, 3), (ReplicationState::Snapshot, 1));
    leader.step(msg(ae_ok(1, 3, 2))).unwrap();
    assert_eq!(peer_state(&leader, 3), (ReplicationState::Snapshot, 1));
    leader.step(msg(ae_ok(1, 3, 4))).unwrap();
    assert_ne!(peer_state(&leader, 3).0, ReplicationState::Snapshot);
    assert_eq!(peer_state(&leader, 3).1, 4);
}

// Raft 7: a raft-io 1.0 peer answers a whole `InstallSnapshot` with an
// `InstallSnapshotReply`; one at the snapshot's index ends the stream just
// as a chunk reply saying "installed" does.
#[test]
fn an_install_snapshot_reply_at_the_snapshot_index_ends_the_stream() {
    let (mut leader, _) = streaming_leader();
    assert_eq!(peer_state(&leader, 3), (ReplicationState::Snapshot, 1));
    leader.step(msg(install_reply(1, 3, 4))).unwrap();
    assert_ne!(peer_state(&leader, 3).0, ReplicationState::Snapshot);
    assert_eq!(peer_state(&leader, 3).1, 4);
}

// Raft 7 ("if existing log entry has same index and term as snapshot's last
// included entry, retain log entries following it") with thesis 4.1 (the
// latest configuration in the log is in force): a configuration entry that
// survives after an installed snapshot still counts.
#[test]
fn a_configuration_entry_kept_after_an_installed_snapshot_still_counts() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let entries = vec![
        entry(1, 1, b"a"),
        entry(1, 2, b"b"),
        LogEntry::config(1, 3, &[1, 2, 3, 4]),
    ];
    follower.step(msg(ae(1, 1, (0, 0), entries, 0))).unwrap();
    assert_eq!(follower.members(), &[1, 2, 3, 4]);
    let snapshot = Snapshot::with_config(2, 1, vec![1, 2, 3], b"S".to_vec());
    follower.step(msg(install(1, 1, snapshot))).unwrap();
    assert_eq!(follower.log().snapshot_index(), 2);
    assert_eq!(follower.log().last_index(), 3, "the suffix is kept");
    assert_eq!(follower.members(), &[1, 2, 3, 4]);
}

// Raft 7, when the leader compacts again mid-stream: a chunk reply about
// the old snapshot sends nothing more of it (its data is gone) and nothing
// of the new one at the old stream's offsets; the new snapshot starts
// from its first byte when the stream is restarted.
#[test]
fn a_reply_about_a_replaced_snapshot_sends_no_chunk() {
    let (mut leader, sent) = streaming_leader_of(b"SNAPSHOT-LONGER-DATA");
    assert_eq!(chunks_to(&sent, 3), vec![0, 2, 4, 6, 8, 10, 12, 14]);
    leader.step(Event::Propose(b"d".to_vec())).unwrap();
    leader.step(msg(ae_ok(1, 2, 5))).unwrap();
    let compact = Event::Snapshot {
        index: 5,
        data: b"NEW".to_vec(),
    };
    leader.step(compact).unwrap();
    assert_eq!(leader.log().snapshot_index(), 5);
    let actions = leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
    assert_eq!(chunks_to(&actions, 3), Vec::<u64>::new(), "{actions:?}");
}

// Raft 7 in chunks: a lost chunk is resent once per stall point. Answers
// that repeat the offset the stream was rewound to (the chunks after the
// gap, arriving late) neither resend it again nor count as progress that
// would let the next repeat resend it once more.
#[test]
fn a_lost_chunk_is_resent_once_however_often_its_offset_is_repeated() {
    let (mut leader, sent) = streaming_leader();
    assert_eq!(chunks_to(&sent, 3), vec![0, 2, 4, 6]);
    leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
    // The chunk at 2 was lost: the one at 4 is answered with 2.
    let resent = leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
    assert_eq!(chunks_to(&resent, 3), vec![2, 4, 6]);
    for _ in 0..3 {
        let late = leader.step(msg(chunk_reply(3, 4, 2, false))).unwrap();
        assert_eq!(chunks_to(&late, 3), Vec::<u64>::new(), "resent again");
    }
}

// Raft 7: once the stream is over, a repeated "installed" answer (a
// duplicated InstallSnapshotReply) changes nothing: the follower keeps
// replicating, it is not knocked back to probing.
#[test]
fn a_repeated_install_answer_leaves_a_replicating_follower_alone() {
    let (mut leader, _) = streaming_leader();
    leader.step(msg(install_reply(1, 3, 4))).unwrap();
    leader.step(msg(ae_ok(1, 3, 4))).unwrap();
    assert_eq!(peer_state(&leader, 3), (ReplicationState::Replicate, 4));
    leader.step(msg(install_reply(1, 3, 4))).unwrap();
    assert_eq!(peer_state(&leader, 3), (ReplicationState::Replicate, 4));
}

// Raft 7 in chunks: a stream that makes progress between heartbeats, however
// slowly, is not resent; only one that made none for two heartbeats while
// the follower answered is.
#[test]
fn a_stream_that_progresses_between_heartbeats_is_not_resent() {
    let (mut leader, _) = streaming_leader_of(b"SNAPSHOT-LONGER-DATA");
    let mut resent = Vec::new();
    for acked in [2, 4, 6] {
        leader.step(msg(chunk_reply(3, 4, acked, false))).unwrap();
        leader.step(msg(ae_ok(1, 2, 4))).unwrap();
        for _ in 0..3 {
            resent.extend(chunks_to(&leader.step(Event::Tick).unwrap(), 3));
        }
    }
    assert_eq!(resent, Vec::<u64>::new());
}

// Raft 7 with raft-io 1.0 peers: a snapshot that records no configuration
// (a 1.0 leader's) leaves the follower's configuration as it was at the
// snapshot's index, rather than installing an empty one.
#[test]
fn a_snapshot_without_a_configuration_keeps_the_one_in_force() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let snapshot = Snapshot::new(4, 1, b"S".to_vec());
    follower.step(msg(install(1, 1, snapshot))).unwrap();
    assert_eq!(follower.log().snapshot_index(), 4);
    assert_eq!(follower.members(), &[1, 2, 3]);
}
