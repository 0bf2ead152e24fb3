//! Hand-made hostile and malformed frames: each must be refused with a
//! clear `Error::Encoding`, before any allocation the input does not back.

// Helpers outside `#[test]` fns assert by unwrapping too.
#![allow(clippy::unwrap_used, clippy::panic)]

use raft_core::{Error, Message, TimeoutNow};

fn detail(bytes: &[u8]) -> String {
    match raft_wire::decode(bytes) {
        Err(Error::Encoding { context, detail }) => format!("{context}: {detail}"),
        other => panic!("expected an encoding error, got {other:?}"),
    }
}

#[test]
fn empty_and_short_frames_are_rejected() {
    assert!(detail(&[]).contains("shorter than its header"));
    assert!(detail(&[1]).contains("shorter than its header"));
}

#[test]
fn unknown_version_and_tag_are_named() {
    assert!(detail(&[0, 9, 1, 1]).contains("unsupported format version 0"));
    assert!(detail(&[2, 9, 1, 1]).contains("unsupported format version 2"));
    assert!(detail(&[1, 0]).contains("unknown message tag 0"));
    assert!(detail(&[1, 99]).contains("unknown message tag 99"));
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes =
        raft_wire::encode(&Message::TimeoutNow(TimeoutNow { term: 1, leader: 2 })).unwrap();
    bytes.push(0);
    assert!(detail(&bytes).contains("1 trailing bytes"));
}

#[test]
fn truncated_field_names_the_field() {
    assert!(detail(&[1, 9, 1]).contains("`leader`"));
}

#[test]
fn invalid_bool_and_entry_kind_are_rejected() {
    // PreVoteReply { term: 1, vote_granted: 2 (invalid), from: 1 }
    assert!(detail(&[1, 2, 1, 2, 1]).contains("`vote_granted`"));
    // AppendEntries with one entry of kind 7.
    let frame = [1, 5, 1, 1, 0, 0, 1, 1, 1, 7, 0, 0];
    assert!(detail(&frame).contains("unknown entry kind 7"));
}

#[test]
fn overlong_varints_are_rejected() {
    // TimeoutNow whose term `1` is written in two bytes instead of one.
    assert!(detail(&[1, 9, 0x81, 0x00, 2]).contains("`term`"));
}

#[test]
fn huge_entry_count_is_refused_before_allocating() {
    // AppendEntries claiming u64::MAX entries in a 16-byte frame.
    let mut frame = vec![1, 5, 1, 1, 0, 0];
    frame.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert!(detail(&frame).contains("entries declared"));
}

#[test]
fn huge_byte_length_is_refused_before_allocating() {
    // InstallSnapshot whose data claims 4 GiB: 10 bytes of frame.
    let frame = [1, 7, 1, 1, 1, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x10];
    assert!(detail(&frame).contains("`snapshot.data`"));
    // ... and whose config claims 2^32 ids.
    let frame = [1, 7, 1, 1, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0];
    assert!(detail(&frame).contains("`snapshot.config`"));
}

#[test]
fn stream_frames_split_across_reads_reassemble_and_truncations_fail() {
    use std::io::Read;

    /// Hands out at most 3 bytes per read, like a slow socket.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out.len().min(3).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    let message = Message::InstallSnapshot(raft_core::InstallSnapshot {
        term: 1,
        leader: 1,
        snapshot: raft_core::Snapshot::new(5, 1, vec![9; 40_000]),
    });
    let mut wire = Vec::new();
    raft_wire::encode_length_prefixed(&message, &mut wire, 1 << 20).unwrap();
    let mut buf = Vec::new();
    assert!(raft_wire::read_frame(Trickle(&wire), &mut buf, 1 << 20).unwrap());
    assert_eq!(raft_wire::decode(&buf).unwrap(), message);

    for cut in [1, 3, 4, 5, wire.len() - 1] {
        let err = raft_wire::read_frame(Trickle(&wire[..cut]), &mut buf, 1 << 20).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::UnexpectedEof,
            "cut at {cut}"
        );
    }
    // A frame over the limit is refused from its prefix.
    let err = raft_wire::read_frame(wire.as_slice(), &mut buf, 1000).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}
