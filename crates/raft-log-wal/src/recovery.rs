//! Recovery: open the log file and replay its records into a `LogIndex`.
//!
//! One pass over wal-db's iterator (served from the read-ahead window, so no
//! syscall per record), applying each record with the same transitions the
//! live log used. Anything that does not decode or does not fit the state so
//! far is an error naming the file and the record's byte offset.

use std::path::Path;

use raft_core::Result;
use wal_db::{FileStore, OpenPolicy, Wal, WalConfig, WalError, WalStore};

use crate::format::{self, Record};
use crate::fsutil::{storage, wal_error};
use crate::index::{LogIndex, Slot};
use crate::past_damage::{self, Verdict};
use crate::store::ReadAheadStore;

/// Bytes wal-db puts before each record body (CRC32C and length; frozen for
/// wal-db 1.x). A command's file offset is the record's LSN plus this plus
/// its offset in the body.
pub(crate) const WAL_DB_HEADER_LEN: u64 = 8;

/// The largest record the log writes or accepts. A corrupt length field can
/// make wal-db allocate at most this much while scanning.
pub(crate) const MAX_RECORD_LEN: u32 = 64 << 20;

/// Opens (creating if needed) the wal-db log at `path`, refusing any damage
/// but a torn final record: for files this log writes itself (a
/// compaction's rewrite), where nothing past damage can be unsynced.
pub(crate) fn open_wal(
    context: &'static str,
    path: &Path,
) -> Result<(Wal<ReadAheadStore>, ReadAheadStore)> {
    let file = FileStore::open(path).map_err(|error| wal_error(context, path, error))?;
    let store = ReadAheadStore::new(file);
    let wal = Wal::with_store_and_config(store.clone(), wal_config())
        .map_err(|error| wal_error(context, path, error))?;
    Ok((wal, store))
}

/// Opens the existing log at `path` for recovery. Strict open cuts a torn
/// final record and stops at damage followed by intact data; then the sync
/// marks decide (`past_damage`): damage no intact record proves synced is the
/// loss of unsynced writes, cut (the file is truncated there and synced) so
/// the log restarts from its last synced state; damage to synced data is an
/// error naming the file and the damaged record's offset, the file untouched.
pub(crate) fn open_recovering(path: &Path) -> Result<(Wal<ReadAheadStore>, ReadAheadStore)> {
    const CONTEXT: &str = "open";
    let file = FileStore::open(path).map_err(|error| wal_error(CONTEXT, path, error))?;
    let store = ReadAheadStore::new(file);
    let (offset, reason) = match Wal::with_store_and_config(store.clone(), wal_config()) {
        Ok(wal) => return Ok((wal, store)),
        Err(WalError::Corruption { offset, reason }) => (offset, reason),
        Err(error) => return Err(wal_error(CONTEXT, path, error)),
    };
    let refuse = |detail: &dyn std::fmt::Display| {
        storage(
            CONTEXT,
            path,
            format_args!("{reason} at byte offset {offset}{detail}"),
        )
    };
    let read_error = |error: WalError| refuse(&format_args!(" (checking past it: {error})"));
    if past_damage::is_oversized_record(&store, offset).map_err(read_error)? {
        return Err(refuse(&""));
    }
    match past_damage::classify(&store, offset).map_err(read_error)? {
        Verdict::Synced { proof } => Err(refuse(&format_args!(
            ", in synced data: the intact record at byte offset {proof} was written after \
             a sync that covered it"
        ))),
        Verdict::Unsynced => {
            // Only writes no sync covered are lost; Raft never acted on them.
            store
                .truncate(offset)
                .and_then(|()| store.sync())
                .map_err(|error| wal_error(CONTEXT, path, error))?;
            let wal = Wal::with_store_and_config(store.clone(), wal_config())
                .map_err(|error| wal_error(CONTEXT, path, error))?;
            Ok((wal, store))
        }
    }
}

fn wal_config() -> WalConfig {
    WalConfig::new()
        .with_max_record_size(MAX_RECORD_LEN)
        .with_open_policy(OpenPolicy::Strict)
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
        // Only recovery past damage reads it (`past_damage`).
        Record::Synced => {}
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
