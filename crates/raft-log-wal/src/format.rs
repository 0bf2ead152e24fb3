//! The versioned record format inside each wal-db record (see `FORMAT.md`).
//!
//! Every record body starts with a version byte and a tag; integers are
//! little-endian; every variable part carries an explicit length. Decoding is
//! total: each read is bounds-checked against the record, and nothing is
//! allocated beyond what the record itself holds.

use raft_core::{EntryKind, HardState, Index, LogEntry, Membership, NodeId, Snapshot, Term};

/// The record version this build writes: every record carries its sync
/// mark, every entry its command's checksum.
pub(crate) const VERSION: u8 = 2;
/// The first record version, still read (no sync mark, no checksums); a
/// compaction rewrites its entries as version 2.
pub(crate) const VERSION_1: u8 = 1;
/// The snapshot file's body version (unchanged by record version 2).
pub(crate) const SNAPSHOT_FILE_VERSION: u8 = 1;

/// A batch of entries appended together.
pub(crate) const TAG_ENTRIES: u8 = 1;
/// Remove every entry from an index on.
pub(crate) const TAG_TRUNCATE: u8 = 2;
/// The persisted term and vote.
pub(crate) const TAG_HARD_STATE: u8 = 3;
/// A snapshot was stored; apply its compaction rule.
pub(crate) const TAG_SNAPSHOT: u8 = 4;
/// A sync completed: its sync mark is the file length it made durable.
/// Written right after each `sync` (version 2), so the coverage of the last
/// sync is on file even when no record follows it. No payload.
pub(crate) const TAG_SYNCED: u8 = 5;
/// The body of a snapshot file (never found in the log file).
pub(crate) const TAG_SNAPSHOT_FILE: u8 = 16;

/// Bytes before a version-2 record's payload: version, tag, sync mark.
pub(crate) const RECORD_HEADER_LEN: usize = 2 + 8;
/// Bytes before the first entry of a version-2 `ENTRIES` record: the record
/// header, first index, count.
pub(crate) const ENTRIES_HEADER_LEN: usize = RECORD_HEADER_LEN + 8 + 4;
/// Bytes before each version-2 entry's command: term, kind, length,
/// checksum. The checksum is last, right before the command, so reading a
/// run of commands reads their checksums with them.
pub(crate) const ENTRY_HEADER_LEN: usize = 8 + 1 + 4 + CHECKSUM_LEN;
/// The CRC32C of an entry's index and command.
pub(crate) const CHECKSUM_LEN: usize = 4;
/// Version 1: no checksum.
const ENTRY_HEADER_LEN_V1: usize = 8 + 1 + 4;

/// Why a record could not be decoded. Static, so decode never allocates for
/// an error; the caller adds the file and the offset.
pub(crate) type DecodeError = &'static str;

/// One decoded log record, borrowing from the record bytes.
#[derive(Debug)]
pub(crate) enum Record<'a> {
    /// Entries `first..first + count`, still encoded.
    Entries(EntriesRecord<'a>),
    /// Remove every entry with index `>= from`.
    Truncate { from: Index },
    /// The new hard state.
    HardState(HardState),
    /// A snapshot through `index` (whose entry had `term`) was stored.
    Snapshot { index: Index, term: Term },
    /// A sync completed (its extent is the record's sync mark).
    Synced,
}

/// A record's sync mark: the length of `log.wal` the last completed sync
/// had made durable when the record was written. Every byte below it was
/// synced; `None` for a version-1 record, which does not say.
pub(crate) type SyncMark = Option<u64>;

/// An `ENTRIES` record, decoded lazily so recovery can index a batch without
/// copying its commands.
#[derive(Debug)]
pub(crate) struct EntriesRecord<'a> {
    /// Index of the first entry.
    pub(crate) first: Index,
    /// Number of entries.
    pub(crate) count: u32,
    /// Whether entries carry checksums (version 2).
    checked: bool,
    /// Offset of `body` within the record body.
    body_offset: usize,
    /// The encoded entries (everything after the record header).
    body: &'a [u8],
}

/// One entry of an `ENTRIES` record, located but not copied.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryRef {
    /// The entry's term.
    pub(crate) term: Term,
    /// Normal or config.
    pub(crate) kind: EntryKind,
    /// Offset of the command from the start of the record body.
    pub(crate) command_offset: usize,
    /// Length of the command.
    pub(crate) len: u32,
    /// Whether the `CHECKSUM_LEN` bytes before the command are its checksum.
    pub(crate) checked: bool,
}

