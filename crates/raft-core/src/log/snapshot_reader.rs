//! `SnapshotReader`: the stored snapshot's data as a `std::io::Read`, one
//! `snapshot_chunk` at a time, so an application restores a state of any
//! size without the whole snapshot in memory.

use std::io;

use super::RaftLog;

/// **(ours)** Reads the stored snapshot's data from a [`RaftLog`] in the
/// caller's buffer sizes: what an application does on
/// `Action::RestoreSnapshotFromLog`, or at start-up before it builds the
/// node. It reads what the log stores at each call; build a new one after
/// the log stores another snapshot. A read that fails in the backend (see
/// [`RaftLog::read_error`]) or that ends before
/// [`RaftLog::snapshot_len`] bytes is an `io::Error`.
///
/// ```
/// use std::io::Read;
/// use raft_core::log::SnapshotReader;
/// use raft_core::{MemoryLog, RaftLog, Snapshot};
///
/// let mut log = MemoryLog::new();
/// log.apply_snapshot(&Snapshot::new(3, 1, b"the whole state".to_vec())).unwrap();
/// let mut reader = SnapshotReader::new(&log);
/// let mut first = [0u8; 4];
/// reader.read_exact(&mut first).unwrap();
/// assert_eq!(&first, b"the ");
/// let mut rest = String::new();
/// reader.read_to_string(&mut rest).unwrap();
/// assert_eq!(rest, "whole state");
/// ```
#[derive(Debug)]
pub struct SnapshotReader<'a, L: ?Sized> {
    log: &'a L,
    offset: u64,
    len: u64,
}

impl<'a, L: RaftLog + ?Sized> SnapshotReader<'a, L> {
    /// A reader at the start of `log`'s stored snapshot (empty if none).
    pub fn new(log: &'a L) -> Self {
        Self {
            log,
            offset: 0,
            len: log.snapshot_len(),
        }
    }

    /// The snapshot's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the snapshot has no data.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes read so far.
    pub fn position(&self) -> u64 {
        self.offset
    }
}

impl<L: RaftLog + ?Sized> io::Read for SnapshotReader<'_, L> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.offset);
        let wanted = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if wanted == 0 {
            return Ok(0);
        }
        let chunk = self.log.snapshot_chunk(self.offset, wanted);
        if let Some(error) = self.log.read_error() {
            return Err(io::Error::other(error));
        }
        if chunk.is_empty() || chunk.len() > wanted {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the stored snapshot ended at byte {} of {}",
                    self.offset, self.len
                ),
            ));
        }
        buf[..chunk.len()].copy_from_slice(&chunk);
        self.offset += chunk.len() as u64;
        Ok(chunk.len())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::{MemoryLog, Snapshot};

    fn log_of(data: &[u8]) -> MemoryLog {
        let mut log = MemoryLog::new();
        log.apply_snapshot(&Snapshot::new(1, 1, data.to_vec()))
            .unwrap();
        log
    }

    #[test]
    fn it_reports_its_length_and_position() {
        let log = log_of(b"abcde");
        let mut reader = SnapshotReader::new(&log);
        assert_eq!(
            (reader.len(), reader.is_empty(), reader.position()),
            (5, false, 0)
        );
        let mut two = [0u8; 2];
        reader.read_exact(&mut two).unwrap();
        assert_eq!(reader.position(), 2);
        let empty = MemoryLog::new();
        let reader = SnapshotReader::new(&empty);
        assert_eq!((reader.len(), reader.is_empty()), (0, true));
    }

    /// A log whose chunks are at most `cap` bytes, or none at all.
    struct Stingy {
        inner: MemoryLog,
        cap: usize,
    }

    impl RaftLog for Stingy {
        fn last_index(&self) -> crate::Index {
            self.inner.last_index()
        }
        fn last_term(&self) -> crate::Term {
            self.inner.last_term()
        }
        fn term_at(&self, index: crate::Index) -> Option<crate::Term> {
            self.inner.term_at(index)
        }
        fn entry(&self, index: crate::Index) -> Option<crate::LogEntry> {
            self.inner.entry(index)
        }
        fn append(&mut self, entries: &[crate::LogEntry]) -> crate::Result<()> {
            self.inner.append(entries)
        }
        fn truncate(&mut self, from: crate::Index) -> crate::Result<()> {
            self.inner.truncate(from)
        }
        fn hard_state(&self) -> crate::HardState {
            self.inner.hard_state()
        }
        fn set_hard_state(&mut self, state: crate::HardState) -> crate::Result<()> {
            self.inner.set_hard_state(state)
        }
        fn sync(&mut self) -> crate::Result<()> {
            Ok(())
        }
        fn snapshot_len(&self) -> u64 {
            self.inner.snapshot_len()
        }
        fn snapshot_chunk(&self, offset: u64, len: usize) -> Vec<u8> {
            self.inner.snapshot_chunk(offset, len.min(self.cap))
        }
    }

    #[test]
    fn short_chunks_are_read_on_and_a_missing_one_is_an_error() {
        let short = Stingy {
            inner: log_of(b"abcdefgh"),
            cap: 3,
        };
        let mut data = Vec::new();
        SnapshotReader::new(&short).read_to_end(&mut data).unwrap();
        assert_eq!(data, b"abcdefgh");

        let none = Stingy {
            inner: log_of(b"abcdefgh"),
            cap: 0,
        };
        let error = SnapshotReader::new(&none)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
