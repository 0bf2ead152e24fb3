//! Version-1 snapshot files, from before snapshots were streamed: one
//! wal-db record holding the whole snapshot. `WalLog::open` reads one it
//! finds and rewrites it as version 2 (see `mod.rs`), so only this module
//! knows the old layout.

use std::path::Path;
#[cfg(test)]
use std::path::PathBuf;

use raft_core::{Index, Membership, Result, Snapshot, Term};
use wal_db::{MemStore, OpenPolicy, Wal, WalConfig};

use super::file_name;
use crate::format;
#[cfg(test)]
use crate::fsutil::{TEMP_SUFFIX, sync_dir};
use crate::fsutil::{storage, wal_error};

/// Writes `snapshot` as a version-1 file (what builds before version 2
/// wrote), for the tests of the upgrade.
#[cfg(test)]
pub(crate) fn write(dir: &Path, snapshot: &Snapshot, membership: &Membership) -> Result<()> {
    let path = dir.join(file_name(snapshot.index, snapshot.term));
    let temp = PathBuf::from(format!("{}{TEMP_SUFFIX}", path.display()));
    let body = format::encode_snapshot_file(snapshot, membership)
        .map_err(|reason| storage("apply snapshot", &path, reason))?;
    let max = u32::try_from(body.len())
        .map_err(|_| storage("apply snapshot", &path, "snapshot larger than 4 GiB"))?;
    match std::fs::remove_file(&temp) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(storage("apply snapshot", &temp, error)),
    }
    {
        let config = WalConfig::new().with_max_record_size(max);
        let wal = Wal::open_with(&temp, config)
            .map_err(|error| wal_error("apply snapshot", &temp, error))?;
        wal.append(&body)
            .and_then(|_| wal.sync())
            .map_err(|error| wal_error("apply snapshot", &temp, error))?;
    }
    std::fs::rename(&temp, &path).map_err(|error| storage("apply snapshot", &path, error))?;
    sync_dir(dir).map_err(|error| storage("apply snapshot", dir, error))
}

/// Reads and verifies the snapshot the log refers to. Missing, torn, damaged
/// or mismatched files are `Error::Storage` naming the file.
pub(crate) fn read(dir: &Path, index: Index, term: Term) -> Result<(Snapshot, Membership)> {
    let path = dir.join(file_name(index, term));
    let bytes = std::fs::read(&path).map_err(|error| {
        let detail = if error.kind() == std::io::ErrorKind::NotFound {
            "the snapshot file the log refers to is missing".to_owned()
        } else {
            error.to_string()
        };
        storage("open", &path, detail)
    })?;
    let file_len = bytes.len() as u64;
    // The record can be no longer than the file, which bounds what a corrupt
    // length field can make wal-db allocate.
    let max = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    let config = WalConfig::new()
        .with_max_record_size(max)
        .with_open_policy(OpenPolicy::Strict);
    // Recover from an in-memory copy so a damaged file is reported, never cut.
    let wal = Wal::with_store_and_config(MemStore::from_bytes(bytes), config)
        .map_err(|error| wal_error("open", &path, error))?;
    if wal.truncated_on_open() != 0 {
        let offset = file_len - wal.truncated_on_open();
        return Err(storage(
            "open",
            &path,
            format_args!("snapshot file is torn or damaged at byte offset {offset}"),
        ));
    }
    let mut records = wal
        .iter()
        .map_err(|error| wal_error("open", &path, error))?;
    let record = match records.next() {
        Some(record) => record.map_err(|error| wal_error("open", &path, error))?,
        None => return Err(storage("open", &path, "snapshot file is empty")),
    };
    if records.next().is_some() {
        return Err(storage(
            "open",
            &path,
            "snapshot file holds more than one record",
        ));
    }
    let (snapshot, membership) = format::decode_snapshot_file(record.data())
        .map_err(|reason| storage("open", &path, format_args!("{reason} at byte offset 0")))?;
    if (snapshot.index, snapshot.term) != (index, term) {
        return Err(storage(
            "open",
            &path,
            format_args!(
                "snapshot file holds index {} term {}, the log expects index {index} term {term}",
                snapshot.index, snapshot.term
            ),
        ));
    }
    Ok((snapshot, membership))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_and_detect_damage() {
        let dir = tempfile::tempdir().unwrap();
        let snap = Snapshot::with_config(7, 2, vec![1, 2, 3], vec![5; 100]);
        let config = Membership::with_learners([1, 2, 3], [4]);
        write(dir.path(), &snap, &config).unwrap();
        assert_eq!(read(dir.path(), 7, 2).unwrap(), (snap, config));
        assert!(
            read(dir.path(), 7, 3)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );

        let path = dir.path().join(file_name(7, 2));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[40] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let err = read(dir.path(), 7, 2).unwrap_err().to_string();
        assert!(err.contains("byte offset 0"), "{err}");
        std::fs::write(&path, &bytes[..20]).unwrap();
        assert!(read(dir.path(), 7, 2).is_err());
    }
}
