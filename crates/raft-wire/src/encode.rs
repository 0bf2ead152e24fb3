//! Message → frame bytes. Fields go out in declaration order, through
//! pack-io's primitive encodings (see `FORMAT.md`).

use pack_io::{Encoder, Serialize};
use raft_core::{EntryKind, Error, Index, Message, NodeId, Result, Snapshot, Term};

use crate::frame::{FORMAT_VERSION, tag_of};

/// Encode `message` as one frame: version byte, tag byte, body.
///
/// ```
/// use raft_core::{Message, ReadProbe};
/// let message = Message::ReadProbe(ReadProbe { term: 3, leader: 1, seq: 300 });
/// let bytes = raft_wire::encode(&message).unwrap();
/// // version 1, tag 10, then term, leader and seq as LEB128 varints.
/// assert_eq!(bytes, [1, 10, 3, 1, 0xac, 0x02]);
/// assert_eq!(raft_wire::decode(&bytes).unwrap(), message);
/// ```
///
/// # Errors
///
/// `Error::Encoding` only for a message kind this crate does not know yet
/// (`Message` is `#[non_exhaustive]`).
pub fn encode(message: &Message) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size_hint(message));
    encode_into(message, &mut out)?;
    Ok(out)
}

/// Append the frame for `message` to `out`, reusing its allocation.
///
/// Bytes already in `out` are kept, so a caller can put its own prefix (a
/// stream length, say) in front; `clear` the buffer first to reuse it for
/// one frame at a time. On error `out` holds what it held before the call.
///
/// ```
/// use raft_core::{Message, TimeoutNow};
/// let mut buf = Vec::new();
/// for term in 1..=3 {
///     buf.clear();
///     raft_wire::encode_into(&Message::TimeoutNow(TimeoutNow { term, leader: 7 }), &mut buf).unwrap();
///     assert_eq!(buf, [1, 9, term as u8, 7]);
/// }
/// ```
///
/// # Errors
///
/// As [`encode`].
pub fn encode_into(message: &Message, out: &mut Vec<u8>) -> Result<()> {
    let tag = tag_of(message)?;
    let start = out.len();
    // pack-io's in-memory sink owns its buffer: lend it ours and take it
    // back, so no bytes are copied and the allocation survives.
    let mut enc = Encoder::into_buffer(std::mem::take(out));
    let written = write_frame(&mut enc, tag, message);
    *out = enc.into_inner();
    if written.is_err() {
        out.truncate(start);
    }
    written.map_err(|e| Error::encoding(message.kind(), e))
}