impl EntriesRecord<'_> {
    /// Walks the entries in order, calling `visit` for each; fails if the
    /// batch is malformed or has trailing bytes.
    pub(crate) fn for_each(&self, mut visit: impl FnMut(EntryRef)) -> Result<(), DecodeError> {
        let mut reader = Reader::new(self.body);
        for _ in 0..self.count {
            let term = reader.u64()?;
            let kind = decode_kind(reader.u8()?)?;
            let len = reader.u32()?;
            if self.checked {
                reader.skip(CHECKSUM_LEN)?;
            }
            let command_offset = self.body_offset + reader.pos;
            reader.skip(len as usize)?;
            visit(EntryRef {
                term,
                kind,
                command_offset,
                len,
                checked: self.checked,
            });
        }
        reader.finish()
    }
}

/// The checksum stored before a version-2 command: CRC32C of the entry's
/// index (little-endian) then its command, so a command read from the wrong
/// place fails too.
pub(crate) fn command_checksum(index: Index, command: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&index.to_le_bytes()), command)
}

/// Decodes one log record and its sync mark. Total: any input gives a
/// record or an error.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Record<'_>, SyncMark), DecodeError> {
    let mut reader = Reader::new(bytes);
    let version = reader.u8()?;
    if version != VERSION && version != VERSION_1 {
        return Err("unknown record version");
    }
    let tag = reader.u8()?;
    let mark = match version {
        VERSION => Some(reader.u64()?),
        _ => None,
    };
    let record = match tag {
        TAG_ENTRIES => {
            let first = reader.u64()?;
            let count = reader.u32()?;
            if first == 0 || count == 0 {
                return Err("empty or zero-based entries record");
            }
            let checked = version == VERSION;
            let entry_header = if checked {
                ENTRY_HEADER_LEN
            } else {
                ENTRY_HEADER_LEN_V1
            };
            // Each entry needs at least its header, so a corrupt count cannot
            // promise more entries than the record has room for.
            let minimum = (count as usize).checked_mul(entry_header);
            if minimum.is_none_or(|needed| needed > reader.remaining()) {
                return Err("entry count exceeds the record length");
            }
            if first.checked_add(u64::from(count)).is_none() {
                return Err("entry index overflows");
            }
            let body_offset = reader.pos;
            let body = reader.rest();
            Record::Entries(EntriesRecord {
                first,
                count,
                checked,
                body_offset,
                body,
            })
        }
        TAG_TRUNCATE => Record::Truncate {
            from: reader.u64()?,
        },
        TAG_HARD_STATE => Record::HardState(decode_hard_state(&mut reader)?),
        TAG_SNAPSHOT => Record::Snapshot {
            index: reader.u64()?,
            term: reader.u64()?,
        },
        TAG_SYNCED if version == VERSION => Record::Synced,
        _ => return Err("unknown record tag"),
    };
    reader.finish()?;
    Ok((record, mark))
}

/// What the start of a record body says about syncs, if it looks like one
/// of ours (a known version and tag): `Some(mark)`. For recovery's scan past
/// damage, before it pays for a checksum.
pub(crate) fn peek_sync_mark(body: &[u8]) -> Option<SyncMark> {
    let (&version, &tag) = (body.first()?, body.get(1)?);
    if !matches!(
        tag,
        TAG_ENTRIES | TAG_TRUNCATE | TAG_HARD_STATE | TAG_SNAPSHOT | TAG_SYNCED
    ) {
        return None;
    }
    match version {
        VERSION => {
            let raw: [u8; 8] = body.get(2..RECORD_HEADER_LEN)?.try_into().ok()?;
            Some(Some(u64::from_le_bytes(raw)))
        }
        VERSION_1 => Some(None),
        _ => None,
    }
}

fn start_record(out: &mut Vec<u8>, tag: u8, mark: u64) {
    out.clear();
    out.extend_from_slice(&[VERSION, tag]);
    out.extend_from_slice(&mark.to_le_bytes());
}

