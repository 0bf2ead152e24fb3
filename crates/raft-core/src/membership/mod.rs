//! `Membership`: one value for a cluster configuration (voters, learners,
//! and, while joint, the outgoing voters), its quorum arithmetic and its
//! encoding in a `Config` log entry.
//!
//! Every quorum question (commit, election, ReadIndex confirmation,
//! check-quorum) is asked of a `Membership`, never of a count: while joint
//! (Raft paper 6, thesis 4.3) a decision needs a majority of *both* halves.

mod change;
mod codec;
mod quorum;

pub use change::ConfChange;
pub(crate) use codec::{decode, encode};
pub(crate) use quorum::VoteResult;

use crate::types::NodeId;

/// A cluster configuration.
///
/// `voters` are the voters of the configuration (C_new while joint);
/// `outgoing` is C_old while the cluster is in the joint configuration
/// C_old,new, and empty otherwise; `learners` receive the log but count
/// toward no quorum. All three lists are sorted and deduplicated, and a
/// learner is never a voter.
///
/// ```
/// use raft_core::{ConfChange, Membership};
/// let three = Membership::new([3, 1, 2]);
/// assert_eq!(three.voters(), &[1, 2, 3]);
/// assert!(three.is_voter(2) && !three.is_joint());
///
/// let with_learner = three.apply(&ConfChange::AddLearner(4)).unwrap();
/// assert_eq!(with_learner.learners(), &[4]);
/// assert!(!with_learner.is_voter(4) && with_learner.contains(4));
///
/// // Joint consensus: C_old,new needs a majority of both halves.
/// let joint = three.enter_joint([1, 4, 5], []).unwrap();
/// assert!(joint.is_joint());
/// assert_eq!((joint.outgoing_voters(), joint.voters()), (&[1, 2, 3][..], &[1, 4, 5][..]));
/// assert_eq!(joint.leave_joint().voters(), &[1, 4, 5]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Membership {
    /// Invariant: sorted, deduplicated, disjoint from `learners`.
    voters: Vec<NodeId>,
    /// Invariant: sorted, deduplicated, disjoint from `learners`; empty
    /// unless joint.
    outgoing: Vec<NodeId>,
    /// Invariant: sorted, deduplicated.
    learners: Vec<NodeId>,
}

impl Membership {
    /// A configuration of `voters` and no learners.
    pub fn new(voters: impl IntoIterator<Item = NodeId>) -> Self {
        Self::with_learners(voters, [])
    }

    /// A configuration of `voters` and `learners` (an id listed in both is a
    /// voter).
    pub fn with_learners(
        voters: impl IntoIterator<Item = NodeId>,
        learners: impl IntoIterator<Item = NodeId>,
    ) -> Self {
        Self::from_parts(sorted(voters), Vec::new(), sorted(learners))
    }

    /// A configuration from its three lists (`outgoing` non-empty: joint),
    /// restoring the invariants (sorted, no learner that is also a voter),
    /// as a log backend reads it back from disk.
    ///
    /// ```
    /// use raft_core::Membership;
    /// let joint = Membership::from_parts(vec![3, 4], vec![1, 2, 3], vec![9, 3]);
    /// assert!(joint.is_joint());
    /// assert_eq!(joint.learners(), &[9]);
    /// ```
    pub fn from_parts(voters: Vec<NodeId>, outgoing: Vec<NodeId>, learners: Vec<NodeId>) -> Self {
        let voters = sorted(voters);
        let outgoing = sorted(outgoing);
        let learners = sorted(learners)
            .into_iter()
            .filter(|id| voters.binary_search(id).is_err() && outgoing.binary_search(id).is_err())
            .collect();
        Self {
            voters,
            outgoing,
            learners,
        }
    }

    /// The voters (C_new while joint), sorted.
    pub fn voters(&self) -> &[NodeId] {
        &self.voters
    }

    /// While joint, the voters of the outgoing configuration C_old; empty
    /// otherwise.
    pub fn outgoing_voters(&self) -> &[NodeId] {
        &self.outgoing
    }

