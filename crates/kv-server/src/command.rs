//! The KV store's commands, queries and answers as bytes: what goes into
//! the Raft log and what comes back. Decoding is total: bad bytes give
//! `None`, never a panic.

/// A write, replicated through the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Set `key` to `value`.
    Put {
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Remove `key`.
    Delete {
        /// The key.
        key: Vec<u8>,
    },
    /// Set `key` to `new` if its value is `expected` (`None`: absent).
    Cas {
        /// The key.
        key: Vec<u8>,
        /// The value required for the swap.
        expected: Option<Vec<u8>>,
        /// The value written on success.
        new: Vec<u8>,
    },
}

const PUT: u8 = 1;
const DELETE: u8 = 2;
const CAS: u8 = 3;

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // Keys and values are bounded far below 4 GiB by the HTTP limits.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Reads a length-prefixed byte string from the front of `input`.
pub(crate) fn take_bytes<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = input.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    let (bytes, rest) = (rest.get(..len)?, rest.get(len..)?);
    *input = rest;
    Some(bytes)
}

impl Command {
    /// The command as log bytes.
    ///
    /// ```
    /// use kv_server::Command;
    /// let put = Command::Put { key: b"k".to_vec(), value: b"v".to_vec() };
    /// assert_eq!(Command::decode(&put.encode()), Some(put));
    /// assert_eq!(Command::decode(&[9, 9]), None);
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Command::Put { key, value } => {
                out.push(PUT);
                put_bytes(&mut out, key);
                out.extend_from_slice(value);
            }
            Command::Delete { key } => {
                out.push(DELETE);
                put_bytes(&mut out, key);
            }
            Command::Cas { key, expected, new } => {
                out.push(CAS);
                put_bytes(&mut out, key);
                match expected {
                    Some(expected) => {
                        out.push(1);
                        put_bytes(&mut out, expected);
                    }
                    None => out.push(0),
                }
                out.extend_from_slice(new);
            }
        }
        out
    }

    /// A command from log bytes, `None` if they are not one.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (&tag, mut rest) = bytes.split_first()?;
        let key = take_bytes(&mut rest)?.to_vec();
        match tag {
            PUT => Some(Command::Put {
                key,
                value: rest.to_vec(),
            }),
            DELETE if rest.is_empty() => Some(Command::Delete { key }),
            CAS => {
                let (&has_expected, mut rest) = rest.split_first()?;
                let expected = match has_expected {
                    0 => None,
                    1 => Some(take_bytes(&mut rest)?.to_vec()),
                    _ => return None,
                };
                Some(Command::Cas {
                    key,
                    expected,
                    new: rest.to_vec(),
                })
            }
            _ => None,
        }
    }
}

/// A `Get` query: the key itself.
pub fn encode_get(key: &[u8]) -> Vec<u8> {
    key.to_vec()
}

/// A value answer: `0` for absent, `1` then the value.
///
/// ```
/// use kv_server::{decode_value, encode_value};
/// assert_eq!(decode_value(&encode_value(Some(b"v"))), Some(Some(b"v".to_vec())));
/// assert_eq!(decode_value(&encode_value(None)), Some(None));
/// assert_eq!(decode_value(&[]), None);
/// ```
pub fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![0],
        Some(value) => {
            let mut out = Vec::with_capacity(1 + value.len());
            out.push(1);
            out.extend_from_slice(value);
            out
        }
    }
}

/// The inverse of [`encode_value`]; `None` for bytes that are not one.
pub fn decode_value(bytes: &[u8]) -> Option<Option<Vec<u8>>> {
    match bytes.split_first()? {
        (0, []) => Some(None),
        (1, value) => Some(Some(value.to_vec())),
        _ => None,
    }
}
