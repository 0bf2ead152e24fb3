//! The payload of a `Config` log entry: `u32` voter count, voters, `u32`
//! learner count, learners, and, only while joint, `u32` outgoing-voter
//! count and the outgoing voters; every integer little-endian. An entry
//! without the third list is not joint, so entries written before joint
//! consensus existed read the same. Written down in `docs/PROTOCOL.md`.

use super::Membership;
use crate::types::NodeId;

/// Encodes the three lists as given (no sorting: a `Config` entry built by
/// hand reads back exactly as written).
pub(crate) fn encode(voters: &[NodeId], learners: &[NodeId], outgoing: &[NodeId]) -> Vec<u8> {
    let lists: &[&[NodeId]] = if outgoing.is_empty() {
        &[voters, learners]
    } else {
        &[voters, learners, outgoing]
    };
    let ids: usize = lists.iter().map(|list| list.len()).sum();
    let mut out = Vec::with_capacity(4 * lists.len() + 8 * ids);
    for list in lists {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a cluster has far fewer than 2^32 members"
        )]
        out.extend_from_slice(&(list.len() as u32).to_le_bytes());
        for id in *list {
            out.extend_from_slice(&id.to_le_bytes());
        }
    }
    out
}

/// The voters, learners and outgoing voters, as written; `None` for bytes
/// that are not a configuration.
pub(crate) fn decode(mut bytes: &[u8]) -> Option<(Vec<NodeId>, Vec<NodeId>, Vec<NodeId>)> {
    let voters = decode_id_list(&mut bytes)?;
    let learners = decode_id_list(&mut bytes)?;
    let outgoing = if bytes.is_empty() {
        Vec::new()
    } else {
        decode_id_list(&mut bytes)?
    };
    bytes.is_empty().then_some((voters, learners, outgoing))
}

impl Membership {
    /// The `Config` entry payload for this configuration.
    pub(crate) fn encode(&self) -> Vec<u8> {
        encode(&self.voters, &self.learners, &self.outgoing)
    }

    /// A configuration from a `Config` entry payload.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Membership> {
        let (voters, learners, outgoing) = decode(bytes)?;
        Some(Membership::from_parts(voters, outgoing, learners))
    }
}

fn decode_id_list(bytes: &mut &[u8]) -> Option<Vec<NodeId>> {
    let (count, rest) = bytes.split_first_chunk::<4>()?;
    let count = u32::from_le_bytes(*count) as usize;
    // Bound the allocation by what the input actually holds.
    let needed = count.checked_mul(8)?;
    if rest.len() < needed {
        return None;
    }
    let (ids, rest) = rest.split_at(needed);
    *bytes = rest;
    Some(
        ids.chunks_exact(8)
            .map(|chunk| {
                let mut raw = [0u8; 8];
                raw.copy_from_slice(chunk);
                NodeId::from_le_bytes(raw)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joint_configuration_round_trips() {
        let joint = Membership::new([1, 2, 3]).enter_joint([3, 4], [9]).unwrap();
        assert_eq!(Membership::decode(&joint.encode()), Some(joint));
        let plain = Membership::with_learners([1, 2], [5]);
        assert_eq!(Membership::decode(&plain.encode()), Some(plain));
    }

    #[test]
    fn truncated_or_trailing_bytes_are_not_a_configuration() {
        let bytes = Membership::new([1, 2])
            .enter_joint([2, 3], [])
            .unwrap()
            .encode();
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            // A prefix that ends exactly after the learners is a valid,
            // non-joint configuration; every other cut is garbage.
            let plain_prefix = 4 + 16 + 4;
            assert_eq!(
                decode(prefix).is_some(),
                len == plain_prefix,
                "length {len}"
            );
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing), None);
    }
}