    /// The learners, sorted.
    pub fn learners(&self) -> &[NodeId] {
        &self.learners
    }

    /// Whether this is the joint configuration C_old,new.
    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Whether the configuration names nobody (a node that is joining a
    /// cluster and has not yet learned its configuration).
    pub fn is_empty(&self) -> bool {
        self.voters.is_empty() && self.outgoing.is_empty() && self.learners.is_empty()
    }

    /// Whether `id` votes in either half. Hot path (a leader asks at every
    /// step): inline, and a scan of the few voters a cluster has.
    #[inline]
    pub fn is_voter(&self, id: NodeId) -> bool {
        sorted_contains(&self.voters, id) || sorted_contains(&self.outgoing, id)
    }

    /// Whether `id` is a learner.
    pub fn is_learner(&self, id: NodeId) -> bool {
        self.learners.binary_search(&id).is_ok()
    }

    /// Whether `id` is a voter or a learner.
    pub fn contains(&self, id: NodeId) -> bool {
        self.is_voter(id) || self.is_learner(id)
    }

    /// Whether `id` is the only voter (and the configuration is not joint).
    pub fn is_sole_voter(&self, id: NodeId) -> bool {
        self.outgoing.is_empty() && self.voters == [id]
    }

    /// Every member (voters of both halves and learners), sorted, each once.
    pub fn members(&self) -> Vec<NodeId> {
        sorted(
            self.voters
                .iter()
                .chain(&self.outgoing)
                .chain(&self.learners)
                .copied(),
        )
    }

    /// Every voter of either half, sorted, each once.
    pub fn all_voters(&self) -> Vec<NodeId> {
        self.voter_ids().collect()
    }

    /// Every voter of either half, in id order, each once, without
    /// allocating: the two sorted halves merged.
    pub(crate) fn voter_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        let (mut incoming, mut outgoing) = (
            self.voters.iter().peekable(),
            self.outgoing.iter().peekable(),
        );
        std::iter::from_fn(move || {
            match (incoming.peek(), outgoing.peek()) {
                (None, None) => None,
                (Some(&&a), Some(&&b)) if a == b => {
                    incoming.next();
                    outgoing.next()
                }
                (Some(&&a), Some(&&b)) if b < a => outgoing.next(),
                (Some(_), _) => incoming.next(),
                (None, Some(_)) => outgoing.next(),
            }
            .copied()
        })
    }

    /// The halves a decision needs a majority of: one, or two while joint.
    pub(crate) fn halves(&self) -> impl Iterator<Item = &[NodeId]> {
        std::iter::once(self.voters.as_slice())
            .chain(self.is_joint().then_some(self.outgoing.as_slice()))
    }
}

fn sorted(ids: impl IntoIterator<Item = NodeId>) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Whether the sorted `ids` holds `id`: a scan for the few voters of a
/// usual cluster (cheaper than a binary search there), a search beyond.
#[inline]
fn sorted_contains(ids: &[NodeId], id: NodeId) -> bool {
    const SCAN_IDS_MAX: usize = 8;
    if ids.len() <= SCAN_IDS_MAX {
        ids.contains(&id)
    } else {
        ids.binary_search(&id).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voters_of_either_half_vote_in_small_and_large_configurations() {
        // Both sides of `sorted_contains`: a scan up to 8 ids, a binary
        // search beyond; learners never vote.
        for size in [1u64, 3, 8, 9, 40] {
            let incoming: Vec<NodeId> = (1..=size).map(|i| i * 10).collect();
            let joint = Membership::new([5, 7])
                .enter_joint(incoming.clone(), [3])
                .unwrap();
            for &id in &incoming {
                assert!(joint.is_voter(id), "{id} of {size} incoming voters");
            }
            assert!(
                joint.is_voter(5) && joint.is_voter(7),
                "outgoing voters vote"
            );
            for id in [0, 3, 11, size * 10 + 1] {
                assert!(!joint.is_voter(id), "{id} is no voter of {size}");
            }
        }
    }
}
