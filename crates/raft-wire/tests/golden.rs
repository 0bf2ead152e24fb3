//! Golden vectors: the exact bytes of one message of every kind, pinned as
//! insta snapshots. A diff here is a wire-format change: bump
//! `FORMAT_VERSION` and update `FORMAT.md` in the same commit.

// Helpers outside `#[test]` fns assert by unwrapping too.
#![allow(clippy::unwrap_used, clippy::panic)]

use raft_core::{
    AppendEntries, AppendEntriesReply, InstallSnapshot, InstallSnapshotReply, LogEntry, Message,
    PreVote, PreVoteReply, ReadProbe, ReadProbeReply, RequestVote, RequestVoteReply, Snapshot,
    SnapshotChunk, SnapshotChunkReply, TimeoutNow,
};

/// Space-separated lowercase hex, so a one-byte change is one token of diff.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Encode, check the round trip, and pin the bytes.
fn pin(name: &str, message: Message) {
    let bytes = raft_wire::encode(&message).unwrap();
    assert_eq!(raft_wire::decode(&bytes).unwrap(), message, "{name}");
    insta::assert_snapshot!(name, hex(&bytes));
}

// Values are chosen so varints of one, two and many bytes all appear.

#[test]
fn pre_vote() {
    pin(
        "pre_vote",
        Message::PreVote(PreVote {
            term: 5,
            candidate: 2,
            last_log_index: 300,
            last_log_term: 4,
        }),
    );
}

#[test]
fn pre_vote_reply() {
    pin(
        "pre_vote_reply",
        Message::PreVoteReply(PreVoteReply {
            term: 5,
            vote_granted: true,
            from: 3,
        }),
    );
}

#[test]
fn request_vote() {
    pin(
        "request_vote",
        Message::RequestVote(RequestVote {
            term: 6,
            candidate: 2,
            last_log_index: 300,
            last_log_term: 4,
            force: true,
        }),
    );
}

#[test]
fn request_vote_reply() {
    pin(
        "request_vote_reply",
        Message::RequestVoteReply(RequestVoteReply {
            term: 6,
            vote_granted: false,
            from: 3,
        }),
    );
}

#[test]
fn append_entries() {
    pin(
        "append_entries",
        Message::AppendEntries(AppendEntries {
            term: 7,
            leader: 1,
            prev_log_index: 128,
            prev_log_term: 6,
            entries: vec![
                LogEntry::new(7, 129, b"set x 1".to_vec()),
                LogEntry::config_with_learners(7, 130, &[1, 2, 3], &[4]),
                LogEntry::new(7, 131, Vec::new()),
            ],
            leader_commit: 127,
        }),
    );
}

#[test]
fn append_entries_heartbeat() {
    pin(
        "append_entries_heartbeat",
        Message::AppendEntries(AppendEntries {
            term: 7,
            leader: 1,
            prev_log_index: 131,
            prev_log_term: 7,
            entries: Vec::new(),
            leader_commit: 131,
        }),
    );
}

#[test]
fn append_entries_reply() {
    pin(
        "append_entries_reply",
        Message::AppendEntriesReply(AppendEntriesReply {
            term: 7,
            success: false,
            from: 2,
            match_index: 0,
            conflict_index: 100,
            conflict_term: 5,
        }),
    );
}

#[test]
fn install_snapshot() {
    pin(
        "install_snapshot",
        Message::InstallSnapshot(InstallSnapshot {
            term: 8,
            leader: 1,
            snapshot: Snapshot::with_config(1000, 7, vec![1, 2, 3], b"state".to_vec()),
        }),
    );
}

#[test]
fn install_snapshot_reply() {
    pin(
        "install_snapshot_reply",
        Message::InstallSnapshotReply(InstallSnapshotReply {
            term: 8,
            from: 3,
            last_index: 1000,
        }),
    );
}

#[test]
fn timeout_now() {
    pin(
        "timeout_now",
        Message::TimeoutNow(TimeoutNow { term: 9, leader: 1 }),
    );
}

#[test]
fn read_probe() {
    pin(
        "read_probe",
        Message::ReadProbe(ReadProbe {
            term: 9,
            leader: 1,
            seq: u64::MAX,
        }),
    );
}

#[test]
fn read_probe_reply() {
    pin(
        "read_probe_reply",
        Message::ReadProbeReply(ReadProbeReply {
            term: 9,
            from: 2,
            seq: u64::MAX,
        }),
    );
}

#[test]
fn snapshot_chunk() {
    pin(
        "snapshot_chunk",
        Message::SnapshotChunk(Box::new(SnapshotChunk {
            term: 7,
            leader: 1,
            index: 300,
            snapshot_term: 6,
            voters: vec![2, 3, 4],
            learners: vec![9],
            outgoing: vec![1, 2, 3],
            total_len: 1_000_000,
            offset: 65_536,
            data: b"chunk".to_vec(),
        })),
    );
}

#[test]
fn snapshot_chunk_reply() {
    pin(
        "snapshot_chunk_reply",
        Message::SnapshotChunkReply(SnapshotChunkReply {
            term: 7,
            from: 3,
            index: 300,
            next_offset: 70_000,
            installed: false,
        }),
    );
}