/// Encodes a batch of entries as one `ENTRIES` record into `out` (cleared
/// first) and fills `commands` with each command's offset within the record
/// and its length. `mark` is the record's sync mark.
pub(crate) fn encode_entries<'e>(
    out: &mut Vec<u8>,
    entries: impl ExactSizeIterator<Item = &'e LogEntry>,
    first: Index,
    mark: u64,
    commands: &mut Vec<(usize, u32)>,
) -> Result<(), &'static str> {
    commands.clear();
    let count = u32::try_from(entries.len()).map_err(|_| "too many entries in one batch")?;
    start_record(out, TAG_ENTRIES, mark);
    out.extend_from_slice(&first.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    for entry in entries {
        let len = u32::try_from(entry.command.len()).map_err(|_| "command longer than 4 GiB")?;
        out.extend_from_slice(&entry.term.to_le_bytes());
        out.push(encode_kind(entry.kind));
        out.extend_from_slice(&len.to_le_bytes());
        let checksum = command_checksum(entry.index, &entry.command);
        out.extend_from_slice(&checksum.to_le_bytes());
        commands.push((out.len(), len));
        out.extend_from_slice(&entry.command);
    }
    Ok(())
}

/// Encodes a `TRUNCATE` record.
pub(crate) fn encode_truncate(out: &mut Vec<u8>, from: Index, mark: u64) {
    start_record(out, TAG_TRUNCATE, mark);
    out.extend_from_slice(&from.to_le_bytes());
}

/// Encodes a `HARD_STATE` record.
pub(crate) fn encode_hard_state(out: &mut Vec<u8>, state: HardState, mark: u64) {
    start_record(out, TAG_HARD_STATE, mark);
    out.extend_from_slice(&state.term.to_le_bytes());
    let (flag, vote) = match state.voted_for {
        Some(id) => (1u8, id),
        None => (0u8, 0),
    };
    out.push(flag);
    out.extend_from_slice(&vote.to_le_bytes());
}

/// Encodes a `SYNCED` record: a sync made the first `synced` bytes durable.
pub(crate) fn encode_synced(out: &mut Vec<u8>, synced: u64) {
    start_record(out, TAG_SYNCED, synced);
}

/// Encodes a `SNAPSHOT` marker record.
pub(crate) fn encode_snapshot_marker(out: &mut Vec<u8>, index: Index, term: Term, mark: u64) {
    start_record(out, TAG_SNAPSHOT, mark);
    out.extend_from_slice(&index.to_le_bytes());
    out.extend_from_slice(&term.to_le_bytes());
}

/// Encodes the body of a version-1 snapshot file (written before snapshot
/// files were streamed; kept to test their upgrade).
#[cfg(test)]
pub(crate) fn encode_snapshot_file(
    snapshot: &Snapshot,
    membership: &Membership,
) -> Result<Vec<u8>, &'static str> {
    let voters = u32::try_from(snapshot.config.len()).map_err(|_| "too many voters")?;
    let mut out =
        Vec::with_capacity(2 + 8 + 8 + 4 + 8 * snapshot.config.len() + 8 + snapshot.data.len());
    out.extend_from_slice(&[SNAPSHOT_FILE_VERSION, TAG_SNAPSHOT_FILE]);
    out.extend_from_slice(&snapshot.index.to_le_bytes());
    out.extend_from_slice(&snapshot.term.to_le_bytes());
    out.extend_from_slice(&voters.to_le_bytes());
    for id in &snapshot.config {
        out.extend_from_slice(&id.to_le_bytes());
    }
    out.extend_from_slice(&(snapshot.data.len() as u64).to_le_bytes());
    out.extend_from_slice(&snapshot.data);
    // Learners and outgoing voters follow only when there are any, so a
    // file without them reads as it did before they were recorded.
    let (learners, outgoing) = (membership.learners(), membership.outgoing_voters());
    if !learners.is_empty() || !outgoing.is_empty() {
        for ids in [learners, outgoing] {
            let count = u32::try_from(ids.len()).map_err(|_| "too many members")?;
            out.extend_from_slice(&count.to_le_bytes());
            for id in ids {
                out.extend_from_slice(&id.to_le_bytes());
            }
        }
    }
    Ok(out)
}

