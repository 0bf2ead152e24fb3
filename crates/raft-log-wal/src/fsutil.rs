//! Directory layout, directory fsync and error wording shared by the modules.

use std::fmt::Display;
use std::fs::File;
use std::io;
use std::path::Path;

use raft_core::Error;
use wal_db::WalError;

/// The log file inside the directory.
pub(crate) const WAL_FILE: &str = "log.wal";
/// Where a compaction rewrites the live tail before renaming it over
/// `WAL_FILE`.
pub(crate) const WAL_REWRITE_FILE: &str = "log.wal.tmp";
/// The lock file; its exclusive lock marks the directory as in use.
pub(crate) const LOCK_FILE: &str = "LOCK";
/// Suffix of every file that is only valid once renamed; leftovers are
/// debris from a crash and are removed on open.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// Makes the directory's entries (creations, renames, removals) durable.
/// Without it a rename can be lost on power failure even though both files
/// were synced.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes crash debris: every `*.tmp` file in `dir`.
pub(crate) fn remove_temp_files(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let is_temp = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.ends_with(TEMP_SUFFIX));
        if is_temp && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// A `Storage` error that names the file involved.
pub(crate) fn storage(context: &'static str, file: &Path, detail: impl Display) -> Error {
    Error::storage(context, format_args!("{}: {detail}", file.display()))
}

/// A `Storage` error from wal-db, naming the file and, for damage, the byte
/// offset (the record's LSN).
pub(crate) fn wal_error(context: &'static str, file: &Path, error: WalError) -> Error {
    match error {
        WalError::Corruption { offset, reason } => storage(
            context,
            file,
            format_args!("{reason} at byte offset {offset}"),
        ),
        other => storage(context, file, other),
    }
}
