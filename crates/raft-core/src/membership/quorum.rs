//! Majority arithmetic over a configuration (Raft paper 5.2, 5.3), joint
//! included (thesis 4.3): while joint, a decision needs a majority of the
//! outgoing voters *and* a majority of the incoming ones.

use super::Membership;
use crate::types::{Index, NodeId};

/// The outcome of counting votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VoteResult {
    /// A majority granted (of both halves while joint).
    Won,
    /// A majority refused (in either half): the round cannot be won.
    Lost,
    /// Neither yet.
    Pending,
}

/// The size of a majority of `voters`.
fn majority(voters: usize) -> usize {
    voters / 2 + 1
}

/// Counts the votes of one half; `vote(id)` is `Some(granted)` once `id`
/// answered. An empty half can never be won.
fn half_vote_result(
    voters: &[NodeId],
    vote: &mut impl FnMut(NodeId) -> Option<bool>,
) -> VoteResult {
    if voters.is_empty() {
        return VoteResult::Lost;
    }
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

/// The largest value a majority of one non-empty half has reached.
fn half_committed_index(
    voters: &[NodeId],
    scratch: &mut Vec<Index>,
    acked: &mut impl FnMut(NodeId) -> Index,
) -> Index {
    // Hot path (every commit count): the common small halves need neither
    // the buffer nor a sort.
    match *voters {
        [] => 0,
        [only] => acked(only),
        // A majority of two is both.
        [a, b] => acked(a).min(acked(b)),
        // A majority of three is any two: the median.
        [a, b, c] => {
            let (a, b, c) = (acked(a), acked(b), acked(c));
            a.min(b).max(a.max(b).min(c))
        }
        _ => {
            scratch.clear();
            scratch.extend(voters.iter().map(|&id| acked(id)));
            // Descending: the value at position `majority - 1` is held by
            // a majority.
            scratch.sort_unstable_by(|a, b| b.cmp(a));
            scratch
                .get(majority(voters.len()) - 1)
                .copied()
                .unwrap_or(0)
        }
    }
}

impl Membership {
    /// Counts votes: won once a majority of every half granted, lost once a
    /// majority of any half refused.
    pub(crate) fn vote_result(&self, mut vote: impl FnMut(NodeId) -> Option<bool>) -> VoteResult {
        let mut result = VoteResult::Won;
        for half in self.halves() {
            match half_vote_result(half, &mut vote) {
                VoteResult::Lost => return VoteResult::Lost,
                VoteResult::Pending => result = VoteResult::Pending,
                VoteResult::Won => {}
            }
        }
        result
    }

    /// The largest value (a match index, a read-probe sequence...) that a
    /// majority of every half has acknowledged, where `acked(id)` is what
    /// `id` acknowledged. `0` for a configuration without voters.
    ///
    /// `scratch` is reused between calls so the commit path does not
    /// allocate.
    pub(crate) fn committed_index(
        &self,
        scratch: &mut Vec<Index>,
        mut acked: impl FnMut(NodeId) -> Index,
    ) -> Index {
        if self.voters.is_empty() {
            return 0;
        }
        self.halves()
            .map(|half| half_committed_index(half, scratch, &mut acked))
            .min()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn votes(
        config: &Membership,
        granted: &'static [NodeId],
        refused: &'static [NodeId],
    ) -> VoteResult {
        config.vote_result(|id| {
            if granted.contains(&id) {
                Some(true)
            } else if refused.contains(&id) {
                Some(false)
            } else {
                None
            }
        })
    }

    #[test]
    fn voter_ids_merge_both_halves_in_order_once() {
        let joint = Membership::new([1, 3, 5])
            .enter_joint([2, 3, 6], [9])
            .unwrap();
        assert_eq!(joint.voter_ids().collect::<Vec<_>>(), vec![1, 2, 3, 5, 6]);
        assert_eq!(joint.all_voters(), vec![1, 2, 3, 5, 6]);
        let plain = Membership::with_learners([4, 2], [7]);
        assert_eq!(plain.voter_ids().collect::<Vec<_>>(), vec![2, 4]);
    }

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
        let config = Membership::new([1, 2, 3, 4]);
        assert_eq!(votes(&config, &[1, 2], &[]), VoteResult::Pending);
        assert_eq!(votes(&config, &[1, 2, 3], &[]), VoteResult::Won);
        assert_eq!(votes(&config, &[1], &[2, 3]), VoteResult::Lost);
        assert_eq!(votes(&config, &[1, 2], &[3]), VoteResult::Pending);
        assert_eq!(votes(&config, &[1, 2], &[3, 4]), VoteResult::Lost);
    }

    #[test]
    fn learners_never_count() {
        let config = Membership::with_learners([1, 2, 3], [4, 5]);
        assert_eq!(votes(&config, &[1, 4, 5], &[]), VoteResult::Pending);
        // The learners and one voter hold 9: not a majority of voters.
        let acked = |id| if id >= 4 || id == 1 { 9 } else { 0 };
        assert_eq!(config.committed_index(&mut Vec::new(), acked), 0);
    }

    // Thesis 4.3: in C_old,new, agreement needs separate majorities from
    // both C_old and C_new.
    #[test]
    fn joint_votes_need_both_halves() {
        let joint = Membership::new([1, 2, 3])
            .enter_joint([3, 4, 5], [])
            .unwrap();
        assert_eq!(
            votes(&joint, &[1, 2, 3], &[]),
            VoteResult::Pending,
            "old half only"
        );
        assert_eq!(
            votes(&joint, &[3, 4, 5], &[]),
            VoteResult::Pending,
            "new half only"
        );
        assert_eq!(votes(&joint, &[1, 3, 4], &[]), VoteResult::Won);
        assert_eq!(
            votes(&joint, &[3, 4], &[1, 2]),
            VoteResult::Lost,
            "old half refused"
        );
    }

    #[test]
    fn joint_commit_is_the_smaller_of_the_two_majorities() {
        let joint = Membership::new([1, 2, 3])
            .enter_joint([3, 4, 5], [])
            .unwrap();
        let acks = [(1, 9), (2, 9), (3, 5), (4, 4), (5, 2)];
        let acked = |id| acks.iter().find(|(n, _)| *n == id).map_or(0, |(_, v)| *v);
        // Old half {1,2,3} reached 9; new half {3,4,5} only 4.
        assert_eq!(joint.committed_index(&mut Vec::new(), acked), 4);
    }

    #[test]
    fn committed_index_is_the_majority_acknowledged_value() {
        let mut scratch = Vec::new();
        let acks = [(1, 9), (2, 5), (3, 7)];
        let acked = |id| acks.iter().find(|(n, _)| *n == id).map_or(0, |(_, v)| *v);
        assert_eq!(
            Membership::new([1, 2, 3]).committed_index(&mut scratch, acked),
            7
        );
        assert_eq!(
            Membership::new([1, 2]).committed_index(&mut scratch, acked),
            5
        );
        assert_eq!(Membership::new([1]).committed_index(&mut scratch, acked), 9);
        assert_eq!(
            Membership::default().committed_index(&mut scratch, acked),
            0
        );
    }

    #[test]
    fn small_halves_agree_with_sorting_in_every_order() {
        // The no-sort paths for one to three voters against the definition
        // (the `majority`th largest value): every assignment of the values
        // 0, 1, 2 (so every order, ties included), and halves of four and
        // five (the sorting path) alongside.
        let mut scratch = Vec::new();
        for len in 1..=5u32 {
            let voters: Vec<NodeId> = (1..=NodeId::from(len)).collect();
            for code in 0..3u64.pow(len) {
                let ack = |id: NodeId| (1..id).fold(code, |rest, _| rest / 3) % 3;
                let mut sorted: Vec<Index> = voters.iter().map(|&id| ack(id)).collect();
                sorted.sort_unstable_by(|a, b| b.cmp(a));
                let expected = sorted[majority(voters.len()) - 1];
                let config = Membership::new(voters.iter().copied());
                let got = config.committed_index(&mut scratch, ack);
                assert_eq!(got, expected, "{len} voters acknowledging {sorted:?}");
            }
        }
    }
}
