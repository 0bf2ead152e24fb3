//! A snapshot file keeps the whole configuration recorded with the
//! snapshot (thesis 5.1: the snapshot carries the latest configuration):
//! learners and, while joint, the outgoing voters, each whether or not the
//! other is there; and a file with neither holds just the voters
//! (`docs/PROTOCOL.md` §10, "Snapshot file").

// Tests assert by unwrapping; helper functions outside `#[test]` need the
// allowance spelled out (clippy.toml covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use raft_core::{LogEntry, Membership, RaftLog, Snapshot};
use raft_log_wal::WalLog;

/// Installs a snapshot at index 3 with `membership`, reopens the log and
/// returns the configuration it read back from the snapshot file.
fn stored_and_read_back(dir: &Path, membership: &Membership) -> Option<Membership> {
    let mut wal = WalLog::open(dir).unwrap();
    let batch: Vec<_> = (1..=5).map(|i| LogEntry::new(2, i, vec![1; 10])).collect();
    wal.append(&batch).unwrap();
    let snapshot = Snapshot::with_config(3, 2, membership.voters().to_vec(), b"state".to_vec());
    wal.apply_snapshot_with_membership(&snapshot, membership)
        .unwrap();
    drop(wal);
    WalLog::open(dir).unwrap().snapshot_membership()
}

fn snapshot_file(dir: &Path) -> Vec<u8> {
    let name = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("snapshot-"))
        .unwrap();
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn learners_are_kept_without_a_joint_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let learners = Membership::with_learners([1, 2, 3], [7, 8]);
    assert_eq!(stored_and_read_back(dir.path(), &learners), Some(learners));
}

#[test]
fn the_outgoing_voters_are_kept_without_learners() {
    let dir = tempfile::tempdir().unwrap();
    let joint = Membership::new([1, 2, 3])
        .enter_joint([2, 3, 4], [])
        .unwrap();
    assert!(joint.is_joint() && joint.learners().is_empty());
    assert_eq!(stored_and_read_back(dir.path(), &joint), Some(joint));
}

#[test]
fn a_snapshot_with_voters_only_keeps_exactly_its_voters() {
    // Version 2 (`docs/PROTOCOL.md` §10): the data in one block with its
    // CRC, then the footer, which ends with the magic.
    let dir = tempfile::tempdir().unwrap();
    let voters = Membership::new([1, 2, 3]);
    assert_eq!(stored_and_read_back(dir.path(), &voters), Some(voters));
    let file = snapshot_file(dir.path());
    let data = b"state";
    assert!(file.starts_with(data));
    assert!(file.ends_with(b"RAFTSNP2"));
    // Footer body: version, tag, index, term, length, block size, three
    // lists (3 voters, none outgoing, no learners); then its length, CRC, magic.
    let footer = 2 + 8 + 8 + 8 + 4 + (4 + 3 * 8) + 4 + 4;
    assert_eq!(file.len(), data.len() + 4 + footer + 4 + 4 + 8);
}
