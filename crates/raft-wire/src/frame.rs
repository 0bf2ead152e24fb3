//! The frame header: the format version byte and the message tag byte.

use raft_core::{Error, Message, Result};

/// The wire format version this crate writes and the only one it reads.
///
/// Bumped whenever the bytes of any existing message change; `0` is never
/// used, so an all-zero buffer can never pass as a frame.
///
/// ```
/// use raft_core::{Message, TimeoutNow};
/// let bytes = raft_wire::encode(&Message::TimeoutNow(TimeoutNow { term: 1, leader: 2 })).unwrap();
/// assert_eq!(bytes[0], raft_wire::FORMAT_VERSION);
/// ```
pub const FORMAT_VERSION: u8 = 1;

/// Bytes every frame starts with: the version byte and the tag byte.
///
/// ```
/// use raft_core::{Message, TimeoutNow};
/// let bytes = raft_wire::encode(&Message::TimeoutNow(TimeoutNow { term: 0, leader: 0 })).unwrap();
/// // Header plus two one-byte varints.
/// assert_eq!(bytes.len(), raft_wire::HEADER_LEN + 2);
/// ```
pub const HEADER_LEN: usize = 2;

/// Tag bytes, one per message kind. Pinned by hand rather than derived from
/// declaration order, so reordering `Message` can never change the wire.
/// `0` is reserved for the same reason as version `0`.
pub(crate) mod tag {
    pub(crate) const PRE_VOTE: u8 = 1;
    pub(crate) const PRE_VOTE_REPLY: u8 = 2;
    pub(crate) const REQUEST_VOTE: u8 = 3;
    pub(crate) const REQUEST_VOTE_REPLY: u8 = 4;
    pub(crate) const APPEND_ENTRIES: u8 = 5;
    pub(crate) const APPEND_ENTRIES_REPLY: u8 = 6;
    pub(crate) const INSTALL_SNAPSHOT: u8 = 7;
    pub(crate) const INSTALL_SNAPSHOT_REPLY: u8 = 8;
    pub(crate) const TIMEOUT_NOW: u8 = 9;
    pub(crate) const READ_PROBE: u8 = 10;
    pub(crate) const READ_PROBE_REPLY: u8 = 11;
    pub(crate) const SNAPSHOT_CHUNK: u8 = 12;
    pub(crate) const SNAPSHOT_CHUNK_REPLY: u8 = 13;
}

/// The tag byte `message` is written with.
///
/// `Message` is `#[non_exhaustive]`: a kind added to `raft-core` before
/// this crate learns it is refused with `Error::Encoding`, not mis-tagged.
pub(crate) fn tag_of(message: &Message) -> Result<u8> {
    Ok(match message {
        Message::PreVote(_) => tag::PRE_VOTE,
        Message::PreVoteReply(_) => tag::PRE_VOTE_REPLY,
        Message::RequestVote(_) => tag::REQUEST_VOTE,
        Message::RequestVoteReply(_) => tag::REQUEST_VOTE_REPLY,
        Message::AppendEntries(_) | Message::AppendShared(_) => tag::APPEND_ENTRIES,
        Message::AppendEntriesReply(_) => tag::APPEND_ENTRIES_REPLY,
        Message::InstallSnapshot(_) => tag::INSTALL_SNAPSHOT,
        Message::InstallSnapshotReply(_) => tag::INSTALL_SNAPSHOT_REPLY,
        Message::TimeoutNow(_) => tag::TIMEOUT_NOW,
        Message::ReadProbe(_) => tag::READ_PROBE,
        Message::ReadProbeReply(_) => tag::READ_PROBE_REPLY,
        Message::SnapshotChunk(_) => tag::SNAPSHOT_CHUNK,
        Message::SnapshotChunkReply(_) => tag::SNAPSHOT_CHUNK_REPLY,
        other => {
            return Err(Error::encoding(
                "frame header",
                format_args!("message kind {} has no wire tag", other.kind()),
            ));
        }
    })
}