/// Decodes the body of a snapshot file: the snapshot, and the whole
/// configuration recorded with it.
pub(crate) fn decode_snapshot_file(bytes: &[u8]) -> Result<(Snapshot, Membership), DecodeError> {
    let mut reader = Reader::new(bytes);
    if reader.u8()? != SNAPSHOT_FILE_VERSION {
        return Err("unknown snapshot version");
    }
    if reader.u8()? != TAG_SNAPSHOT_FILE {
        return Err("not a snapshot file record");
    }
    let index = reader.u64()?;
    let term = reader.u64()?;
    let config = read_ids(&mut reader)?;
    let len = usize::try_from(reader.u64()?).map_err(|_| "snapshot data too long")?;
    let data = reader.take(len)?.to_vec();
    let (learners, outgoing) = if reader.remaining() > 0 {
        (read_ids(&mut reader)?, read_ids(&mut reader)?)
    } else {
        (Vec::new(), Vec::new())
    };
    reader.finish()?;
    let membership = Membership::from_parts(config.clone(), outgoing, learners);
    Ok((Snapshot::with_config(index, term, config, data), membership))
}

/// A `u32` count and that many node ids.
pub(crate) fn read_ids(reader: &mut Reader<'_>) -> Result<Vec<NodeId>, DecodeError> {
    let count = reader.u32()? as usize;
    // Bound the allocation by what the record actually holds.
    let needed = count.checked_mul(8).ok_or("member count overflows")?;
    let ids = reader.take(needed)?;
    Ok(ids
        .chunks_exact(8)
        .map(|chunk| {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(chunk);
            NodeId::from_le_bytes(raw)
        })
        .collect())
}

fn decode_hard_state(reader: &mut Reader<'_>) -> Result<HardState, DecodeError> {
    let term = reader.u64()?;
    let flag = reader.u8()?;
    let vote = reader.u64()?;
    let voted_for = match flag {
        0 if vote == 0 => None,
        1 => Some(vote),
        _ => return Err("malformed vote"),
    };
    Ok(HardState { term, voted_for })
}

fn encode_kind(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::Normal => 0,
        EntryKind::Config => 1,
    }
}

fn decode_kind(byte: u8) -> Result<EntryKind, DecodeError> {
    match byte {
        0 => Ok(EntryKind::Normal),
        1 => Ok(EntryKind::Config),
        _ => Err("unknown entry kind"),
    }
}

