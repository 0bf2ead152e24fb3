//! Recovery past damage: was the damaged record synced?
//!
//! A power loss can persist a later unsynced record and not an earlier one
//! (page write-back has no order), which looks exactly like damage followed
//! by intact data. Raft may lose what was never synced (the node syncs before
//! anything that depends on a write leaves it), so that case should restart
//! from the last synced state; damage to synced data must refuse.
//!
//! Every version-2 record carries a *sync mark*: the file length the last
//! completed sync had made durable when it was written, and each sync is
//! followed by a `SYNCED` record carrying what it covered. So an intact
//! record after the damage whose mark is above the damaged offset proves the
//! damage is in synced data. If no intact record says so, everything from the
//! damage on was written after the last sync whose effect survives, and may
//! be cut. A version-1 record says nothing about syncs, so one found intact
//! past the damage refuses, as before version 2.

use wal_db::WalStore;

use crate::format::{RECORD_HEADER_LEN, peek_sync_mark};
use crate::recovery::{MAX_RECORD_LEN, WAL_DB_HEADER_LEN};
use crate::store::ReadAheadStore;

/// wal-db's record header (CRC32C, length), as a length in memory.
const FRAMING_LEN: usize = 8;
const _: () = assert!(FRAMING_LEN as u64 == WAL_DB_HEADER_LEN);

/// What the bytes after damage at some offset say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No intact record proves a sync covered the damage: it and everything
    /// after it were unsynced writes, and may be cut.
    Unsynced,
    /// The intact record at `proof` was written after a sync covering the
    /// damage (or is a version-1 record, which cannot say): refuse.
    Synced {
        /// Byte offset of the record that proves it.
        proof: u64,
    },
}

/// Classifies damage at byte offset `damage` of the log in `store` by
/// scanning every later offset for an intact record (wal-db framing, a
/// matching CRC32C) whose sync mark covers `damage`. Reads go through the
/// store's read-ahead window, so the scan costs one `pread` per MiB plus one
/// per candidate that passes the cheap checks (a plausible length, one of our
/// versions and tags, a mark above `damage` and not above its own offset).
pub(crate) fn classify(store: &ReadAheadStore, damage: u64) -> wal_db::Result<Verdict> {
    let file_len = store.len()?;
    let prefix_len = FRAMING_LEN + RECORD_HEADER_LEN;
    let mut prefix = vec![0u8; prefix_len];
    let mut body = Vec::new();
    let mut at = damage;
    while at.saturating_add(WAL_DB_HEADER_LEN) < file_len {
        at += 1;
        let n = store.read_at(at, &mut prefix)?;
        let Some(header) = prefix.get(..n) else {
            break;
        };
        if let Some(len) = candidate_len(header, at, damage, file_len) {
            body.resize(len, 0);
            let body_at = at + WAL_DB_HEADER_LEN;
            if store.read_at(body_at, &mut body)? == len && intact(header, &body) {
                return Ok(Verdict::Synced { proof: at });
            }
        }
    }
    Ok(Verdict::Unsynced)
}

/// Whether the record at `damage` itself is only over the length limit (a
/// log written with a larger one) with its whole body present: never a torn
/// write, so never cut.
pub(crate) fn is_oversized_record(store: &ReadAheadStore, damage: u64) -> wal_db::Result<bool> {
    let mut header = [0u8; FRAMING_LEN];
    if store.read_at(damage, &mut header)? < header.len() {
        return Ok(false);
    }
    let len = u64::from(read_u32(&header, 4));
    let end = damage.saturating_add(WAL_DB_HEADER_LEN).saturating_add(len);
    Ok(len > u64::from(MAX_RECORD_LEN) && end <= store.len()?)
}

/// The body length of a record at `at` worth a checksum: framing that fits
/// the file, one of our versions and tags, and a sync mark that covers
/// `damage` (or none, version 1) without exceeding the record's own offset.
fn candidate_len(header: &[u8], at: u64, damage: u64, file_len: u64) -> Option<usize> {
    let framing = header.get(..FRAMING_LEN)?;
    let len = read_u32(framing, 4);
    let end = at
        .checked_add(WAL_DB_HEADER_LEN)?
        .checked_add(u64::from(len))?;
    if len == 0 || len > MAX_RECORD_LEN || end > file_len {
        return None;
    }
    let body_start = header.get(FRAMING_LEN..)?;
    let body_start = body_start.get(..body_start.len().min(len as usize))?;
    match peek_sync_mark(body_start)? {
        Some(mark) if mark <= damage || mark > at => None,
        _ => usize::try_from(len).ok(),
    }
}

/// wal-db's check: the CRC32C of the length field and the body.
fn intact(header: &[u8], body: &[u8]) -> bool {
    let (Some(stored), Some(length)) = (header.get(..4), header.get(4..8)) else {
        return false;
    };
    let crc = crc32c::crc32c_append(crc32c::crc32c(length), body);
    stored == crc.to_le_bytes()
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut raw = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        raw.copy_from_slice(src);
    }
    u32::from_le_bytes(raw)
}
