//! A byte-level key-value store to test with: [`KvMachine`], a
//! [`StateMachine`](crate::StateMachine) serving [`KvInput`](crate::KvInput) requests; the
//! byte encoding its clients speak ([`encode_input`], [`decode_output`]...);
//! and [`KvBytesModel`], the [`KvModel`](crate::KvModel) over those bytes,
//! to check a cluster's client history.
//!
//! ```
//! use raft_testkit::kv::{self, Input, Output};
//! use raft_testkit::KvInput;
//!
//! let put: Input = KvInput::Put(b"x".to_vec(), b"1".to_vec());
//! assert_eq!(kv::decode_input(&kv::encode_input(&put)), Some(put));
//! let read = Output::Value(Some(b"1".to_vec()));
//! assert_eq!(kv::decode_output(&kv::encode_output(&read)), Some(read));
//! ```

mod codec;
mod machine;
mod model;

pub use codec::{decode_input, decode_output, encode_input, encode_output};
pub use machine::KvMachine;
pub use model::KvBytesModel;

/// A [`KvMachine`] request: keys and values are bytes.
pub type Input = crate::KvInput<Vec<u8>, Vec<u8>>;

/// A [`KvMachine`] response.
pub type Output = crate::KvOutput<Vec<u8>>;
