//! `KvMachine`: a key-value store over bytes, as a replicated state machine.

use std::collections::BTreeMap;

use super::codec::{decode_input, encode_output};
use super::{Input, Output};
use crate::linearizability::{KvInput, KvOutput};
use crate::state_machine::StateMachine;

/// A replicated key-value map from bytes to bytes: applies encoded
/// [`KvInput`]s (get, put, append, compare-and-set) and answers encoded
/// [`KvOutput`]s (see [`kv`](crate::kv) for the encoding). A query must be
/// an encoded `Get`. Bytes that do not decode are answered with no bytes
/// and change nothing.
///
/// ```
/// use raft_testkit::{KvInput, KvMachine, KvOutput, StateMachine, kv};
///
/// let mut machine = KvMachine::default();
/// let append = KvInput::Append(b"k".to_vec(), b"ab".to_vec());
/// assert_eq!(machine.apply(&kv::encode_input(&append)), kv::encode_output(&KvOutput::Done));
/// machine.apply(&kv::encode_input(&append));
/// let get = kv::encode_input(&KvInput::Get(b"k".to_vec()));
/// let read = KvOutput::Value(Some(b"abab".to_vec()));
/// assert_eq!(machine.query(&get), kv::encode_output(&read));
/// assert_eq!(machine.get(b"k"), Some(&b"abab"[..]));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvMachine {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl KvMachine {
    /// The value of `key`, if it is set.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.map.get(key).map(Vec::as_slice)
    }

    /// Every key and value, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.map.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    fn execute(&mut self, input: Input) -> Output {
        match input {
            KvInput::Get(key) => KvOutput::Value(self.map.get(&key).cloned()),
            KvInput::Put(key, value) => {
                self.map.insert(key, value);
                KvOutput::Done
            }
            KvInput::Append(key, suffix) => {
                self.map.entry(key).or_default().extend_from_slice(&suffix);
                KvOutput::Done
            }
            KvInput::Cas { key, expected, new } => {
                let swaps = self.map.get(&key) == expected.as_ref();
                if swaps {
                    self.map.insert(key, new);
                }
                KvOutput::Cas(swaps)
            }
        }
    }
}

impl StateMachine for KvMachine {
    fn apply(&mut self, command: &[u8]) -> Vec<u8> {
        decode_input(command).map_or_else(Vec::new, |input| encode_output(&self.execute(input)))
    }

    fn query(&self, query: &[u8]) -> Vec<u8> {
        match decode_input(query) {
            Some(KvInput::Get(key)) => encode_output(&KvOutput::Value(self.map.get(&key).cloned())),
            _ => Vec::new(),
        }
    }

    /// Per entry: key length (`u32` LE), key, value length, value.
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

    /// A snapshot that does not decode restores the empty map.
    fn restore(&mut self, snapshot: &[u8]) {
        self.map.clear();
        let mut data = snapshot;
        let mut take = || {
            let (len, rest) = data.split_first_chunk::<4>()?;
            let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
            let (bytes, rest) = rest.split_at_checked(len)?;
            data = rest;
            Some(bytes.to_vec())
        };
        while let Some(key) = take() {
            let Some(value) = take() else {
                self.map.clear();
                return;
            };
            self.map.insert(key, value);
        }
        if !data.is_empty() {
            self.map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::encode_input;

    #[test]
    fn snapshots_restore_and_garbage_changes_nothing() {
        let mut machine = KvMachine::default();
        assert!(machine.apply(b"\xffnot a request").is_empty());
        let cas = |expected: Option<&[u8]>| KvInput::Cas {
            key: b"k".to_vec(),
            expected: expected.map(<[u8]>::to_vec),
            new: b"n".to_vec(),
        };
        assert_eq!(machine.apply(&encode_input(&cas(Some(b"x")))), [3]);
        assert_eq!(machine.apply(&encode_input(&cas(None))), [4]);
        machine.apply(&encode_input(&KvInput::Put(b"a".to_vec(), Vec::new())));
        let mut copy = KvMachine::default();
        copy.restore(&machine.snapshot());
        assert_eq!(copy, machine);
        copy.restore(&[1, 0, 0]);
        assert_eq!(copy, KvMachine::default());
        let put = encode_input(&KvInput::Put(b"k".to_vec(), b"v".to_vec()));
        assert!(machine.query(&put).is_empty(), "a query must be a Get");
    }
}
