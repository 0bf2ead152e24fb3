//! Length-delimited framing for byte streams: each frame is preceded by its
//! length as a little-endian `u32`, checked against a configured maximum.

use std::io::{self, Read, Write};

use raft_core::{Error, Message, Result};

use crate::encode::encode_into;

/// Bytes of the length prefix in front of every frame on a stream.
///
/// ```
/// assert_eq!(raft_wire::LENGTH_PREFIX_LEN, 4);
/// ```
pub const LENGTH_PREFIX_LEN: usize = 4;

/// The default largest frame a stream accepts: 64 MiB, room for a sizeable
/// snapshot while keeping a hostile length prefix cheap to refuse.
///
/// ```
/// assert_eq!(raft_wire::DEFAULT_MAX_FRAME_LEN, 64 << 20);
/// ```
pub const DEFAULT_MAX_FRAME_LEN: u32 = 64 << 20;

/// Append `message` to `out` as one length-prefixed stream frame.
///
/// The prefix is written first and patched once the frame length is known,
/// so the message is encoded exactly once, straight into `out`.
///
/// ```
/// use raft_core::{Message, TimeoutNow};
/// let mut out = Vec::new();
/// raft_wire::encode_length_prefixed(&Message::TimeoutNow(TimeoutNow { term: 1, leader: 2 }), &mut out, 1024).unwrap();
/// assert_eq!(out, [4, 0, 0, 0, 1, 9, 1, 2]);
/// ```
///
/// # Errors
///
/// `Error::Encoding` if the frame would exceed `max_frame_len` (then `out`
/// is left as it was), or as [`encode`](crate::encode).
pub fn encode_length_prefixed(
    message: &Message,
    out: &mut Vec<u8>,
    max_frame_len: u32,
) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&[0; LENGTH_PREFIX_LEN]);
    if let Err(e) = encode_into(message, out) {
        out.truncate(start);
        return Err(e);
    }
    let frame_len = out.len().saturating_sub(start + LENGTH_PREFIX_LEN);
    match u32::try_from(frame_len) {
        Ok(len) if len <= max_frame_len => {
            if let Some(prefix) = out.get_mut(start..start + LENGTH_PREFIX_LEN) {
                prefix.copy_from_slice(&len.to_le_bytes());
            }
            Ok(())
        }
        _ => {
            out.truncate(start);
            Err(Error::encoding(
                message.kind(),
                format_args!("frame of {frame_len} bytes exceeds the {max_frame_len}-byte limit"),
            ))
        }
    }
}

/// Write `frame` (already encoded) to `writer` behind its length prefix.
///
/// ```
/// let mut wire = Vec::new();
/// raft_wire::write_frame(&mut wire, &[1, 9, 1, 2], 1024).unwrap();
/// assert_eq!(wire, [4, 0, 0, 0, 1, 9, 1, 2]);
/// assert!(raft_wire::write_frame(&mut wire, &[0; 9], 8).is_err());
/// ```
///
/// # Errors
///
/// `InvalidInput` if `frame` is longer than `max_frame_len`; otherwise any
/// error of `writer`.
pub fn write_frame<W: Write>(mut writer: W, frame: &[u8], max_frame_len: u32) -> io::Result<()> {
    let len = u32::try_from(frame.len())
        .ok()
        .filter(|len| *len <= max_frame_len)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "frame of {} bytes exceeds the {max_frame_len}-byte limit",
                    frame.len()
                ),
            )
        })?;
    writer.write_all(&len.to_le_bytes())?;
    writer.write_all(frame)
}

/// Read the next length-prefixed frame from `reader` into `buf` (cleared
/// first). Returns `Ok(false)` on a clean end of stream between frames.
///
/// A prefix above `max_frame_len` is refused before anything is
/// allocated, and the buffer grows only as frame bytes actually arrive, so
/// a peer that announces a large frame and stalls costs little memory.
///
/// ```
/// use raft_core::{Message, TimeoutNow};
/// let message = Message::TimeoutNow(TimeoutNow { term: 1, leader: 2 });
/// let mut wire = Vec::new();
/// raft_wire::encode_length_prefixed(&message, &mut wire, 1024).unwrap();
///
/// let mut reader = wire.as_slice();
/// let mut buf = Vec::new();
/// assert!(raft_wire::read_frame(&mut reader, &mut buf, 1024).unwrap());
/// assert_eq!(raft_wire::decode(&buf).unwrap(), message);
/// assert!(!raft_wire::read_frame(&mut reader, &mut buf, 1024).unwrap());
///
/// // A 4 GiB claim is refused from the prefix alone.
/// let hostile = [0xff, 0xff, 0xff, 0xff, 1, 2];
/// assert!(raft_wire::read_frame(&hostile[..], &mut buf, 1024).is_err());
/// ```
///
/// # Errors
///
/// `InvalidData` for a prefix over the limit, `UnexpectedEof` for a stream
/// that ends inside a frame, and any error of `reader`.
pub fn read_frame<R: Read>(
    mut reader: R,
    buf: &mut Vec<u8>,
    max_frame_len: u32,
) -> io::Result<bool> {
    buf.clear();
    let mut prefix = [0u8; LENGTH_PREFIX_LEN];
    let mut filled = 0;
    while let Some(rest) = prefix.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match reader.read(rest) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "stream ended inside a length prefix",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_le_bytes(prefix);
    if len > max_frame_len {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame length {len} exceeds the {max_frame_len}-byte limit"),
        ));
    }
    // Read in steps no larger than what has already arrived (at least
    // 16 KiB), so the buffer is at most about twice the bytes received no
    // matter what the prefix claimed.
    let want = u64::from(len);
    let mut got = 0u64;
    while got < want {
        let step = (want - got).min((buf.len() as u64).max(16 * 1024));
        let n = reader.by_ref().take(step).read_to_end(buf)? as u64;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("stream ended {got} bytes into a {len}-byte frame"),
            ));
        }
        got += n;
    }
    Ok(true)
}
