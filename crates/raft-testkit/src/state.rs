//! The simulated state machine's snapshot format: the commands it applied,
//! so a node restored from a snapshot holds exactly what applying the log
//! would have given it.
//!
//! Layout: per command, its index (`u64` LE), its length (`u32` LE), its
//! bytes.

use raft_core::Index;

/// Serialises the applied commands through `through`.
pub(crate) fn encode(applied: &[(Index, Vec<u8>)], through: Index) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, command) in applied.iter().filter(|(index, _)| *index <= through) {
        let Ok(len) = u32::try_from(command.len()) else {
            continue; // never: simulated commands are a few bytes
        };
        out.extend_from_slice(&index.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(command);
    }
    out
}

/// Reads what `encode` wrote; `None` if `data` is not such a state.
pub(crate) fn decode(mut data: &[u8]) -> Option<Vec<(Index, Vec<u8>)>> {
    let mut applied = Vec::new();
    while !data.is_empty() {
        let (index, rest) = data.split_first_chunk::<8>()?;
        let (len, rest) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let (command, rest) = rest.split_at_checked(len)?;
        applied.push((Index::from_le_bytes(*index), command.to_vec()));
        data = rest;
    }
    Some(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let applied = vec![(2, b"a".to_vec()), (5, Vec::new()), (9, b"late".to_vec())];
        let data = encode(&applied, 5);
        assert_eq!(decode(&data).unwrap(), applied[..2]);
        assert_eq!(decode(&[]).unwrap(), Vec::new());
        assert!(decode(&data[..data.len() - 1]).is_none());
        assert!(decode(b"state").is_none());
    }
}
