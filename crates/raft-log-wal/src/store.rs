//! `ReadAheadStore`: wal-db's `FileStore` with a bounded read-ahead window.
//!
//! wal-db reads every record with two small positioned reads (header, then
//! payload), and does so twice on open (its own scan, then our replay). Served
//! from the file that is four syscalls per record. The window turns a
//! sequential scan into one `pread` per `WINDOW_LEN` bytes. Once recovery is
//! done the window is switched off: later reads are `WalLog`'s own bulk reads,
//! which are already one `pread` per run of entries and would only be slowed
//! by copying a megabyte for each.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use wal_db::{FileStore, WalStore};

/// Bytes read ahead on a miss. Memory cost: one buffer of this size per log.
pub(crate) const WINDOW_LEN: usize = 1 << 20;

/// Reads at least this long bypass the window (they would evict it for
/// nothing and gain nothing from it).
const BYPASS_LEN: usize = WINDOW_LEN / 2;

/// A cheaply clonable handle: the `Wal` owns one clone, `WalLog` keeps another
/// for its own positioned reads of entry commands.
#[derive(Clone, Debug)]
pub(crate) struct ReadAheadStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: FileStore,
    window: Mutex<Window>,
    /// Whether reads go through the window (only while recovering).
    read_ahead: AtomicBool,
}

/// The cached bytes `[start, start + bytes.len())` of the file.
#[derive(Debug, Default)]
struct Window {
    start: u64,
    bytes: Vec<u8>,
}

impl Window {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.bytes.len() as u64)
    }

    /// Copies `buf.len()` bytes at `offset` if the window holds all of them.
    fn copy_out(&self, offset: u64, buf: &mut [u8]) -> bool {
        let Some(from) = offset.checked_sub(self.start) else {
            return false;
        };
        let Ok(from) = usize::try_from(from) else {
            return false;
        };
        let Some(src) = from
            .checked_add(buf.len())
            .and_then(|to| self.bytes.get(from..to))
        else {
            return false;
        };
        buf.copy_from_slice(src);
        true
    }

    /// Drops the window if `[offset, end)` overlaps it, so no stale byte is
    /// ever served after a write or a truncation.
    fn invalidate(&mut self, offset: u64, end: u64) {
        if offset < self.end() && end > self.start {
            self.bytes.clear();
        }
    }
}

impl ReadAheadStore {
    /// Wraps an opened `FileStore`.
    pub(crate) fn new(file: FileStore) -> Self {
        Self {
            inner: Arc::new(Inner {
                file,
                window: Mutex::new(Window::default()),
                read_ahead: AtomicBool::new(true),
            }),
        }
    }

    fn window(&self) -> MutexGuard<'_, Window> {
        // A panic while holding the lock cannot leave the window wrong in a
        // way that matters: at worst it is empty or holds valid bytes.
        self.inner
            .window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the sequential scan: frees the window and reads straight from the
    /// file from now on.
    pub(crate) fn end_read_ahead(&self) {
        self.inner.read_ahead.store(false, Ordering::Release);
        self.window().bytes = Vec::new();
    }
}

impl WalStore for ReadAheadStore {
    fn write_at(&self, offset: u64, bytes: &[u8]) -> wal_db::Result<()> {
        let end = offset.saturating_add(bytes.len() as u64);
        self.window().invalidate(offset, end);
        self.inner.file.write_at(offset, bytes)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> wal_db::Result<usize> {
        if buf.len() >= BYPASS_LEN || !self.inner.read_ahead.load(Ordering::Acquire) {
            return self.inner.file.read_at(offset, buf);
        }
        let mut window = self.window();
        if window.copy_out(offset, buf) {
            return Ok(buf.len());
        }
        // Miss: refill from `offset`. A short read means end of file, so the
        // window then holds only what exists.
        window.bytes.resize(WINDOW_LEN, 0);
        window.start = offset;
        let filled = match self.inner.file.read_at(offset, &mut window.bytes) {
            Ok(filled) => filled,
            Err(error) => {
                window.bytes.clear();
                return Err(error);
            }
        };
        window.bytes.truncate(filled);
        let n = filled.min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), window.bytes.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }

    fn truncate(&self, len: u64) -> wal_db::Result<()> {
        self.window().invalidate(len, u64::MAX);
        self.inner.file.truncate(len)
    }

    fn sync(&self) -> wal_db::Result<()> {
        self.inner.file.sync()
    }

    fn len(&self) -> wal_db::Result<u64> {
        self.inner.file.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_serves_reads_and_never_stale_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = ReadAheadStore::new(FileStore::open(dir.path().join("f")).unwrap());
        store.write_at(0, b"hello world").unwrap();
        let mut buf = [0u8; 5];
        assert_eq!(store.read_at(0, &mut buf).unwrap(), 5);
        assert_eq!(&buf, b"hello");
        store.write_at(6, b"WORLD").unwrap();
        assert_eq!(store.read_at(6, &mut buf).unwrap(), 5);
        assert_eq!(&buf, b"WORLD");
        store.truncate(8).unwrap();
        assert_eq!(store.read_at(6, &mut buf).unwrap(), 2);
        let mut past = [0u8; 4];
        assert_eq!(store.read_at(100, &mut past).unwrap(), 0);
        store.end_read_ahead();
        assert_eq!(store.read_at(0, &mut buf).unwrap(), 5);
        assert_eq!(&buf, b"hello");
    }
}
