//! Bulk reads of entry commands: one positioned read per run of entries that
//! sit next to each other in the file, each command checked against the
//! checksum stored right before it (record version 2), so damage after open
//! is reported, never handed out.

use raft_core::{Index, LogEntry};
use wal_db::WalStore;

use crate::format::{CHECKSUM_LEN, command_checksum};
use crate::index::Slot;
use crate::store::ReadAheadStore;

/// Entries whose commands are at most this far apart share one read. Covers
/// the 13-byte entry header inside a batch and the 35 bytes between the last
/// command of one batch record and the first of the next.
const MAX_GAP: u64 = 64;

/// A run never reads more than this in one go (plus one command), so a huge
/// range does not need one huge buffer on top of the result.
const MAX_RUN: u64 = 8 << 20;

/// Reads the commands of `slots`, the entries from `first` on, and returns
/// them as entries. Stops early (returning the prefix read so far, every
/// entry of it verified) and reports the failure if the file cannot be read
/// or a command does not match its checksum.
pub(crate) fn read_entries(
    store: &ReadAheadStore,
    first: Index,
    slots: &[Slot],
) -> Result<Vec<LogEntry>, (Vec<LogEntry>, String)> {
    let mut out = Vec::with_capacity(slots.len());
    let mut rest = slots;
    let mut index = first;
    let mut buf = Vec::new();
    while let Some(head) = rest.first() {
        let run_len = run_length(rest);
        let (run, tail) = rest.split_at(run_len.min(rest.len()));
        // The head's checksum sits just before its command; the others' lie
        // in the gaps the run already spans.
        let start = head
            .pos
            .saturating_sub(if head.checked { CHECKSUM_LEN as u64 } else { 0 });
        let end = run
            .last()
            .map_or(start, |slot| slot.pos + u64::from(slot.len));
        let Ok(span) = usize::try_from(end - start) else {
            return Err((out, "read span exceeds the address space".to_owned()));
        };
        buf.clear();
        buf.resize(span, 0);
        match store.read_at(start, &mut buf) {
            Ok(n) if n == span => {}
            Ok(n) => {
                let detail = format!("short read at byte offset {start}: {n} of {span} bytes");
                return Err((out, detail));
            }
            Err(error) => return Err((out, format!("read at byte offset {start}: {error}"))),
        }
        for slot in run {
            let from = usize::try_from(slot.pos - start).unwrap_or(usize::MAX);
            let to = from.saturating_add(slot.len as usize);
            let Some(command) = buf.get(from..to) else {
                return Err((out, format!("entry {index} lies outside its read")));
            };
            if slot.checked {
                let stored = from
                    .checked_sub(CHECKSUM_LEN)
                    .and_then(|at| buf.get(at..from))
                    .and_then(|raw| <[u8; CHECKSUM_LEN]>::try_from(raw).ok())
                    .map(u32::from_le_bytes);
                if stored != Some(command_checksum(index, command)) {
                    let detail = format!(
                        "entry {index}: the command at byte offset {} fails its checksum \
                         (damaged after it was written)",
                        slot.pos
                    );
                    return Err((out, detail));
                }
            }
            out.push(LogEntry {
                term: slot.term,
                index,
                kind: slot.kind,
                command: command.to_vec(),
            });
            index += 1;
        }
        rest = tail;
    }
    Ok(out)
}

/// How many leading slots of `slots` (at least one) can share one read.
fn run_length(slots: &[Slot]) -> usize {
    let Some(head) = slots.first() else { return 0 };
    let start = head.pos;
    let mut end = head.pos + u64::from(head.len);
    let mut len = 1;
    for slot in slots.iter().skip(1) {
        let close = slot.pos >= end && slot.pos - end <= MAX_GAP;
        let slot_end = slot.pos + u64::from(slot.len);
        if !close || slot_end - start > MAX_RUN {
            break;
        }
        end = slot_end;
        len += 1;
    }
    len
}

/// How many of `slots` `entries_bounded` returns: stop once the commands
/// total more than `bytes_max`, but always at least one.
pub(crate) fn bounded_count(slots: &[Slot], bytes_max: usize) -> usize {
    let mut bytes = 0usize;
    let mut count = 0;
    for slot in slots {
        bytes = bytes.saturating_add(slot.len as usize);
        if count > 0 && bytes > bytes_max {
            break;
        }
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft_core::EntryKind;

    fn slot(pos: u64, len: u32) -> Slot {
        Slot {
            term: 1,
            pos,
            len,
            kind: EntryKind::Normal,
            checked: false,
        }
    }

    #[test]
    fn runs_break_at_gaps_and_backwards_jumps() {
        let slots = [slot(0, 10), slot(23, 5), slot(500, 1), slot(100, 1)];
        assert_eq!(run_length(&slots), 2);
        assert_eq!(run_length(&slots[2..]), 1);
        assert_eq!(run_length(&[]), 0);
    }

    #[test]
    fn bounded_count_keeps_at_least_one() {
        let slots = [slot(0, 10), slot(10, 10), slot(20, 10)];
        assert_eq!(bounded_count(&slots, 1), 1);
        assert_eq!(bounded_count(&slots, 20), 2);
        assert_eq!(bounded_count(&slots, usize::MAX), 3);
    }
}