fn write_frame(enc: &mut Encoder, tag: u8, message: &Message) -> pack_io::Result<()> {
    enc.write(&FORMAT_VERSION)?;
    enc.write(&tag)?;
    match message {
        Message::PreVote(m) => {
            enc.write(&m.term)?;
            enc.write(&m.candidate)?;
            enc.write(&m.last_log_index)?;
            enc.write(&m.last_log_term)
        }
        Message::PreVoteReply(m) => {
            enc.write(&m.term)?;
            enc.write(&m.vote_granted)?;
            enc.write(&m.from)
        }
        Message::RequestVote(m) => {
            enc.write(&m.term)?;
            enc.write(&m.candidate)?;
            enc.write(&m.last_log_index)?;
            enc.write(&m.last_log_term)?;
            enc.write(&m.force)
        }
        Message::RequestVoteReply(m) => {
            enc.write(&m.term)?;
            enc.write(&m.vote_granted)?;
            enc.write(&m.from)
        }
        Message::AppendEntries(m) => write_append(
            enc,
            (m.term, m.leader, m.prev_log_index, m.prev_log_term),
            m.entries
                .iter()
                .map(|e| ((e.term, e.index, e.kind), e.command.as_slice())),
            m.leader_commit,
        ),
        // The same frame as `AppendEntries`, written from the shared bytes
        // (no copy); the receiver decodes an `AppendEntries`.
        Message::AppendShared(m) => write_append(
            enc,
            (m.term, m.leader, m.prev_log_index, m.prev_log_term),
            m.entries
                .iter()
                .map(|e| ((e.term, e.index, e.kind), &e.command[..])),
            m.leader_commit,
        ),
        Message::AppendEntriesReply(m) => {
            enc.write(&m.term)?;
            enc.write(&m.success)?;
            enc.write(&m.from)?;
            enc.write(&m.match_index)?;
            enc.write(&m.conflict_index)?;
            enc.write(&m.conflict_term)
        }
        Message::InstallSnapshot(m) => {
            enc.write(&m.term)?;
            enc.write(&m.leader)?;
            write_snapshot(enc, &m.snapshot)
        }
        Message::InstallSnapshotReply(m) => {
            enc.write(&m.term)?;
            enc.write(&m.from)?;
            enc.write(&m.last_index)
        }
        Message::TimeoutNow(m) => {
            enc.write(&m.term)?;
            enc.write(&m.leader)
        }
        Message::ReadProbe(m) => {
            enc.write(&m.term)?;
            enc.write(&m.leader)?;
            enc.write(&m.seq)
        }
        Message::ReadProbeReply(m) => {
            enc.write(&m.term)?;
            enc.write(&m.from)?;
            enc.write(&m.seq)
        }
        Message::SnapshotChunk(m) => {
            enc.write(&m.term)?;
            enc.write(&m.leader)?;
            enc.write(&m.index)?;
            enc.write(&m.snapshot_term)?;
            m.voters.serialize(enc)?;
            m.learners.serialize(enc)?;
            m.outgoing.serialize(enc)?;
            enc.write(&m.total_len)?;
            enc.write(&m.offset)?;
            m.data.serialize(enc)
        }
        Message::SnapshotChunkReply(m) => {
            enc.write(&m.term)?;
            enc.write(&m.from)?;
            enc.write(&m.index)?;
            enc.write(&m.next_offset)?;
            enc.write(&m.installed)
        }
        // `tag_of` already refused every kind not listed above.
        _ => Err(pack_io::SerialError::custom("message kind has no wire tag")),
    }
}

/// The byte that stands for an entry's kind; see `decode::entry_kind`.
pub(crate) fn entry_kind_byte(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::Normal => 0,
        EntryKind::Config => 1,
    }
}

/// An append's fields in frame order; `entries` are (term, index, kind)
/// and command, owned or shared alike (a byte slice encodes as a
/// `Vec<u8>`).
fn write_append<'a>(
    enc: &mut Encoder,
    (term, leader, prev_log_index, prev_log_term): (Term, NodeId, Index, Term),
    entries: impl ExactSizeIterator<Item = ((Term, Index, EntryKind), &'a [u8])>,
    leader_commit: Index,
) -> pack_io::Result<()> {
    enc.write(&term)?;
    enc.write(&leader)?;
    enc.write(&prev_log_index)?;
    enc.write(&prev_log_term)?;
    enc.write(&(entries.len() as u64))?;
    for ((term, index, kind), command) in entries {
        enc.write(&term)?;
        enc.write(&index)?;
        enc.write(&entry_kind_byte(kind))?;
        command.serialize(enc)?;
    }
    enc.write(&leader_commit)
}

fn write_snapshot(enc: &mut Encoder, snapshot: &Snapshot) -> pack_io::Result<()> {
    enc.write(&snapshot.index)?;
    enc.write(&snapshot.term)?;
    snapshot.config.serialize(enc)?;
    snapshot.data.serialize(enc)
}

/// An upper bound on the frame size, so `encode` allocates once. Every
/// varint is at most 10 bytes; overshooting a little beats regrowing.
const SCALARS: usize = 64;

fn entries_hint(command_lens: impl Iterator<Item = usize>) -> usize {
    command_lens.fold(SCALARS, |acc, len| {
        acc.saturating_add(len.saturating_add(31))
    })
}

fn size_hint(message: &Message) -> usize {
    match message {
        Message::AppendEntries(m) => entries_hint(m.entries.iter().map(|e| e.command.len())),
        Message::AppendShared(m) => entries_hint(m.entries.iter().map(|e| e.command.len())),
        Message::InstallSnapshot(m) => SCALARS
            .saturating_add(m.snapshot.data.len())
            .saturating_add(m.snapshot.config.len().saturating_mul(10)),
        Message::SnapshotChunk(m) => SCALARS.saturating_add(m.data.len()).saturating_add(
            (m.voters.len() + m.learners.len() + m.outgoing.len()).saturating_mul(10),
        ),
        _ => SCALARS,
    }
}
