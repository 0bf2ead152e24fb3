//! The byte encoding of [`Input`] and [`Output`]. Integers are
//! little-endian; a byte string is its length (`u32`) then its bytes.
//!
//! Requests: `0` Get key; `1` Put key value; `2` Append key value; `3` Cas
//! key, then `0` (expect absent) or `1` and the expected value, then the
//! new value. Responses: `0` absent; `1` and a value; `2` done; `3` CAS
//! failed; `4` CAS swapped.

use super::{Input, Output};
use crate::linearizability::{KvInput, KvOutput};

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // Longer strings do not fit a simulated command; they are cut.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes.get(..len as usize).unwrap_or(bytes));
}

/// Reads a byte string off the front of `data`.
fn take_bytes(data: &mut &[u8]) -> Option<Vec<u8>> {
    let (len, rest) = data.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    let (bytes, rest) = rest.split_at_checked(len)?;
    *data = rest;
    Some(bytes.to_vec())
}

fn take_tag(data: &mut &[u8]) -> Option<u8> {
    let (&tag, rest) = data.split_first()?;
    *data = rest;
    Some(tag)
}

/// Encodes a request.
///
/// ```
/// use raft_testkit::{KvInput, kv};
/// assert_eq!(kv::encode_input(&KvInput::Get(b"k".to_vec())), [0, 1, 0, 0, 0, b'k']);
/// ```
pub fn encode_input(input: &Input) -> Vec<u8> {
    let mut out = Vec::new();
    match input {
        KvInput::Get(key) => {
            out.push(0);
            put_bytes(&mut out, key);
        }
        KvInput::Put(key, value) | KvInput::Append(key, value) => {
            out.push(if matches!(input, KvInput::Put(..)) {
                1
            } else {
                2
            });
            put_bytes(&mut out, key);
            put_bytes(&mut out, value);
        }
        KvInput::Cas { key, expected, new } => {
            out.push(3);
            put_bytes(&mut out, key);
            match expected {
                None => out.push(0),
                Some(expected) => {
                    out.push(1);
                    put_bytes(&mut out, expected);
                }
            }
            put_bytes(&mut out, new);
        }
    }
    out
}

/// Decodes a request; `None` unless `data` is exactly one.
///
/// ```
/// use raft_testkit::kv;
/// assert!(kv::decode_input(b"garbage").is_none());
/// ```
pub fn decode_input(mut data: &[u8]) -> Option<Input> {
    let data = &mut data;
    let input = match take_tag(data)? {
        0 => KvInput::Get(take_bytes(data)?),
        1 => KvInput::Put(take_bytes(data)?, take_bytes(data)?),
        2 => KvInput::Append(take_bytes(data)?, take_bytes(data)?),
        3 => {
            let key = take_bytes(data)?;
            let expected = match take_tag(data)? {
                0 => None,
                1 => Some(take_bytes(data)?),
                _ => return None,
            };
            KvInput::Cas {
                key,
                expected,
                new: take_bytes(data)?,
            }
        }
        _ => return None,
    };
    data.is_empty().then_some(input)
}

/// Encodes a response.
///
/// ```
/// use raft_testkit::{KvOutput, kv};
/// assert_eq!(kv::encode_output(&KvOutput::Done), [2]);
/// ```
pub fn encode_output(output: &Output) -> Vec<u8> {
    let mut out = Vec::new();
    match output {
        KvOutput::Value(None) => out.push(0),
        KvOutput::Value(Some(value)) => {
            out.push(1);
            put_bytes(&mut out, value);
        }
        KvOutput::Done => out.push(2),
        KvOutput::Cas(swapped) => out.push(3 + u8::from(*swapped)),
    }
    out
}

/// Decodes a response; `None` unless `data` is exactly one.
///
/// ```
/// use raft_testkit::{KvOutput, kv};
/// assert_eq!(kv::decode_output(&[4]), Some(KvOutput::Cas(true)));
/// assert_eq!(kv::decode_output(&[]), None);
/// ```
pub fn decode_output(mut data: &[u8]) -> Option<Output> {
    let data = &mut data;
    let output = match take_tag(data)? {
        0 => KvOutput::Value(None),
        1 => KvOutput::Value(Some(take_bytes(data)?)),
        2 => KvOutput::Done,
        3 => KvOutput::Cas(false),
        4 => KvOutput::Cas(true),
        _ => return None,
    };
    data.is_empty().then_some(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_and_response_round_trips() {
        let (k, v) = (b"key".to_vec(), b"value".to_vec());
        let inputs = [
            KvInput::Get(k.clone()),
            KvInput::Put(k.clone(), v.clone()),
            KvInput::Append(k.clone(), Vec::new()),
            KvInput::Cas {
                key: k.clone(),
                expected: None,
                new: v.clone(),
            },
            KvInput::Cas {
                key: k,
                expected: Some(Vec::new()),
                new: v.clone(),
            },
        ];
        for input in inputs {
            let bytes = encode_input(&input);
            assert_eq!(decode_input(&bytes), Some(input));
            assert_eq!(decode_input(&bytes[..bytes.len() - 1]), None);
            assert_eq!(decode_input(&[bytes.as_slice(), &[0]].concat()), None);
        }
        let outputs = [
            KvOutput::Value(None),
            KvOutput::Value(Some(v)),
            KvOutput::Done,
            KvOutput::Cas(false),
            KvOutput::Cas(true),
        ];
        for output in outputs {
            let bytes = encode_output(&output);
            assert_eq!(decode_output(&bytes), Some(output));
        }
        assert_eq!(decode_output(&[5]), None);
    }
}
