//! The directory lock: one `WalLog` per directory, across processes.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use raft_core::{Error, Result};

use crate::fsutil::{LOCK_FILE, storage};

/// Takes the exclusive lock on `dir/LOCK`, held until the returned file is
/// dropped. The lock is advisory (`flock` on Unix, `LockFileEx` on Windows)
/// and belongs to this open file, so a second open in the same process is
/// refused as well.
pub(crate) fn lock_dir(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|error| storage("open", &path, error))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Error::storage(
            "open",
            format_args!(
                "{}: the log is locked by another process (or another WalLog in this one)",
                dir.display()
            ),
        )),
        Err(TryLockError::Error(error)) => Err(storage("open", &path, error)),
    }
}
