//! The header a client write carries through the log: a magic tag and the
//! client operation's id, so every node knows which operation an applied
//! entry is, and applies each operation to its state machine once.
//!
//! Layout: `0xFF 'C' 'O' 'P'`, the op id (`u64` LE), the user's command.
//! A command proposed directly ([`Cluster::propose`](crate::Cluster::propose))
//! that happens to start with these twelve bytes would be taken for a
//! client write; nothing else is.

/// The tag opening every client write.
const MAGIC: [u8; 4] = [0xFF, b'C', b'O', b'P'];

/// The log command for client operation `op` writing `command`.
pub(crate) fn wrap(op: u64, command: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + 8 + command.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&op.to_le_bytes());
    out.extend_from_slice(command);
    out
}

/// The op id and user command of a client write; `None` for any other
/// command.
pub(crate) fn unwrap(command: &[u8]) -> Option<(u64, &[u8])> {
    let rest = command.strip_prefix(&MAGIC)?;
    let (op, user) = rest.split_first_chunk::<8>()?;
    Some((u64::from_le_bytes(*op), user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_unwraps() {
        let wrapped = wrap(7, b"set x");
        assert_eq!(unwrap(&wrapped), Some((7, &b"set x"[..])));
        assert_eq!(unwrap(&wrap(0, b"")), Some((0, &b""[..])));
        assert_eq!(unwrap(b"plain command"), None);
        assert_eq!(unwrap(&wrapped[..6]), None);
    }
}
