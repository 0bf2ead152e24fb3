//! Snapshots that are never whole in memory (Raft §7's chunked
//! InstallSnapshot, taken further): a follower writes each chunk a leader
//! streams into its log's staging area as it arrives, the application
//! writes its own snapshot there piece by piece, and an installed snapshot
//! can be announced by reference, for the application to read from the log.

use std::io::Read;

use raft_core::{Action, Error, Event, MemoryLog, RaftNode, Snapshot};

use crate::common::*;
use crate::snapshot::{chunk, chunk_reply, install};

const DATA: &[u8] = b"SNAPSHOT";

/// Follower 3 of {1, 2, 3} over a staging `RecordingLog`, holding the
/// leader's no-op; the calls so far are taken.
fn staging_follower(config: raft_core::RaftConfig) -> (RaftNode<RecordingLog>, LogProbe) {
    let (mut follower, probe) = recorded_node(config, MemoryLog::new());
    probe.stage_snapshots(true);
    follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1)], 1)))
        .unwrap();
    probe.take();
    (follower, probe)
}

fn staged(data: &[u8]) -> Call {
    Call::StageWrite(SnapshotStage::FromLeader, data.to_vec())
}

// Each chunk's new bytes go to the log as the chunk arrives, in order; a
// duplicate, or the part of an overlapping chunk already held, is not
// written again. Staged bytes are not the log's state, so they cost no
// sync (a crash loses them and the leader resends from the start), and the snapshot is installed from the staged bytes once
// the last one arrived.
#[test]
fn a_follower_stages_each_new_part_of_a_streamed_snapshot_as_it_arrives() {
    let (mut follower, probe) = staging_follower(cfg(3, &[1, 2, 3]));
    for (offset, len) in [(0, 3), (0, 3), (2, 4)] {
        follower.step(msg(chunk(4, DATA, offset, len))).unwrap();
    }
    assert_eq!(
        probe.take(),
        vec![
            Call::StageBegin(SnapshotStage::FromLeader),
            staged(b"SNA"),
            staged(b"PSH"),
        ]
    );
    assert_eq!(follower.log().snapshot_index(), 0);
    assert_eq!(
        follower.step(msg(chunk(4, DATA, 6, 2))).unwrap(),
        vec![
            Action::RestoreSnapshot {
                index: 4,
                term: 1,
                data: DATA.to_vec(),
            },
            send(1, chunk_reply(3, 4, 8, true)),
        ]
    );
    assert_eq!(
        probe.take(),
        vec![
            staged(b"OT"),
            Call::StageInstall(SnapshotStage::FromLeader, 4, 1),
            Call::Sync,
        ]
    );
    assert_eq!((follower.commit_index(), follower.last_applied()), (4, 4));
}

// Under `with_restore_from_log` the installed snapshot is announced by
// index, term and length, and the application reads the data from the
// log: it is never in an action.
#[test]
fn with_restore_from_log_an_installed_snapshot_is_announced_by_reference() {
    let (mut follower, _probe) = staging_follower(cfg(3, &[1, 2, 3]).with_restore_from_log(true));
    follower.step(msg(chunk(4, DATA, 0, 5))).unwrap();
    assert_eq!(
        follower.step(msg(chunk(4, DATA, 5, 3))).unwrap(),
        vec![
            Action::RestoreSnapshotFromLog {
                index: 4,
                term: 1,
                len: 8,
            },
            send(1, chunk_reply(3, 4, 8, true)),
        ]
    );
    let mut data = Vec::new();
    follower.snapshot_reader().read_to_end(&mut data).unwrap();
    assert_eq!(data, DATA);
}

// A whole InstallSnapshot (raft-io 1.0 peers) under `with_restore_from_log`
// is announced the same way, so the application handles one action.
#[test]
fn with_restore_from_log_a_whole_snapshot_is_announced_by_reference_too() {
    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]).with_restore_from_log(true));
    let snapshot = Snapshot::with_config(4, 1, vec![1, 2, 3], b"S".to_vec());
    assert_eq!(
        follower.step(msg(install(1, 1, snapshot))).unwrap()[0],
        Action::RestoreSnapshotFromLog {
            index: 4,
            term: 1,
            len: 1,
        }
    );
}

// A chunk that starts a newer snapshot restages from its first byte: the
// partial older one is dropped with it.
#[test]
fn the_start_of_a_newer_snapshot_restages_from_its_first_byte() {
    let (mut follower, probe) = staging_follower(cfg(3, &[1, 2, 3]));
    follower.step(msg(chunk(4, DATA, 0, 2))).unwrap();
    follower.step(msg(chunk(6, b"NEWER", 0, 2))).unwrap();
    assert_eq!(
        probe.take(),
        vec![
            Call::StageBegin(SnapshotStage::FromLeader),
            staged(b"SN"),
            Call::StageBegin(SnapshotStage::FromLeader),
            staged(b"NE"),
        ]
    );
}