/// A bounds-checked little-endian cursor.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(len).ok_or("length overflows")?;
        let slice = self.bytes.get(self.pos..end).ok_or("record is truncated")?;
        self.pos = end;
        Ok(slice)
    }

    fn skip(&mut self, len: usize) -> Result<(), DecodeError> {
        self.take(len).map(|_| ())
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        rest
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut raw = [0u8; N];
        raw.copy_from_slice(self.take(N)?);
        Ok(raw)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err("trailing bytes after the record")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries_record(entries: &[LogEntry]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        encode_entries(&mut out, entries.iter(), entries[0].index, 77, &mut offsets).unwrap();
        out
    }

    #[test]
    fn entries_round_trip_and_locate_commands() {
        let batch = [
            LogEntry::new(3, 7, b"abc".to_vec()),
            LogEntry::config(4, 8, &[1, 2]),
        ];
        let bytes = entries_record(&batch);
        let (Record::Entries(record), Some(77)) = decode(&bytes).unwrap() else {
            panic!("not an entries record with its sync mark")
        };
        assert_eq!((record.first, record.count), (7, 2));
        let mut seen = Vec::new();
        record
            .for_each(|e| {
                let start = e.command_offset;
                let command = bytes[start..start + e.len as usize].to_vec();
                let stored = u32::from_le_bytes(bytes[start - 4..start].try_into().unwrap());
                assert!(e.checked);
                assert_eq!(stored, command_checksum(7 + seen.len() as u64, &command));
                seen.push((e.term, e.kind, command));
            })
            .unwrap();
        assert_eq!(seen[0], (3, EntryKind::Normal, b"abc".to_vec()));
        assert_eq!(seen[1], (4, EntryKind::Config, batch[1].command.clone()));
    }

    #[test]
    fn every_truncation_of_every_record_is_an_error_not_a_panic() {
        let mut records = vec![entries_record(&[LogEntry::new(1, 1, vec![9; 5])])];
        let mut out = Vec::new();
        encode_truncate(&mut out, 4, 0);
        records.push(out.clone());
        encode_hard_state(
            &mut out,
            HardState {
                term: 2,
                voted_for: Some(0),
            },
            9,
        );
        records.push(out.clone());
        encode_snapshot_marker(&mut out, 5, 2, 9);
        records.push(out.clone());
        for record in records {
            assert!(decode(&record).is_ok());
            for cut in 0..record.len() {
                let result = decode(&record[..cut]).and_then(|(r, _)| match r {
                    Record::Entries(e) => e.for_each(|_| {}),
                    _ => Ok(()),
                });
                assert!(result.is_err(), "cut at {cut} decoded");
            }
            let mut longer = record.clone();
            longer.push(0);
            let result = decode(&longer).and_then(|(r, _)| match r {
                Record::Entries(e) => e.for_each(|_| {}),
                _ => Ok(()),
            });
            assert!(result.is_err(), "trailing byte accepted");
        }
    }

    #[test]
    fn hostile_counts_do_not_allocate() {
        let mut bytes = vec![VERSION, TAG_ENTRIES];
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(&1u64.to_le_bytes());
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode(&bytes).unwrap_err(),
            "entry count exceeds the record length"
        );
        let mut snap = vec![SNAPSHOT_FILE_VERSION, TAG_SNAPSHOT_FILE];
        snap.extend_from_slice(&[0; 16]);
        snap.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_snapshot_file(&snap).is_err());
    }

    #[test]
    fn snapshot_file_keeps_learners_and_outgoing_voters() {
        let joint = raft_core::Membership::with_learners([1, 2, 3], [7])
            .enter_joint([2, 3, 4], [7])
            .unwrap();
        let snap = Snapshot::with_config(9, 2, joint.voters().to_vec(), b"state".to_vec());
        let bytes = encode_snapshot_file(&snap, &joint).unwrap();
        assert_eq!(decode_snapshot_file(&bytes).unwrap(), (snap, joint));
    }

    #[test]
    fn unknown_version_and_tag_are_refused() {
        assert_eq!(
            decode(&[3, TAG_TRUNCATE]).unwrap_err(),
            "unknown record version"
        );
        assert_eq!(
            decode(&[VERSION, 99, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            "unknown record tag"
        );
        assert_eq!(decode(&[VERSION_1, 99]).unwrap_err(), "unknown record tag");
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn snapshot_file_round_trips() {
        let snap = Snapshot::with_config(9, 3, vec![1, 5], b"state".to_vec());
        let voters = Membership::new([1, 5]);
        let bytes = encode_snapshot_file(&snap, &voters).unwrap();
        assert_eq!(decode_snapshot_file(&bytes).unwrap(), (snap, voters));
        for cut in 0..bytes.len() {
            assert!(decode_snapshot_file(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn version_1_records_still_decode_without_marks_or_checksums() {
        let mut v1 = vec![VERSION_1, TAG_ENTRIES];
        v1.extend_from_slice(&3u64.to_le_bytes());
        v1.extend_from_slice(&1u32.to_le_bytes());
        v1.extend_from_slice(&2u64.to_le_bytes());
        v1.extend_from_slice(&[0, 2, 0, 0, 0, b'h', b'i']);
        let (Record::Entries(record), None) = decode(&v1).unwrap() else {
            panic!("not a version-1 entries record")
        };
        let mut seen = Vec::new();
        record
            .for_each(|e| seen.push((e.term, e.command_offset, e.len, e.checked)))
            .unwrap();
        assert_eq!(seen, vec![(2, 27, 2, false)]);
        assert_eq!(peek_sync_mark(&v1), Some(None));
        assert_eq!(
            peek_sync_mark(&[VERSION_1, TAG_TRUNCATE, 1, 0, 0, 0, 0, 0, 0, 0]),
            Some(None)
        );
        let (Record::Truncate { from: 1 }, None) =
            decode(&[VERSION_1, TAG_TRUNCATE, 1, 0, 0, 0, 0, 0, 0, 0]).unwrap()
        else {
            panic!("not a version-1 truncate")
        };
    }

    #[test]
    fn peek_reads_the_sync_mark_of_a_version_2_record() {
        let mut out = Vec::new();
        encode_synced(&mut out, 99);
        assert_eq!(out.len(), RECORD_HEADER_LEN);
        assert!(matches!(decode(&out).unwrap(), (Record::Synced, Some(99))));
        assert_eq!(peek_sync_mark(&out), Some(Some(99)));
        assert!(decode(&[VERSION_1, TAG_SYNCED]).is_err(), "version 2 only");
        encode_truncate(&mut out, 4, 1234);
        assert_eq!(peek_sync_mark(&out), Some(Some(1234)));
        assert_eq!(peek_sync_mark(&out[..5]), None);
        assert_eq!(peek_sync_mark(&[VERSION, 99, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(peek_sync_mark(&[]), None);
    }
}
