//! Frame bytes → message. Total: every input gives a message or
//! `Error::Encoding`, and nothing is allocated that the input does not back.

use pack_io::{Config, Decoder, Deserialize};
use raft_core::{
    AppendEntries, AppendEntriesReply, EntryKind, Error, InstallSnapshot, InstallSnapshotReply,
    LogEntry, Message, PreVote, PreVoteReply, ReadProbe, ReadProbeReply, RequestVote,
    RequestVoteReply, Result, Snapshot, SnapshotChunk, SnapshotChunkReply, TimeoutNow,
};

use crate::frame::{FORMAT_VERSION, tag};

/// The fewest bytes one encoded `LogEntry` can take: a one-byte varint each
/// for term, index and command length, plus the kind byte.
const MIN_ENTRY_LEN: usize = 4;

/// Decode one frame produced by [`encode`](crate::encode).
///
/// The whole of `bytes` must be the frame: trailing bytes are an error, as
/// are an unknown version or tag, a truncated field, a bool other than
/// `0`/`1`, an unknown entry kind, and a varint longer than its shortest
/// form (so every accepted frame is the exact encoding of its message).
///
/// ```
/// use raft_core::{Message, PreVoteReply};
/// let message = Message::PreVoteReply(PreVoteReply { term: 2, vote_granted: true, from: 3 });
/// let bytes = raft_wire::encode(&message).unwrap();
/// assert_eq!(raft_wire::decode(&bytes).unwrap(), message);
///
/// // Garbage is an error, never a panic.
/// let err = raft_wire::decode(&[1, 200]).unwrap_err();
/// assert!(err.to_string().contains("unknown message tag 200"));
/// assert!(raft_wire::decode(&[bytes.as_slice(), &[0]].concat()).is_err());
/// ```
///
/// # Errors
///
/// `Error::Encoding`, naming the message kind and the field that failed.
pub fn decode(bytes: &[u8]) -> Result<Message> {
    let (version, tag, body) = match bytes {
        [version, tag, body @ ..] => (*version, *tag, body),
        _ => {
            return Err(Error::encoding(
                "frame header",
                format_args!("frame is {} bytes, shorter than its header", bytes.len()),
            ));
        }
    };
    if version != FORMAT_VERSION {
        return Err(Error::encoding(
            "frame header",
            format_args!(
                "unsupported format version {version} (this build reads {FORMAT_VERSION})"
            ),
        ));
    }
    let message = match tag {
        tag::PRE_VOTE => {
            let mut r = Fields::new("PreVote", body)?;
            Message::PreVote(PreVote {
                term: r.u64("term")?,
                candidate: r.u64("candidate")?,
                last_log_index: r.u64("last_log_index")?,
                last_log_term: r.u64("last_log_term")?,
            })
            .finish(r)?
        }
        tag::PRE_VOTE_REPLY => {
            let mut r = Fields::new("PreVoteReply", body)?;
            Message::PreVoteReply(PreVoteReply {
                term: r.u64("term")?,
                vote_granted: r.bool("vote_granted")?,
                from: r.u64("from")?,
            })
            .finish(r)?
        }
        tag::REQUEST_VOTE => {
            let mut r = Fields::new("RequestVote", body)?;
            Message::RequestVote(RequestVote {
                term: r.u64("term")?,
                candidate: r.u64("candidate")?,
                last_log_index: r.u64("last_log_index")?,
                last_log_term: r.u64("last_log_term")?,
                force: r.bool("force")?,
            })
            .finish(r)?
        }
        tag::REQUEST_VOTE_REPLY => {
            let mut r = Fields::new("RequestVoteReply", body)?;
            Message::RequestVoteReply(RequestVoteReply {
                term: r.u64("term")?,
                vote_granted: r.bool("vote_granted")?,
                from: r.u64("from")?,
            })
            .finish(r)?
        }
        tag::APPEND_ENTRIES => {
            let mut r = Fields::new("AppendEntries", body)?;
            Message::AppendEntries(AppendEntries {
                term: r.u64("term")?,
                leader: r.u64("leader")?,
                prev_log_index: r.u64("prev_log_index")?,
                prev_log_term: r.u64("prev_log_term")?,
                entries: r.entries()?,
                leader_commit: r.u64("leader_commit")?,
            })
            .finish(r)?
        }
        tag::APPEND_ENTRIES_REPLY => {
            let mut r = Fields::new("AppendEntriesReply", body)?;
            Message::AppendEntriesReply(AppendEntriesReply {
                term: r.u64("term")?,
                success: r.bool("success")?,
                from: r.u64("from")?,
                match_index: r.u64("match_index")?,
                conflict_index: r.u64("conflict_index")?,
                conflict_term: r.u64("conflict_term")?,
            })
            .finish(r)?
        }
        tag::INSTALL_SNAPSHOT => {
            let mut r = Fields::new("InstallSnapshot", body)?;
            Message::InstallSnapshot(InstallSnapshot {
                term: r.u64("term")?,
                leader: r.u64("leader")?,
                snapshot: Snapshot {
                    index: r.u64("snapshot.index")?,
                    term: r.u64("snapshot.term")?,
                    config: r.read("snapshot.config")?,
                    data: r.read("snapshot.data")?,
                },
            })
            .finish(r)?
        }
        tag::SNAPSHOT_CHUNK => {
            let mut r = Fields::new("SnapshotChunk", body)?;
            Message::SnapshotChunk(Box::new(SnapshotChunk {
                term: r.u64("term")?,
                leader: r.u64("leader")?,
                index: r.u64("index")?,
                snapshot_term: r.u64("snapshot_term")?,
                voters: r.read("voters")?,
                learners: r.read("learners")?,
                outgoing: r.read("outgoing")?,
                total_len: r.u64("total_len")?,
                offset: r.u64("offset")?,
                data: r.read("data")?,
            }))
            .finish(r)?
        }
        tag::SNAPSHOT_CHUNK_REPLY => {
            let mut r = Fields::new("SnapshotChunkReply", body)?;
            Message::SnapshotChunkReply(SnapshotChunkReply {
                term: r.u64("term")?,
                from: r.u64("from")?,
                index: r.u64("index")?,
                next_offset: r.u64("next_offset")?,
                installed: r.bool("installed")?,
            })
            .finish(r)?
        }
        tag::INSTALL_SNAPSHOT_REPLY => {
            let mut r = Fields::new("InstallSnapshotReply", body)?;
            Message::InstallSnapshotReply(InstallSnapshotReply {
                term: r.u64("term")?,
                from: r.u64("from")?,
                last_index: r.u64("last_index")?,
            })
            .finish(r)?
        }
        tag::TIMEOUT_NOW => {
            let mut r = Fields::new("TimeoutNow", body)?;
            Message::TimeoutNow(TimeoutNow {
                term: r.u64("term")?,
                leader: r.u64("leader")?,
            })
            .finish(r)?
        }
        tag::READ_PROBE => {
            let mut r = Fields::new("ReadProbe", body)?;
            Message::ReadProbe(ReadProbe {
                term: r.u64("term")?,
                leader: r.u64("leader")?,
                seq: r.u64("seq")?,
            })
            .finish(r)?
        }
        tag::READ_PROBE_REPLY => {
            let mut r = Fields::new("ReadProbeReply", body)?;
            Message::ReadProbeReply(ReadProbeReply {
                term: r.u64("term")?,
                from: r.u64("from")?,
                seq: r.u64("seq")?,
            })
            .finish(r)?
        }
        unknown => {
            return Err(Error::encoding(
                "frame header",
                format_args!("unknown message tag {unknown}"),
            ));
        }
    };
    Ok(message)
}