// A chunk of a snapshot the follower's commit index already covers has
// nothing to install: the partial one's staged bytes are dropped.
#[test]
fn a_snapshot_overtaken_by_the_commit_index_is_discarded() {
    let (mut follower, probe) = staging_follower(cfg(3, &[1, 2, 3]));
    follower.step(msg(chunk(4, DATA, 0, 2))).unwrap();
    let entries = vec![entry(1, 2, b"b"), entry(1, 3, b"c"), entry(1, 4, b"d")];
    follower.step(msg(ae(1, 1, (1, 1), entries, 4))).unwrap();
    probe.take();
    assert_eq!(
        follower.step(msg(chunk(4, DATA, 2, 2))).unwrap(),
        vec![send(1, chunk_reply(3, 4, 8, true))]
    );
    assert_eq!(
        probe.take(),
        vec![Call::StageDiscard(SnapshotStage::FromLeader)]
    );
}

/// A leader of {1, 2, 3} that applied entries 1 (its no-op) to 4, over a
/// staging `RecordingLog`; the calls so far are taken.
fn applied_leader() -> (RaftNode<RecordingLog>, LogProbe) {
    let (mut leader, probe) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    probe.stage_snapshots(true);
    elect_and_settle(&mut leader);
    leader.step_many(proposals(&[b"a", b"b", b"c"])).unwrap();
    leader.step(msg(ae_ok(1, 2, 4))).unwrap();
    assert_eq!(leader.last_applied(), 4);
    probe.take();
    (leader, probe)
}

fn piece(index: u64, offset: u64, data: &[u8], done: bool) -> Event {
    Event::SnapshotPiece {
        index,
        offset,
        data: data.to_vec(),
        done,
    }
}

// Raft §7: the application's snapshot replaces the applied prefix of the
// log. Written in pieces, it is staged piece by piece and replaces the
// prefix only when the last piece arrives, as one whole `Event::Snapshot`
// would; other events may come between the pieces.
#[test]
fn the_applications_snapshot_in_pieces_compacts_the_log_at_its_last_piece() {
    let (mut leader, probe) = applied_leader();
    assert_eq!(leader.step(piece(3, 0, b"ab", false)).unwrap(), vec![]);
    leader.step(Event::Tick).unwrap();
    assert_eq!(leader.step(piece(3, 2, b"c", false)).unwrap(), vec![]);
    assert_eq!(leader.log().snapshot_index(), 0);
    assert_eq!(leader.step(piece(3, 3, b"d", true)).unwrap(), vec![]);
    let app = SnapshotStage::FromApplication;
    assert_eq!(
        probe.take(),
        vec![
            Call::StageBegin(app),
            Call::StageWrite(app, b"ab".to_vec()),
            Call::StageWrite(app, b"c".to_vec()),
            Call::StageWrite(app, b"d".to_vec()),
            Call::StageInstall(app, 3, 1),
            Call::Sync,
        ]
    );
    assert_eq!(leader.log().snapshot_index(), 3);
    assert_eq!(leader.log().last_index(), 4, "the entry after it is kept");
    assert_eq!(leader.log().snapshot().unwrap().data, b"abcd");
}

// A piece at offset 0 starts a new snapshot, for any index: the earlier
// pieces are not part of it.
#[test]
fn a_piece_at_offset_zero_starts_the_applications_snapshot_over() {
    let (mut leader, _probe) = applied_leader();
    leader.step(piece(2, 0, b"old", false)).unwrap();
    leader.step(piece(4, 0, b"new", false)).unwrap();
    leader.step(piece(4, 3, b"er", true)).unwrap();
    let stored = leader.log().snapshot().unwrap();
    assert_eq!((stored.index, stored.data), (4, b"newer".to_vec()));
}

// A lost, repeated or misplaced piece would store a damaged snapshot that
// a follower could later restore: every piece but the first must continue
// the snapshot being written exactly where the last piece ended, else it
// is refused and nothing is written or stored.
#[test]
fn a_piece_that_does_not_continue_the_snapshot_is_refused() {
    let (mut leader, probe) = applied_leader();
    leader.step(piece(3, 0, b"ab", false)).unwrap();
    probe.take();
    for bad in [
        piece(3, 1, b"x", true),  // overlaps
        piece(3, 5, b"x", true),  // a gap: a piece was lost
        piece(4, 2, b"x", true),  // another snapshot's continuation
        piece(2, 2, b"x", false), // likewise
    ] {
        let error = leader.step(bad).unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    }
    assert_eq!(probe.take(), vec![]);
    assert_eq!(leader.log().snapshot_index(), 0);
    leader.step(piece(3, 2, b"c", true)).unwrap();
    assert_eq!(leader.log().snapshot().unwrap().data, b"abc");
}

