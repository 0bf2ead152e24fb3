//! The simulated node's snapshot format: the cluster's own record of the
//! commands applied (so a node restored from a snapshot can be checked to
//! hold exactly what applying the log would have given it, and can rebuild
//! its client deduplication), followed by the user's state machine
//! snapshot.
//!
//! Layout: the record's length in bytes (`u64` LE), the record (per
//! command: its index (`u64` LE), its length (`u32` LE), its bytes), then
//! the user's snapshot, to the end.

use raft_core::Index;

/// A decoded snapshot: the applied record and the user machine's bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Decoded<'a> {
    /// The commands applied through the snapshot, by index.
    pub(crate) applied: Vec<(Index, Vec<u8>)>,
    /// The user's [`StateMachine::snapshot`](crate::StateMachine::snapshot).
    pub(crate) machine: &'a [u8],
}

/// Serialises the applied commands through `through`, then `machine`.
pub(crate) fn encode(applied: &[(Index, Vec<u8>)], through: Index, machine: &[u8]) -> Vec<u8> {
    let mut out = vec![0; 8];
    for (index, command) in applied.iter().filter(|(index, _)| *index <= through) {
        let Ok(len) = u32::try_from(command.len()) else {
            continue; // never: simulated commands are a few bytes
        };
        out.extend_from_slice(&index.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(command);
    }
    let record_len = (out.len() - 8) as u64;
    out[..8].copy_from_slice(&record_len.to_le_bytes());
    out.extend_from_slice(machine);
    out
}

/// Reads what `encode` wrote; `None` if `data` is not such a state.
pub(crate) fn decode(data: &[u8]) -> Option<Decoded<'_>> {
    let (len, rest) = data.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    let (mut record, machine) = rest.split_at_checked(len)?;
    let mut applied = Vec::new();
    while !record.is_empty() {
        let (index, rest) = record.split_first_chunk::<8>()?;
        let (len, rest) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let (command, rest) = rest.split_at_checked(len)?;
        applied.push((Index::from_le_bytes(*index), command.to_vec()));
        record = rest;
    }
    Some(Decoded { applied, machine })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let applied = vec![(2, b"a".to_vec()), (5, Vec::new()), (9, b"late".to_vec())];
        let data = encode(&applied, 5, b"user state");
        let decoded = decode(&data).unwrap();
        assert_eq!(decoded.applied, applied[..2]);
        assert_eq!(decoded.machine, b"user state");
        let empty = encode(&[], 0, b"");
        assert_eq!(
            decode(&empty).unwrap(),
            Decoded {
                applied: Vec::new(),
                machine: b""
            }
        );
        let record_only = encode(&applied, 9, b"");
        assert!(decode(&record_only[..record_only.len() - 1]).is_none());
        assert!(decode(b"state").is_none());
    }
}
