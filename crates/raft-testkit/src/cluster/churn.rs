//! Membership churn as a fault: now and then the leader is asked for a
//! configuration change, drawn from everything an operator does (add or
//! remove a voter, the leader and crashed nodes included; add, promote or
//! remove a learner; a joint change of several voters; a leadership
//! transfer, possibly to a node that is down). Requests the leader refuses
//! (one change at a time, nothing of its term committed yet) are simply
//! dropped, as an operator's retry would be.

use raft_core::{Event, NodeId};

use super::Cluster;
use crate::disk::SimDisk;
use crate::failure::SimResult;

/// Chance per tick (per mille) that the leader is asked for a change.
const CHURN_PER_MILLE: u32 = 8;
/// Voters a change never goes below, so the cluster can still elect with a
/// node down while it churns.
const VOTERS_MIN: usize = 2;

impl<D: SimDisk> Cluster<D> {
    /// Asks the leader, now and then, for a random membership change.
    pub(super) fn churn(&mut self) -> SimResult {
        if !self.rng.chance(CHURN_PER_MILLE) {
            return Ok(());
        }
        let Some(leader) = self.leader() else {
            return Ok(());
        };
        let Some(event) = self.random_change(leader) else {
            return Ok(());
        };
        if self.step(leader, event)?.is_ok() {
            self.membership_changes += 1;
        }
        Ok(())
    }

    /// While healing after churn: asks the leader, each tick, to make every
    /// node a voter again, until its configuration says so and is
    /// committed.
    pub(super) fn restore_membership(&mut self) -> SimResult {
        if !self.restoring_membership || self.membership_restored() {
            return Ok(());
        }
        let Some(leader) = self.leader() else {
            return Ok(());
        };
        let voters = self.ids();
        let event = Event::ChangeMembership {
            voters,
            learners: Vec::new(),
        };
        if self.step(leader, event)?.is_ok() {
            self.membership_changes += 1;
        }
        Ok(())
    }

    /// Whether no restoration is wanted, or the leader's committed
    /// configuration makes every node a voter.
    pub(super) fn membership_restored(&self) -> bool {
        if !self.restoring_membership {
            return true;
        }
        let ids = self.ids();
        self.leader()
            .and_then(|id| self.node(id))
            .is_some_and(|node| {
                node.membership().voters() == ids.as_slice()
                    && node.learners().is_empty()
                    && !node.is_config_pending()
            })
    }

    /// Membership changes the leaders accepted so far.
    pub fn membership_changes(&self) -> u64 {
        self.membership_changes
    }

    fn random_change(&mut self, leader: NodeId) -> Option<Event> {
        let membership = self.node(leader)?.membership().clone();
        let ids = self.ids();
        let voters = membership.voters().to_vec();
        let learners = membership.learners().to_vec();
        let outsiders: Vec<NodeId> = ids
            .iter()
            .copied()
            .filter(|&id| !membership.contains(id))
            .collect();
        let event = match self.rng.below(7) {
            0 if voters.len() > VOTERS_MIN => Event::RemoveServer(self.pick_from(&voters)),
            1 if !outsiders.is_empty() => Event::AddLearner(self.pick_from(&outsiders)),
            2 if !learners.is_empty() => Event::PromoteLearner(self.pick_from(&learners)),
            3 if !outsiders.is_empty() => Event::AddServer(self.pick_from(&outsiders)),
            4 if !learners.is_empty() => Event::RemoveServer(self.pick_from(&learners)),
            5 => Event::TransferLeadership(self.pick_from(&voters)),
            6 => {
                // A joint change to a random set of at least two voters; the
                // learners that are not promoted stay on half of the time.
                let mut next: Vec<NodeId> = ids
                    .iter()
                    .copied()
                    .filter(|_| self.rng.chance(600))
                    .collect();
                for &id in &ids {
                    if next.len() >= VOTERS_MIN {
                        break;
                    }
                    if !next.contains(&id) {
                        next.push(id);
                    }
                }
                let keep_learners = self.rng.chance(500);
                let learners = learners
                    .iter()
                    .copied()
                    .filter(|id| keep_learners && !next.contains(id))
                    .collect();
                Event::ChangeMembership {
                    voters: next,
                    learners,
                }
            }
            _ => return None,
        };
        Some(event)
    }

    fn pick_from(&mut self, ids: &[NodeId]) -> NodeId {
        ids[self.rng.pick(ids.len())]
    }
}
