//! The footer of a version-2 snapshot file: what the data is (index, term,
//! configuration, length, block size), written after the data, so a
//! snapshot can be written as it is produced, before its length is known.
//!
//! ```text
//! meta body | meta_len u32 | crc32c(meta body) u32 | MAGIC (8 bytes)
//! meta body = version u8 (2) | tag u8 (17) | index u64 | term u64
//!           | data_len u64 | block_bytes u32 | voters | outgoing | learners
//! (each list: a u32 count, then that many u64 node ids)
//! ```

use raft_core::{Index, Membership, NodeId, Term};

use crate::format::{DecodeError, Reader, read_ids};

/// The last 8 bytes of every version-2 snapshot file.
pub(crate) const MAGIC: [u8; 8] = *b"RAFTSNP2";
/// `meta_len`, the meta CRC and `MAGIC`.
pub(crate) const TRAILER_LEN: usize = 4 + 4 + MAGIC.len();
const VERSION: u8 = 2;
const TAG_SNAPSHOT_STREAM: u8 = 17;
/// The longest meta body a reader accepts: bounds what a damaged
/// `meta_len` can make it read (a configuration of about a million nodes).
pub(crate) const META_LEN_MAX: u32 = 8 << 20;

/// What a snapshot file's footer says about its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) index: Index,
    pub(crate) term: Term,
    pub(crate) data_len: u64,
    pub(crate) block_bytes: u32,
    pub(crate) membership: Membership,
}

impl Meta {
    /// The footer bytes: meta body and trailer.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = vec![VERSION, TAG_SNAPSHOT_STREAM];
        out.extend_from_slice(&self.index.to_le_bytes());
        out.extend_from_slice(&self.term.to_le_bytes());
        out.extend_from_slice(&self.data_len.to_le_bytes());
        out.extend_from_slice(&self.block_bytes.to_le_bytes());
        let membership = &self.membership;
        for ids in [
            membership.voters(),
            membership.outgoing_voters(),
            membership.learners(),
        ] {
            put_ids(&mut out, ids)?;
        }
        let meta_len = u32::try_from(out.len())
            .ok()
            .filter(|&len| len <= META_LEN_MAX)
            .ok_or("snapshot configuration too large")?;
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&meta_len.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&MAGIC);
        Ok(out)
    }

    /// Decodes a meta body whose CRC the caller checked.
    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(body);
        if reader.u8()? != VERSION {
            return Err("unknown snapshot file version");
        }
        if reader.u8()? != TAG_SNAPSHOT_STREAM {
            return Err("not a snapshot file footer");
        }
        let index = reader.u64()?;
        let term = reader.u64()?;
        let data_len = reader.u64()?;
        let block_bytes = reader.u32()?;
        if block_bytes == 0 {
            return Err("snapshot block size is zero");
        }
        let voters = read_ids(&mut reader)?;
        let outgoing = read_ids(&mut reader)?;
        let learners = read_ids(&mut reader)?;
        reader.finish()?;
        Ok(Self {
            index,
            term,
            data_len,
            block_bytes,
            membership: Membership::from_parts(voters, outgoing, learners),
        })
    }
}

/// Splits a file's trailer into the meta body's length and CRC, if it ends
/// with `MAGIC`.
pub(crate) fn parse_trailer(trailer: &[u8; TRAILER_LEN]) -> Option<(u32, u32)> {
    let (numbers, magic) = trailer.split_at(8);
    if magic != MAGIC {
        return None;
    }
    let word = |at: usize| {
        let mut raw = [0u8; 4];
        raw.copy_from_slice(&numbers[at..at + 4]);
        u32::from_le_bytes(raw)
    };
    Some((word(0), word(4)))
}

fn put_ids(out: &mut Vec<u8>, ids: &[NodeId]) -> Result<(), DecodeError> {
    let count = u32::try_from(ids.len()).map_err(|_| "too many members")?;
    out.extend_from_slice(&count.to_le_bytes());
    for id in ids {
        out.extend_from_slice(&id.to_le_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            index: 7,
            term: 2,
            data_len: 1 << 33,
            block_bytes: 64 << 10,
            membership: Membership::from_parts(vec![1, 2, 3], vec![1, 4], vec![5]),
        }
    }

    #[test]
    fn a_footer_round_trips_and_its_trailer_locates_the_body() {
        let bytes = meta().encode().unwrap();
        let (body, trailer) = bytes.split_at(bytes.len() - TRAILER_LEN);
        let (len, crc) = parse_trailer(trailer.try_into().unwrap()).unwrap();
        assert_eq!(len as usize, body.len());
        assert_eq!(crc, crc32c::crc32c(body));
        assert_eq!(Meta::decode(body).unwrap(), meta());
    }

    #[test]
    fn a_trailer_without_the_magic_or_a_cut_body_is_refused() {
        let bytes = meta().encode().unwrap();
        let mut trailer: [u8; TRAILER_LEN] = bytes[bytes.len() - TRAILER_LEN..].try_into().unwrap();
        trailer[TRAILER_LEN - 1] ^= 1;
        assert_eq!(parse_trailer(&trailer), None);
        let body = &bytes[..bytes.len() - TRAILER_LEN];
        for cut in 0..body.len() {
            assert!(Meta::decode(&body[..cut]).is_err(), "cut at {cut}");
        }
        let mut zero_block = meta();
        zero_block.block_bytes = 0;
        let bytes = zero_block.encode().unwrap();
        assert!(Meta::decode(&bytes[..bytes.len() - TRAILER_LEN]).is_err());
    }
}
