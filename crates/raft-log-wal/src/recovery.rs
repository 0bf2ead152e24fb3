//! Recovery: open the log file and replay its records into a `LogIndex`.
//!
//! One pass over wal-db's iterator (served from the read-ahead window, so no
//! syscall per record), applying each record with the same transitions the
//! live log used. Anything that does not decode or does not fit the state so
//! far is an error naming the file and the record's byte offset.

use std::path::Path;

use raft_core::Result;
use wal_db::{FileStore, OpenPolicy, Wal, WalConfig};

use crate::format::{self, Record};
use crate::fsutil::wal_error;
use crate::index::{LogIndex, Slot};
use crate::store::ReadAheadStore;

/// Bytes wal-db puts before each record body (CRC32C and length; frozen for
/// wal-db 1.x). A command's file offset is the record's LSN plus this plus
/// its offset in the body.
pub(crate) const WAL_DB_HEADER_LEN: u64 = 8;

/// The largest record the log writes or accepts. A corrupt length field can
/// make wal-db allocate at most this much while scanning.
pub(crate) const MAX_RECORD_LEN: u32 = 64 << 20;

/// Opens (creating if needed) the wal-db log at `path`. `Strict` makes
/// damage followed by intact records an error instead of a silent cut; a
/// damaged final record (a torn tail) is still cut.
pub(crate) fn open_wal(
    context: &'static str,
    path: &Path,
) -> Result<(Wal<ReadAheadStore>, ReadAheadStore)> {
    let file = FileStore::open(path).map_err(|error| wal_error(context, path, error))?;
    let store = ReadAheadStore::new(file);
    let config = WalConfig::new()
        .with_max_record_size(MAX_RECORD_LEN)
        .with_open_policy(OpenPolicy::Strict);
    let wal = Wal::with_store_and_config(store.clone(), config)
        .map_err(|error| wal_error(context, path, error))?;
    Ok((wal, store))
}

/// Rebuilds the logical state from every record of `wal`.
pub(crate) fn replay(wal: &Wal<ReadAheadStore>, path: &Path) -> Result<LogIndex> {
    let mut index = LogIndex::default();
    let records = wal.iter().map_err(|error| wal_error("open", path, error))?;
    for record in records {
        let record = record.map_err(|error| wal_error("open", path, error))?;
        let lsn = record.lsn().get();
        apply(&mut index, lsn, record.data()).map_err(|reason| {
            crate::fsutil::storage(
                "open",
                path,
                format_args!("record at byte offset {lsn}: {reason}"),
            )
        })?;
    }
    Ok(index)
}

/// Applies one record at `lsn` to `index`.
fn apply(index: &mut LogIndex, lsn: u64, bytes: &[u8]) -> Result<(), String> {
    let (record, _mark) = format::decode(bytes)?;
    match record {
        Record::Entries(batch) => {
            let expected = index.last_index() + 1;
            if batch.first != expected {
                return Err(format!(
                    "entries start at index {} but the log continues at {expected}",
                    batch.first
                ));
            }
            let base = lsn + WAL_DB_HEADER_LEN;
            // `count` was checked against the record length, so this reserve
            // is bounded by the bytes actually read.
            index.slots.reserve(batch.count as usize);
            batch.for_each(|entry| {
                index.slots.push(Slot {
                    term: entry.term,
                    pos: base + entry.command_offset as u64,
                    len: entry.len,
                    kind: entry.kind,
                    checked: entry.checked,
                });
            })?;
        }
        Record::Truncate { from } => {
            index.check_truncate(from)?;
            index.truncate(from);
        }
        Record::HardState(state) => index.hard_state = state,
        Record::Snapshot { index: at, term } => {
            if at <= index.snapshot_index {
                return Err(format!(
                    "snapshot marker at index {at} does not advance the snapshot at {}",
                    index.snapshot_index
                ));
            }
            index.apply_snapshot(at, term);
        }
    }
    Ok(())
}
