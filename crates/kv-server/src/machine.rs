//! `KvStore`: the replicated map, as a [`StateMachine`].

use std::collections::BTreeMap;
use std::io::{self, BufReader, BufWriter, Read, Write};

use raft_server::StateMachine;

use crate::command::{Command, encode_value, take_bytes};

/// A map from byte keys to byte values.
///
/// Answers: `Put` → the previous value; `Delete` → the removed value;
/// `Cas` → `[1]` if it swapped, `[0]` if not; each as
/// [`encode_value`](crate::encode_value) except `Cas`. A log entry that is
/// not a command changes nothing and answers `[]`.
///
/// ```
/// use kv_server::{Command, KvStore, decode_value, encode_get};
/// use raft_server::StateMachine;
///
/// let mut store = KvStore::default();
/// store.apply(1, &Command::Put { key: b"k".to_vec(), value: b"v".to_vec() }.encode());
/// assert_eq!(decode_value(&store.query(&encode_get(b"k"))), Some(Some(b"v".to_vec())));
///
/// let mut copy = KvStore::default();
/// copy.restore(&store.snapshot());
/// assert_eq!(copy.query(&encode_get(b"k")), store.query(&encode_get(b"k")));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvStore {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl KvStore {
    /// Keys stored.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl StateMachine for KvStore {
    fn apply(&mut self, _index: u64, command: &[u8]) -> Vec<u8> {
        match Command::decode(command) {
            Some(Command::Put { key, value }) => {
                encode_value(self.map.insert(key, value).as_deref())
            }
            Some(Command::Delete { key }) => encode_value(self.map.remove(&key).as_deref()),
            Some(Command::Cas { key, expected, new }) => {
                if self.map.get(&key) == expected.as_ref() {
                    self.map.insert(key, new);
                    vec![1]
                } else {
                    vec![0]
                }
            }
            None => Vec::new(),
        }
    }

    fn query(&self, query: &[u8]) -> Vec<u8> {
        encode_value(self.map.get(query).map(Vec::as_slice))
    }

    fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a `Vec` cannot fail.
        let _ = self.write_snapshot(&mut out);
        out
    }

    /// Streams the map as length-prefixed keys and values: the host takes
    /// it in 1 MiB pieces, so the whole snapshot is never one `Vec`.
    fn write_snapshot(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut out = BufWriter::with_capacity(64 << 10, out);
        for (key, value) in &self.map {
            for bytes in [key, value] {
                let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                out.write_all(&len.to_le_bytes())?;
                out.write_all(bytes)?;
            }
        }
        out.flush()
    }

    /// Reads the pairs `write_snapshot` wrote; a snapshot cut inside a pair
    /// is an error (the host then stops applying).
    fn restore_from(&mut self, snapshot: &mut dyn Read) -> io::Result<()> {
        let mut reader = BufReader::with_capacity(64 << 10, snapshot);
        let mut map = BTreeMap::new();
        while let Some(key) = read_bytes(&mut reader, true)? {
            let value = read_bytes(&mut reader, false)?.ok_or_else(|| {
                io::Error::new(io::ErrorKind::UnexpectedEof, "a key without its value")
            })?;
            map.insert(key, value);
        }
        self.map = map;
        Ok(())
    }

    fn restore(&mut self, snapshot: &[u8]) {
        let mut map = BTreeMap::new();
        let mut rest = snapshot;
        while !rest.is_empty() {
            let (Some(key), Some(value)) = (take_bytes(&mut rest), take_bytes(&mut rest)) else {
                // Our own snapshots always parse (the log checksums them),
                // so this is a bug upstream: say so loudly.
                tracing::error!("damaged KV snapshot; restored only what parsed");
                break;
            };
            map.insert(key.to_vec(), value.to_vec());
        }
        self.map = map;
    }
}

/// One length-prefixed byte string; `None` at a clean end (only where
/// `end_allowed`).
fn read_bytes(reader: &mut impl Read, end_allowed: bool) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    let mut first = [0u8; 1];
    if reader.read(&mut first)? == 0 {
        return if end_allowed {
            Ok(None)
        } else {
            Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "snapshot cut inside a pair",
            ))
        };
    }
    len[0] = first[0];
    reader.read_exact(&mut len[1..])?;
    let len = u32::from_le_bytes(len) as usize;
    // Grows with what arrives: a damaged length cannot allocate beyond it.
    let mut bytes = Vec::new();
    reader.take(len as u64).read_to_end(&mut bytes)?;
    if bytes.len() != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "snapshot cut inside a value",
        ));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_streamed_snapshot_restores_the_same_map_and_a_cut_one_is_an_error() {
        let mut store = KvStore::default();
        for n in 0..1000u32 {
            store
                .map
                .insert(n.to_le_bytes().to_vec(), vec![7; n as usize % 50]);
        }
        let mut written = Vec::new();
        store.write_snapshot(&mut written).unwrap();
        assert_eq!(written, store.snapshot());
        let mut copy = KvStore::default();
        copy.restore_from(&mut written.as_slice()).unwrap();
        assert_eq!(copy, store);
        for cut in [1, 5, 9, written.len() - 1] {
            let mut cut_copy = KvStore::default();
            assert!(
                cut_copy.restore_from(&mut &written[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut empty = KvStore::default();
        empty.restore_from(&mut &[][..]).unwrap();
        assert!(empty.is_empty());
    }
}
