//! Validating and applying configuration changes, independent of the node.
//!
//! Single-server changes (thesis 4.1) add or remove at most one voter, so
//! every majority of the old configuration overlaps every majority of the
//! new one and the change needs no intermediate step. Changing several
//! voters at once goes through the joint configuration C_old,new (paper 6,
//! thesis 4.3). Learner changes never touch a quorum.

use super::Membership;
use crate::error::{Error, Result};
use crate::types::NodeId;

/// One single-server configuration change.
///
/// ```
/// use raft_core::{ConfChange, Error, Membership};
/// let config = Membership::new([1, 2, 3]);
/// let grown = config.apply(&ConfChange::AddVoter(4)).unwrap();
/// assert_eq!(grown.voters(), &[1, 2, 3, 4]);
///
/// // A request that cannot succeed names the node and what was wrong.
/// let err = config.apply(&ConfChange::AddVoter(2)).unwrap_err();
/// assert_eq!(err, Error::MembershipChange { node: 2, reason: "it is already a voter" });
/// assert_eq!(err.to_string(), "membership change refused for node 2: it is already a voter");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfChange {
    /// Add a voter that is not a member yet.
    AddVoter(NodeId),
    /// Remove a voter or a learner.
    Remove(NodeId),
    /// Add a learner that is not a member yet.
    AddLearner(NodeId),
    /// Make a learner a voter.
    PromoteLearner(NodeId),
}

/// Why a voter cannot be made a learner by one joint change.
const DEMOTION: &str =
    "a voter cannot become a learner in one change; remove it, then add it as a learner";

fn refuse(node: NodeId, reason: &'static str) -> Error {
    Error::MembershipChange { node, reason }
}

impl Membership {
    /// The configuration after `change`, or why it cannot be made. Refused
    /// while joint: the joint configuration is left first.
    pub fn apply(&self, change: &ConfChange) -> Result<Membership> {
        if self.is_joint() {
            return Err(Error::ConfigInProgress);
        }
        let mut voters = self.voters.clone();
        let mut learners = self.learners.clone();
        match *change {
            ConfChange::AddVoter(id) => {
                if self.is_voter(id) {
                    return Err(refuse(id, "it is already a voter"));
                }
                if self.is_learner(id) {
                    return Err(refuse(id, "it is a learner; promote it instead"));
                }
                voters.push(id);
            }
            ConfChange::Remove(id) => {
                if self.is_learner(id) {
                    learners.retain(|&learner| learner != id);
                } else if !self.is_voter(id) {
                    return Err(refuse(id, "it is not a member"));
                } else if self.voters.len() == 1 {
                    return Err(refuse(id, "it is the last voter"));
                } else {
                    voters.retain(|&voter| voter != id);
                }
            }
            ConfChange::AddLearner(id) => {
                if self.is_voter(id) {
                    return Err(refuse(id, "it is already a voter"));
                }
                if self.is_learner(id) {
                    return Err(refuse(id, "it is already a learner"));
                }
                learners.push(id);
            }
            ConfChange::PromoteLearner(id) => {
                if !self.is_learner(id) {
                    return Err(refuse(
                        id,
                        if self.is_voter(id) {
                            "it is already a voter"
                        } else {
                            "it is not a learner"
                        },
                    ));
                }
                learners.retain(|&learner| learner != id);
                voters.push(id);
            }
        }
        Ok(Membership::from_parts(voters, Vec::new(), learners))
    }

    /// The joint configuration C_old,new that moves from this
    /// configuration's voters to `voters`, with `learners` (thesis 4.3).
    pub fn enter_joint(
        &self,
        voters: impl IntoIterator<Item = NodeId>,
        learners: impl IntoIterator<Item = NodeId>,
    ) -> Result<Membership> {
        if self.is_joint() {
            return Err(Error::ConfigInProgress);
        }
        let incoming = super::sorted(voters);
        if incoming.is_empty() {
            return Err(Error::InvalidRequest {
                what: "a configuration needs at least one voter",
            });
        }
        let learners = super::sorted(learners);
        if let Some(&both) = learners
            .iter()
            .find(|id| incoming.binary_search(id).is_ok())
        {
            return Err(refuse(both, "it cannot be both a voter and a learner"));
        }
        if let Some(&voter) = learners.iter().find(|id| self.is_voter(**id)) {
            // A voter of C_old cannot also be a learner of C_old,new (the
            // outgoing half counts it), so demotion takes two changes.
            return Err(refuse(voter, DEMOTION));
        }
        if incoming == self.voters {
            // Nothing changes among the voters: no joint phase is needed.
            return Ok(Membership::from_parts(incoming, Vec::new(), learners));
        }
        Ok(Membership::from_parts(
            incoming,
            self.voters.clone(),
            learners,
        ))
    }

