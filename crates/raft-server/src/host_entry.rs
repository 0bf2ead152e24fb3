//! What the host writes in the log and in snapshots beside the
//! application's data: every node must learn where a node added at run
//! time listens, and Raft's configuration entries carry only node ids. So
//! each command the application proposes is tagged, the host proposes its
//! own `PeerAddress` entries (before the membership change that adds a
//! node), and every snapshot starts with the address book those entries
//! built, so a node that catches up by snapshot learns it too.
//!
//! ```text
//! entry    = 0 | command                      (the application's)
//!          | 1 | id u64 | addr (UTF-8)        (a peer's address)
//! snapshot = 1 | count u32 | count × (id u64 | len u8 | addr) | application data
//! ```

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::net::SocketAddr;

use raft_core::NodeId;

const TAG_COMMAND: u8 = 0;
const TAG_PEER_ADDRESS: u8 = 1;
const BOOK_VERSION: u8 = 1;
/// More entries than any cluster has: bounds what a damaged count reads.
const BOOK_ENTRIES_MAX: u32 = 1 << 16;

/// Where each peer added at run time listens.
pub(crate) type AddressBook = BTreeMap<NodeId, SocketAddr>;

/// A log entry of the host, decoded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HostEntry<'a> {
    /// The application's command.
    Command(&'a [u8]),
    /// Node `id` listens at `addr`.
    PeerAddress { id: NodeId, addr: SocketAddr },
}

/// The log entry for the application's `command`.
pub(crate) fn command(command: &[u8]) -> Vec<u8> {
    let mut entry = Vec::with_capacity(command.len() + 1);
    entry.push(TAG_COMMAND);
    entry.extend_from_slice(command);
    entry
}

/// The log entry saying node `id` listens at `addr`.
pub(crate) fn peer_address(id: NodeId, addr: SocketAddr) -> Vec<u8> {
    let mut entry = vec![TAG_PEER_ADDRESS];
    entry.extend_from_slice(&id.to_le_bytes());
    entry.extend_from_slice(addr.to_string().as_bytes());
    entry
}

/// Decodes a log entry the host wrote.
pub(crate) fn decode(entry: &[u8]) -> Result<HostEntry<'_>, &'static str> {
    match entry.split_first() {
        Some((&TAG_COMMAND, command)) => Ok(HostEntry::Command(command)),
        Some((&TAG_PEER_ADDRESS, rest)) if rest.len() > 8 => {
            let (id, addr) = rest.split_at(8);
            let mut raw = [0u8; 8];
            raw.copy_from_slice(id);
            let addr = std::str::from_utf8(addr)
                .ok()
                .and_then(|addr| addr.parse().ok())
                .ok_or("a peer address entry holds no address")?;
            Ok(HostEntry::PeerAddress {
                id: NodeId::from_le_bytes(raw),
                addr,
            })
        }
        Some(_) => Err("unknown host entry tag"),
        None => Err("empty host entry"),
    }
}

/// The snapshot's leading part: the address book.
pub(crate) fn encode_book(book: &AddressBook) -> Vec<u8> {
    let mut out = vec![BOOK_VERSION];
    let count = u32::try_from(book.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_le_bytes());
    for (id, addr) in book {
        let addr = addr.to_string();
        out.extend_from_slice(&id.to_le_bytes());
        // A socket address is at most 47 characters.
        out.push(u8::try_from(addr.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&addr.as_bytes()[..addr.len().min(255)]);
    }
    out
}

/// Reads the address book from the start of a snapshot, leaving `reader`
/// at the application's data.
pub(crate) fn read_book(reader: &mut dyn Read) -> io::Result<AddressBook> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut head = [0u8; 5];
    reader.read_exact(&mut head)?;
    if head[0] != BOOK_VERSION {
        return Err(invalid(
            "the snapshot does not start with the host's address book",
        ));
    }
    let count = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    if count > BOOK_ENTRIES_MAX {
        return Err(invalid("the snapshot's address book is implausibly long"));
    }
    let mut book = AddressBook::new();
    for _ in 0..count {
        let mut fixed = [0u8; 9];
        reader.read_exact(&mut fixed)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&fixed[..8]);
        let mut addr = vec![0u8; usize::from(fixed[8])];
        reader.read_exact(&mut addr)?;
        let addr = std::str::from_utf8(&addr)
            .ok()
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| invalid("the snapshot's address book holds a bad address"))?;
        book.insert(NodeId::from_le_bytes(raw), addr);
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn entries_round_trip_and_garbage_is_refused() {
        let addr: SocketAddr = "127.0.0.1:7004".parse().unwrap();
        assert_eq!(decode(&command(b"set x")), Ok(HostEntry::Command(b"set x")));
        assert_eq!(decode(&command(b"")), Ok(HostEntry::Command(b"")));
        assert_eq!(
            decode(&peer_address(4, addr)),
            Ok(HostEntry::PeerAddress { id: 4, addr })
        );
        assert!(decode(b"").is_err());
        assert!(decode(&[9, 1, 2]).is_err());
        assert!(decode(&[TAG_PEER_ADDRESS, 4, 0, 0, 0, 0, 0, 0, 0]).is_err());
        let mut bad = peer_address(4, addr);
        bad.truncate(bad.len() - 3);
        bad.extend_from_slice(b"x:y");
        assert!(decode(&bad).is_err());
    }

    #[test]
    fn a_book_round_trips_and_leaves_the_reader_at_the_data() {
        let mut book = AddressBook::new();
        book.insert(4, "127.0.0.1:7004".parse().unwrap());
        book.insert(9, "[::1]:65535".parse().unwrap());
        let mut snapshot = encode_book(&book);
        snapshot.extend_from_slice(b"state");
        let mut reader = io::Cursor::new(snapshot.clone());
        assert_eq!(read_book(&mut reader).unwrap(), book);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"state");
        for cut in 0..snapshot.len() - 5 {
            assert!(
                read_book(&mut io::Cursor::new(&snapshot[..cut])).is_err(),
                "{cut}"
            );
        }
        assert!(read_book(&mut io::Cursor::new(b"state")).is_err());
    }
}