// Compaction covers applied entries only, whichever way the snapshot comes.
#[test]
fn a_piece_beyond_the_applied_index_is_refused() {
    let (mut leader, probe) = applied_leader();
    let error = leader.step(piece(5, 0, b"x", true)).unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    assert_eq!(probe.take(), vec![]);
    assert_eq!(leader.step(Event::Tick).map(drop), Ok(()), "still usable");
}

// A log that cannot stage refuses pieces as a caller error, naming the
// alternative, and the node carries on.
#[test]
fn a_log_that_does_not_stage_refuses_snapshot_pieces() {
    let (mut leader, probe) = recorded_node(cfg(1, &[1, 2, 3]), MemoryLog::new());
    elect_and_settle(&mut leader);
    probe.take();
    let error = leader.step(piece(1, 0, b"x", true)).unwrap_err();
    assert!(error.to_string().contains("Event::Snapshot"), "{error}");
    assert_eq!(probe.take(), vec![]);
    assert!(leader.step(Event::Propose(b"a".to_vec())).is_ok());
}

// A snapshot from the leader that lands while the application is still
// writing an older one wins: the application's is dropped at its next
// piece, never stored over the newer one.
#[test]
fn a_leaders_snapshot_that_overtakes_the_applications_wins() {
    let (mut follower, probe) = staging_follower(cfg(3, &[1, 2, 3]));
    follower.step(piece(1, 0, b"mine", false)).unwrap();
    let snapshot = Snapshot::with_config(5, 1, vec![1, 2, 3], b"leader's".to_vec());
    follower.step(msg(install(1, 1, snapshot))).unwrap();
    probe.take();
    follower.step(piece(1, 4, b"!", true)).unwrap();
    assert_eq!(
        probe.take(),
        vec![Call::StageDiscard(SnapshotStage::FromApplication)]
    );
    let stored = follower.log().snapshot().unwrap();
    assert_eq!((stored.index, stored.data), (5, b"leader's".to_vec()));
}

// An announced-by-reference restore reads the snapshot the log holds when
// the application gets the action: until the node has handed the action
// out, it must not store another snapshot over it. Two whole snapshots in
// one `step_many`: the second is not installed (the reply says what we
// hold, so the leader sends it again), and the restore reads the first.
#[test]
fn no_snapshot_replaces_one_whose_restore_was_not_handed_out_yet() {
    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]).with_restore_from_log(true));
    let first = Snapshot::with_config(4, 1, vec![1, 2, 3], b"first".to_vec());
    let second = Snapshot::with_config(6, 1, vec![1, 2, 3], b"second".to_vec());
    let actions = follower
        .step_many([msg(install(1, 1, first)), msg(install(1, 1, second))])
        .unwrap();
    assert_eq!(
        actions,
        vec![
            Action::RestoreSnapshotFromLog {
                index: 4,
                term: 1,
                len: 5
            },
            send(1, crate::snapshot::install_reply(1, 3, 4)),
            send(1, crate::snapshot::install_reply(1, 3, 4)),
        ]
    );
    let mut data = Vec::new();
    follower.snapshot_reader().read_to_end(&mut data).unwrap();
    assert_eq!(data, b"first");
    // Once handed out, the next one installs.
    let second = Snapshot::with_config(6, 1, vec![1, 2, 3], b"second".to_vec());
    assert_eq!(
        follower.step(msg(install(1, 1, second))).unwrap()[0],
        Action::RestoreSnapshotFromLog {
            index: 6,
            term: 1,
            len: 6
        }
    );
}

// The same for a streamed snapshot: the chunk that would complete a newer
// snapshot in the same batch is left out (answered with what is held), so
// the leader resends it after the first restore was handed out.
#[test]
fn the_last_chunk_of_a_newer_snapshot_waits_for_the_pending_restore() {
    let mut follower = RaftNode::new(cfg(3, &[1, 2, 3]).with_restore_from_log(true));
    let actions = follower
        .step_many([
            msg(chunk(4, DATA, 0, 8)),
            msg(chunk(6, b"NEWER", 0, 3)),
            msg(chunk(6, b"NEWER", 3, 2)),
        ])
        .unwrap();
    assert_eq!(
        actions,
        vec![
            Action::RestoreSnapshotFromLog {
                index: 4,
                term: 1,
                len: 8
            },
            send(1, chunk_reply(3, 4, 8, true)),
            send(1, chunk_reply(3, 6, 3, false)),
            send(1, chunk_reply(3, 6, 3, false)),
        ]
    );
    assert_eq!(follower.log().snapshot_index(), 4);
    assert_eq!(
        follower.step(msg(chunk(6, b"NEWER", 3, 2))).unwrap()[1],
        send(1, chunk_reply(3, 6, 5, true))
    );
    assert_eq!(follower.log().snapshot_index(), 6);
}
