//! The connection handshake: the first frame on every connection names the
//! cluster and the node that opened it, so the receiving side can refuse a
//! stranger before a single Raft message reaches the node.

use std::io::{self, Read, Write};

use raft_core::NodeId;

use crate::stream::{read_frame, write_frame};

/// The bytes a hello frame starts with. Chosen so that no Raft frame can
/// be mistaken for a hello: a Raft frame starts with `FORMAT_VERSION` (1).
const MAGIC: &[u8; 8] = b"RAFTHELO";

/// The version of the hello layout; bumped if its fields change.
const HELLO_VERSION: u8 = 1;

/// Magic, version, cluster id, node id.
const HELLO_LEN: usize = 8 + 1 + 8 + 8;

/// `HELLO_LEN` as the frame limit `read_frame` takes.
const HELLO_FRAME_LEN: u32 = 25;
const _: () = assert!(HELLO_FRAME_LEN as usize == HELLO_LEN);

/// What a connecting node says about itself before anything else.
///
/// The layout (after the usual 4-byte length prefix) is `RAFTHELO`, a
/// version byte (1), then the cluster id and the node id as little-endian
/// `u64`s: 25 bytes.
///
/// ```
/// let hello = raft_wire::Hello { cluster_id: 7, node_id: 2 };
/// let mut wire = Vec::new();
/// hello.write_to(&mut wire).unwrap();
/// assert_eq!(wire.len(), 4 + 25);
/// assert_eq!(raft_wire::Hello::read_from(&wire[..]).unwrap(), hello);
///
/// // A Raft frame where a hello belongs is refused.
/// assert!(raft_wire::Hello::read_from(&[4u8, 0, 0, 0, 1, 9, 1, 2][..]).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The cluster the connecting node belongs to.
    pub cluster_id: u64,
    /// The connecting node's id: every message it sends must name it as
    /// the sender.
    pub node_id: NodeId,
}

impl Hello {
    /// Write this hello as one length-prefixed frame.
    ///
    /// # Errors
    ///
    /// Any error of `writer`.
    pub fn write_to<W: Write>(&self, writer: W) -> io::Result<()> {
        let mut frame = [0u8; HELLO_LEN];
        frame[..8].copy_from_slice(MAGIC);
        frame[8] = HELLO_VERSION;
        frame[9..17].copy_from_slice(&self.cluster_id.to_le_bytes());
        frame[17..25].copy_from_slice(&self.node_id.to_le_bytes());
        write_frame(writer, &frame, HELLO_FRAME_LEN)
    }

    /// Read a hello frame; anything else is `InvalidData`.
    ///
    /// # Errors
    ///
    /// `InvalidData` for a frame that is not a hello of this version
    /// (including an oversized one), `UnexpectedEof` for a stream that
    /// ends first, and any error of `reader`.
    pub fn read_from<R: Read>(reader: R) -> io::Result<Self> {
        let mut frame = Vec::with_capacity(HELLO_LEN);
        // A hello is tiny: refuse a larger prefix before allocating.
        if !read_frame(reader, &mut frame, HELLO_FRAME_LEN)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before its hello",
            ));
        }
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
        if frame.len() != HELLO_LEN || frame.get(..8) != Some(&MAGIC[..]) {
            return Err(invalid("the first frame is not a hello"));
        }
        if frame.get(8) != Some(&HELLO_VERSION) {
            return Err(invalid("unknown hello version"));
        }
        let word = |at: usize| {
            frame
                .get(at..at + 8)
                .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
                .map(u64::from_le_bytes)
                .ok_or_else(|| invalid("truncated hello"))
        };
        Ok(Self {
            cluster_id: word(9)?,
            node_id: word(17)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_hello_round_trips_and_a_wrong_version_is_refused() {
        let hello = Hello {
            cluster_id: u64::MAX,
            node_id: 3,
        };
        let mut wire = Vec::new();
        hello.write_to(&mut wire).unwrap();
        assert_eq!(Hello::read_from(&wire[..]).unwrap(), hello);

        wire[4 + 8] = 2;
        let err = Hello::read_from(&wire[..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("version"), "{err}");

        let empty: &[u8] = &[];
        assert_eq!(
            Hello::read_from(empty).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
