//! `KvStore`: the replicated map, as a [`StateMachine`].

use std::collections::BTreeMap;

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
        for (key, value) in &self.map {
            for bytes in [key, value] {
                let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(bytes);
            }
        }
        out
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
