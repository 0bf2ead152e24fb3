//! Compaction: rewrite the live state into a fresh log file.
//!
//! After a snapshot the log file still holds everything the snapshot covers.
//! Rather than reclaim it in place, the live state (snapshot marker, hard
//! state, the entries after the snapshot) is written to `log.wal.tmp`, synced,
//! and renamed over `log.wal`; the directory is then synced. A crash before
//! the rename leaves the old file (the temp file is debris removed on open);
//! after it, the new one. Either is a complete log. The file is then exactly
//! as large as the live tail.

use std::path::Path;

use raft_core::{HardState, Index, Result, Term};
use wal_db::{Wal, WalError};

use crate::format;
use crate::fsutil::{WAL_FILE, WAL_REWRITE_FILE, storage, wal_error};
use crate::index::Slot;
use crate::reads::read_entries;
use crate::recovery::{WAL_DB_HEADER_LEN, open_wal};
use crate::store::ReadAheadStore;

/// Entries are copied in records of about this many command bytes, so the
/// rewrite never holds the whole tail in memory and no record nears the
/// record size limit.
const CHUNK_BYTES: u64 = 4 << 20;

/// The live state to write.
pub(crate) struct LiveState<'a> {
    /// The snapshot boundary.
    pub(crate) snapshot_index: Index,
    /// The term at the boundary.
    pub(crate) snapshot_term: Term,
    /// The hard state.
    pub(crate) hard_state: HardState,
    /// The entries after the boundary, located in `source`.
    pub(crate) tail: &'a [Slot],
}

/// A synced, complete log file under its temporary name.
pub(crate) struct Rewritten {
    pub(crate) wal: Wal<ReadAheadStore>,
    pub(crate) store: ReadAheadStore,
    /// The tail's slots, pointing into the new file.
    pub(crate) slots: Vec<Slot>,
}

/// Writes `state` (reading commands from `source`) into `dir/log.wal.tmp`
/// and syncs it. The caller renames it into place.
pub(crate) fn rewrite(
    dir: &Path,
    source: &ReadAheadStore,
    state: &LiveState<'_>,
) -> Result<Rewritten> {
    const CONTEXT: &str = "apply snapshot";
    let path = dir.join(WAL_REWRITE_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(storage(CONTEXT, &path, error)),
    }
    let (wal, store) = open_wal(CONTEXT, &path)?;
    // A fresh file is not scanned again, so the window is not needed.
    store.end_read_ahead();
    let append = |bytes: &[u8]| -> Result<u64> {
        wal.append(bytes)
            .map(|lsn| lsn.get())
            .map_err(|error: WalError| wal_error(CONTEXT, &path, error))
    };

    // Nothing of the new file is synced while it is written (it is synced
    // whole before the rename), so its records' sync marks are 0.
    let mut buf = Vec::new();
    format::encode_snapshot_marker(&mut buf, state.snapshot_index, state.snapshot_term, 0);
    append(&buf)?;
    format::encode_hard_state(&mut buf, state.hard_state, 0);
    append(&buf)?;

    let mut slots = Vec::with_capacity(state.tail.len());
    let mut offsets = Vec::new();
    let mut rest = state.tail;
    let mut first = state.snapshot_index + 1;
    while !rest.is_empty() {
        let count = chunk_len(rest);
        let (chunk, tail) = rest.split_at(count);
        // A command that fails its checksum is not copied into the new file.
        let entries = read_entries(source, first, chunk)
            .map_err(|(_, detail)| storage(CONTEXT, &dir.join(WAL_FILE), detail))?;
        format::encode_entries(&mut buf, entries.iter(), first, 0, &mut offsets)
            .map_err(|reason| storage(CONTEXT, &path, reason))?;
        let base = append(&buf)? + WAL_DB_HEADER_LEN;
        for (slot, &(offset, len)) in chunk.iter().zip(&offsets) {
            slots.push(Slot {
                pos: base + offset as u64,
                len,
                checked: true,
                ..*slot
            });
        }
        first += count as u64;
        rest = tail;
    }
    wal.sync()
        .map_err(|error| wal_error(CONTEXT, &path, error))?;
    Ok(Rewritten { wal, store, slots })
}

/// How many leading slots (at least one) go into the next record.
fn chunk_len(slots: &[Slot]) -> usize {
    let mut bytes = 0u64;
    let mut count = 0;
    for slot in slots {
        // Count the entry header too, so a run of empty commands is bounded.
        bytes += u64::from(slot.len) + format::ENTRY_HEADER_LEN as u64;
        if count > 0 && bytes > CHUNK_BYTES {
            break;
        }
        count += 1;
    }
    count
}
