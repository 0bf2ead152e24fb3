//! # raft-log-wal
//!
//! [`WalLog`]: a durable, crash-safe [`RaftLog`](raft_core::RaftLog) on
//! [wal-db](https://docs.rs/wal-db). It behaves exactly like
//! [`MemoryLog`](raft_core::MemoryLog) for every sequence of calls, and
//! after a crash it comes back with everything that was synced.
//!
//! Each mutation is one wal-db record (an appended batch is one record), so a
//! batch is one write and `sync` is one fdatasync. Recovery replays the
//! records in one pass; the record format is in `FORMAT.md`.
//!
//! ```
//! use raft_core::{LogEntry, RaftLog};
//! use raft_log_wal::WalLog;
//!
//! let dir = tempfile::tempdir()?;
//! let mut log = WalLog::open(dir.path())?;
//! log.append(&[LogEntry::new(1, 1, b"x".to_vec())])?;
//! log.sync()?;
//! drop(log);
//! assert_eq!(WalLog::open(dir.path())?.entries(1, 1)[0].command, b"x");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod compact;
mod format;
mod fsutil;
mod index;
mod lock;
mod past_damage;
mod reads;
mod recovery;
mod snapshot_file;
mod store;
mod wal_log;

pub use snapshot_file::SnapshotFileReader;
pub use wal_log::WalLog;

/// Bytes the in-memory index keeps per log entry: term (8), command offset
/// (8), command length (4), kind (1), whether it has a checksum (1), padded
/// to 24. Commands are read back
/// from the file, not kept.
///
/// ```
/// assert_eq!(raft_log_wal::INDEX_BYTES_PER_ENTRY, 24);
/// ```
pub const INDEX_BYTES_PER_ENTRY: usize = std::mem::size_of::<index::Slot>();

/// The record format version this build writes. It also reads version 1
/// (no sync marks, no command checksums); see docs/PROTOCOL.md §10.
///
/// ```
/// assert_eq!(raft_log_wal::FORMAT_VERSION, 2);
/// ```
pub const FORMAT_VERSION: u8 = format::VERSION;

/// The name of the log file inside the log's directory.
///
/// ```
/// use raft_core::{LogEntry, RaftLog};
/// let dir = tempfile::tempdir()?;
/// let mut log = raft_log_wal::WalLog::open(dir.path())?;
/// log.append(&[LogEntry::new(1, 1, vec![0; 64])])?;
/// let len = std::fs::metadata(dir.path().join(raft_log_wal::WAL_FILE_NAME))?.len();
/// assert!(len > 64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const WAL_FILE_NAME: &str = fsutil::WAL_FILE;
