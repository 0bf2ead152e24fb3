//! # raft-wire
//!
//! Raft messages on the wire: a versioned binary frame per message built on
//! [`pack_io`]'s primitive encodings, a length-delimited stream framing, and
//! [`TcpTransport`] / [`TcpInbox`], a blocking `std::net` transport whose
//! connections open with a [`Hello`] (cluster id and node id) that the
//! receiver checks, optionally over mutual TLS (feature `tls`).
//!
//! ```
//! use raft_core::{AppendEntries, LogEntry, Message};
//!
//! let message = Message::AppendEntries(AppendEntries {
//!     term: 3, leader: 1, prev_log_index: 6, prev_log_term: 2,
//!     entries: vec![LogEntry::new(3, 7, b"put k v".to_vec())],
//!     leader_commit: 6,
//! });
//! let bytes = raft_wire::encode(&message).unwrap();
//! assert_eq!(raft_wire::decode(&bytes).unwrap(), message);
//! ```
//!
//! The byte layout is specified in `FORMAT.md` in this crate and pinned by
//! golden snapshots in `tests/`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod decode;
mod encode;
mod frame;
mod handshake;
mod inbox;
mod secure;
mod stream;
mod tcp;
#[cfg(feature = "tls")]
mod tls;

pub use config::TcpConfig;
pub use decode::decode;
pub use encode::{encode, encode_into};
pub use frame::{FORMAT_VERSION, HEADER_LEN};
pub use handshake::Hello;
pub use inbox::{InboxStats, TcpInbox};
pub use stream::{
    DEFAULT_MAX_FRAME_LEN, LENGTH_PREFIX_LEN, encode_length_prefixed, read_frame, write_frame,
};
pub use tcp::{TcpStats, TcpTransport};
#[cfg(feature = "tls")]
pub use tls::{TlsIdentity, node_dns_name};