/// Reads one message body field by field, naming the message and field in
/// every error so a bad frame can be diagnosed from the log line alone.
struct Fields<'a> {
    dec: Decoder<'a>,
    kind: &'static str,
}

impl<'a> Fields<'a> {
    fn new(kind: &'static str, body: &'a [u8]) -> Result<Self> {
        // Canonical mode rejects overlong varints, which makes decoding
        // injective: the bytes of an accepted frame are exactly
        // `encode(decode(bytes))`. `max_alloc` at the body length caps any
        // declared count by what the frame could possibly back.
        let config = Config::new()
            .with_canonical(true)
            .with_max_alloc(body.len().max(1));
        let dec = Decoder::with_config(body, config)
            .map_err(|e| Error::encoding(kind, format_args!("decoder setup: {e}")))?;
        Ok(Self { dec, kind })
    }

    fn read<T: Deserialize>(&mut self, field: &'static str) -> Result<T> {
        self.dec
            .read::<T>()
            .map_err(|e| Error::encoding(self.kind, format_args!("field `{field}`: {e}")))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64> {
        self.read(field)
    }

    fn bool(&mut self, field: &'static str) -> Result<bool> {
        self.read(field)
    }

    fn entries(&mut self) -> Result<Vec<LogEntry>> {
        let declared = self.u64("entries")?;
        // Refuse a count the remaining bytes cannot hold before reserving
        // anything: a 10-byte frame cannot claim a billion entries.
        let backed = (self.dec.remaining() / MIN_ENTRY_LEN) as u64;
        if declared > backed {
            return Err(Error::encoding(
                self.kind,
                format_args!(
                    "field `entries`: {declared} entries declared, but only {} bytes remain",
                    self.dec.remaining()
                ),
            ));
        }
        let count = usize::try_from(declared)
            .map_err(|e| Error::encoding(self.kind, format_args!("field `entries`: {e}")))?;
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            entries.push(LogEntry {
                term: self.u64("entries[].term")?,
                index: self.u64("entries[].index")?,
                kind: self.entry_kind()?,
                command: self.read("entries[].command")?,
            });
        }
        Ok(entries)
    }

    fn entry_kind(&mut self) -> Result<EntryKind> {
        match self.read::<u8>("entries[].kind")? {
            0 => Ok(EntryKind::Normal),
            1 => Ok(EntryKind::Config),
            other => Err(Error::encoding(
                self.kind,
                format_args!("field `entries[].kind`: unknown entry kind {other}"),
            )),
        }
    }
}

/// Lets each arm end with `.finish(r)`: the message is returned only when
/// the body was consumed exactly.
trait Finish: Sized {
    fn finish(self, fields: Fields<'_>) -> Result<Self>;
}

impl Finish for Message {
    fn finish(self, fields: Fields<'_>) -> Result<Self> {
        match fields.dec.remaining() {
            0 => Ok(self),
            extra => Err(Error::encoding(
                fields.kind,
                format_args!("{extra} trailing bytes after the last field"),
            )),
        }
    }
}