    /// C_new: the joint configuration with its outgoing half dropped.
    pub fn leave_joint(&self) -> Membership {
        Membership::from_parts(self.voters.clone(), Vec::new(), self.learners.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Membership {
        Membership::new([1, 2, 3])
    }

    #[test]
    fn add_voter_grows_the_voters_by_one() {
        let next = three().apply(&ConfChange::AddVoter(5)).unwrap();
        assert_eq!(next.voters(), &[1, 2, 3, 5]);
        assert!(!next.is_joint());
    }

    #[test]
    fn remove_takes_a_voter_or_a_learner() {
        let with_learner = Membership::with_learners([1, 2, 3], [4]);
        let fewer = with_learner.apply(&ConfChange::Remove(2)).unwrap();
        assert_eq!((fewer.voters(), fewer.learners()), (&[1, 3][..], &[4][..]));
        let no_learner = with_learner.apply(&ConfChange::Remove(4)).unwrap();
        assert_eq!(
            (no_learner.voters(), no_learner.learners()),
            (&[1, 2, 3][..], &[][..])
        );
    }

    #[test]
    fn impossible_changes_name_the_node_and_the_reason() {
        let config = Membership::with_learners([1, 2], [7]);
        let cases = [
            (ConfChange::AddVoter(1), 1, "it is already a voter"),
            (
                ConfChange::AddVoter(7),
                7,
                "it is a learner; promote it instead",
            ),
            (ConfChange::Remove(9), 9, "it is not a member"),
            (ConfChange::AddLearner(2), 2, "it is already a voter"),
            (ConfChange::AddLearner(7), 7, "it is already a learner"),
            (ConfChange::PromoteLearner(1), 1, "it is already a voter"),
            (ConfChange::PromoteLearner(9), 9, "it is not a learner"),
        ];
        for (change, node, reason) in cases {
            assert_eq!(
                config.apply(&change),
                Err(Error::MembershipChange { node, reason }),
                "{change:?}"
            );
        }
        let sole = Membership::new([1]);
        assert_eq!(
            sole.apply(&ConfChange::Remove(1)),
            Err(Error::MembershipChange {
                node: 1,
                reason: "it is the last voter"
            })
        );
    }

    #[test]
    fn promote_moves_a_learner_to_the_voters() {
        let config = Membership::with_learners([1, 2, 3], [4]);
        let next = config.apply(&ConfChange::PromoteLearner(4)).unwrap();
        assert_eq!(
            (next.voters(), next.learners()),
            (&[1, 2, 3, 4][..], &[][..])
        );
    }

    #[test]
    fn joint_keeps_the_old_voters_as_the_outgoing_half() {
        let joint = three().enter_joint([3, 4, 5], [6]).unwrap();
        assert_eq!(joint.outgoing_voters(), &[1, 2, 3]);
        assert_eq!(joint.voters(), &[3, 4, 5]);
        assert_eq!(joint.learners(), &[6]);
        assert!(joint.is_voter(1) && joint.is_voter(5) && !joint.is_voter(6));
        assert_eq!(
            joint.apply(&ConfChange::AddVoter(9)),
            Err(Error::ConfigInProgress)
        );
        assert_eq!(joint.enter_joint([1], []), Err(Error::ConfigInProgress));
        let new = joint.leave_joint();
        assert_eq!(
            (new.voters(), new.outgoing_voters()),
            (&[3, 4, 5][..], &[][..])
        );
    }

    #[test]
    fn joint_refuses_an_empty_or_overlapping_target() {
        assert!(matches!(
            three().enter_joint([], []),
            Err(Error::InvalidRequest { .. })
        ));
        assert_eq!(
            three().enter_joint([1, 4], [4]),
            Err(Error::MembershipChange {
                node: 4,
                reason: "it cannot be both a voter and a learner"
            })
        );
        assert_eq!(
            three().enter_joint([1, 2], [3]),
            Err(Error::MembershipChange {
                node: 3,
                reason: DEMOTION
            }),
            "demotion would silently drop node 3"
        );
        // Same voters: no joint phase, just the learner change.
        let same = three().enter_joint([1, 2, 3], [9]).unwrap();
        assert!(!same.is_joint());
        assert_eq!(same.learners(), &[9]);
    }
}
