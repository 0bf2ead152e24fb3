//! Majority arithmetic over a configuration (Raft paper 5.2, 5.3).
//!
//! Every quorum question is a function of the voter set, never of a peer
//! count, so joint consensus (thesis 4.3) can later combine two of these.

use crate::types::{Index, NodeId};

/// The outcome of counting votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VoteResult {
    /// A majority granted.
    Won,
    /// A majority refused: the round cannot be won.
    Lost,
    /// Neither yet.
    Pending,
}

/// The size of a majority of `voters`.
pub(crate) fn majority(voters: usize) -> usize {
    voters / 2 + 1
}

/// Counts votes of `voters`; `vote(id)` is `Some(granted)` once `id` answered.
pub(crate) fn vote_result(
    voters: &[NodeId],
    mut vote: impl FnMut(NodeId) -> Option<bool>,
) -> VoteResult {
    let needed = majority(voters.len());
    let (mut granted, mut refused) = (0, 0);
    for &id in voters {
        match vote(id) {
            Some(true) => granted += 1,
            Some(false) => refused += 1,
            None => {}
        }
    }
    if granted >= needed {
        VoteResult::Won
    } else if refused > voters.len() - needed {
        VoteResult::Lost
    } else {
        VoteResult::Pending
    }
}

/// The largest value that a majority of `voters` has reached, where
/// `acked(id)` is what `id` has acknowledged (a match index, a read-probe
/// sequence...). An empty configuration imposes no constraint
/// (`Index::MAX`), as joint consensus needs.
///
/// `scratch` is reused between calls so the commit path does not allocate.
pub(crate) fn committed_index(
    voters: &[NodeId],
    scratch: &mut Vec<Index>,
    mut acked: impl FnMut(NodeId) -> Index,
) -> Index {
    if voters.is_empty() {
        return Index::MAX;
    }
    scratch.clear();
    scratch.extend(voters.iter().map(|&id| acked(id)));
    // Descending: the value at position `majority - 1` is held by a majority.
    scratch.sort_unstable_by(|a, b| b.cmp(a));
    scratch[majority(voters.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_of_small_clusters() {
        assert_eq!(
            [1, 2, 3, 4, 5].map(majority),
            [1, 2, 2, 3, 3],
            "Raft 5.2: a majority is more than half"
        );
    }

    #[test]
    fn vote_result_needs_a_strict_majority() {
        let voters = [1, 2, 3, 4];
        let votes = |granted: &'static [NodeId], refused: &'static [NodeId]| {
            vote_result(&voters, |id| {
                if granted.contains(&id) {
                    Some(true)
                } else if refused.contains(&id) {
                    Some(false)
                } else {
                    None
                }
            })
        };
        assert_eq!(votes(&[1, 2], &[]), VoteResult::Pending);
        assert_eq!(votes(&[1, 2, 3], &[]), VoteResult::Won);
        assert_eq!(votes(&[1], &[2, 3]), VoteResult::Lost);
        assert_eq!(votes(&[1, 2], &[3]), VoteResult::Pending);
        assert_eq!(votes(&[1, 2], &[3, 4]), VoteResult::Lost);
    }

    #[test]
    fn committed_index_is_the_majority_acknowledged_value() {
        let mut scratch = Vec::new();
        let acks = [(1, 9), (2, 5), (3, 7)];
        let acked = |id| acks.iter().find(|(n, _)| *n == id).map_or(0, |(_, v)| *v);
        assert_eq!(committed_index(&[1, 2, 3], &mut scratch, acked), 7);
        assert_eq!(committed_index(&[1, 2], &mut scratch, acked), 5);
        assert_eq!(committed_index(&[1], &mut scratch, acked), 9);
        assert_eq!(committed_index(&[], &mut scratch, acked), Index::MAX);
    }
}
