//! Property tests: every message round-trips, and no byte string — random,
//! truncated or bit-flipped — makes `decode` panic.

// Helpers outside `#[test]` fns assert by unwrapping too.
#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;
use raft_core::{
    AppendEntries, AppendEntriesReply, EntryKind, InstallSnapshot, InstallSnapshotReply, LogEntry,
    Message, PreVote, PreVoteReply, ReadProbe, ReadProbeReply, RequestVote, RequestVoteReply,
    Snapshot, TimeoutNow,
};

/// Small values give one-byte varints, `any` gives long ones; both matter.
fn num() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..200, any::<u64>()]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn entry() -> impl Strategy<Value = LogEntry> {
    (num(), num(), any::<bool>(), bytes(24)).prop_map(|(term, index, config, command)| LogEntry {
        term,
        index,
        kind: if config {
            EntryKind::Config
        } else {
            EntryKind::Normal
        },
        command,
    })
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (num(), num(), num(), num()).prop_map(
            |(term, candidate, last_log_index, last_log_term)| {
                Message::PreVote(PreVote {
                    term,
                    candidate,
                    last_log_index,
                    last_log_term,
                })
            }
        ),
        (num(), any::<bool>(), num()).prop_map(|(term, vote_granted, from)| {
            Message::PreVoteReply(PreVoteReply {
                term,
                vote_granted,
                from,
            })
        }),
        (num(), num(), num(), num(), any::<bool>()).prop_map(
            |(term, candidate, last_log_index, last_log_term, force)| {
                Message::RequestVote(RequestVote {
                    term,
                    candidate,
                    last_log_index,
                    last_log_term,
                    force,
                })
            }
        ),
        (num(), any::<bool>(), num()).prop_map(|(term, vote_granted, from)| {
            Message::RequestVoteReply(RequestVoteReply {
                term,
                vote_granted,
                from,
            })
        }),
        (
            num(),
            num(),
            num(),
            num(),
            prop::collection::vec(entry(), 0..5),
            num()
        )
            .prop_map(
                |(term, leader, prev_log_index, prev_log_term, entries, leader_commit)| {
                    Message::AppendEntries(AppendEntries {
                        term,
                        leader,
                        prev_log_index,
                        prev_log_term,
                        entries,
                        leader_commit,
                    })
                }
            ),
        (num(), any::<bool>(), num(), num(), num(), num()).prop_map(
            |(term, success, from, match_index, conflict_index, conflict_term)| {
                Message::AppendEntriesReply(AppendEntriesReply {
                    term,
                    success,
                    from,
                    match_index,
                    conflict_index,
                    conflict_term,
                })
            }
        ),
        (
            num(),
            num(),
            num(),
            num(),
            prop::collection::vec(num(), 0..6),
            bytes(48)
        )
            .prop_map(|(term, leader, index, snap_term, config, data)| {
                Message::InstallSnapshot(InstallSnapshot {
                    term,
                    leader,
                    snapshot: Snapshot::with_config(index, snap_term, config, data),
                })
            }),
        (num(), num(), num()).prop_map(|(term, from, last_index)| {
            Message::InstallSnapshotReply(InstallSnapshotReply {
                term,
                from,
                last_index,
            })
        }),
        (num(), num()).prop_map(|(term, leader)| Message::TimeoutNow(TimeoutNow { term, leader })),
        (num(), num(), num()).prop_map(|(term, leader, seq)| Message::ReadProbe(ReadProbe {
            term,
            leader,
            seq
        })),
        (num(), num(), num()).prop_map(|(term, from, seq)| Message::ReadProbeReply(
            ReadProbeReply { term, from, seq }
        )),
    ]
}

/// Whatever `decode` accepts, it accepts as the exact encoding of the
/// message it returns (decoding is canonical, so re-encoding is identity).
fn check_total(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(message) = raft_wire::decode(bytes) {
        prop_assert_eq!(raft_wire::encode(&message).unwrap(), bytes);
    }
    Ok(())
}

proptest! {
    #[test]
    fn every_message_round_trips(message in message()) {
        let bytes = raft_wire::encode(&message).unwrap();
        prop_assert_eq!(raft_wire::decode(&bytes).unwrap(), message.clone());

        // encode_into appends after a prefix and matches encode.
        let mut buf = vec![0xaa];
        raft_wire::encode_into(&message, &mut buf).unwrap();
        prop_assert_eq!(&buf[1..], &bytes[..]);

        // And the stream framing carries it unchanged.
        let mut wire = Vec::new();
        raft_wire::encode_length_prefixed(&message, &mut wire, u32::MAX).unwrap();
        let mut frame = Vec::new();
        prop_assert!(raft_wire::read_frame(wire.as_slice(), &mut frame, u32::MAX).unwrap());
        prop_assert_eq!(frame, bytes);
    }

    #[test]
    fn a_shared_append_is_the_same_frame_as_its_owned_form(message in message()) {
        // Every AppendEntries, sent in its shared form, encodes to the very
        // same bytes and decodes to the owned form.
        if let Message::AppendEntries(owned) = &message {
            let shared = Message::AppendShared(raft_core::AppendShared {
                term: owned.term,
                leader: owned.leader,
                prev_log_index: owned.prev_log_index,
                prev_log_term: owned.prev_log_term,
                entries: owned.entries.iter().cloned().map(raft_core::SharedEntry::from).collect(),
                leader_commit: owned.leader_commit,
            });
            let bytes = raft_wire::encode(&shared).unwrap();
            prop_assert_eq!(&bytes, &raft_wire::encode(&message).unwrap());
            prop_assert_eq!(raft_wire::decode(&bytes).unwrap(), message.clone());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in bytes(64)) {
        check_total(&bytes)?;
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_never_panic(tag in 0u8..13, body in bytes(64)) {
        // Random bytes rarely start with a valid header; this reaches the
        // body decoders of every tag.
        let mut frame = vec![raft_wire::FORMAT_VERSION, tag];
        frame.extend_from_slice(&body);
        check_total(&frame)?;
    }

    #[test]
    fn truncations_are_rejected(message in message()) {
        let bytes = raft_wire::encode(&message).unwrap();
        for len in 0..bytes.len() {
            prop_assert!(raft_wire::decode(&bytes[..len]).is_err(), "prefix of {} bytes", len);
        }
    }

    #[test]
    fn bit_flips_never_panic(message in message()) {
        let mut bytes = raft_wire::encode(&message).unwrap();
        for bit in 0..bytes.len() * 8 {
            bytes[bit / 8] ^= 1 << (bit % 8);
            check_total(&bytes)?;
            bytes[bit / 8] ^= 1 << (bit % 8);
        }
    }
}
