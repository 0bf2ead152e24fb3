//! Membership changes on the node (thesis 4): single-server changes,
//! learners, joint consensus, and what each configuration entry does as it
//! is appended, truncated and committed. The pure rules (what change is
//! valid, what it yields) live in `crate::membership`.
//!
//! * A configuration takes effect when its entry is appended, committed or
//!   not, and is undone if that entry is truncated (thesis 4.1).
//! * One change at a time: none while the configuration in force is
//!   uncommitted or joint.
//! * A leader changes the configuration only once it has committed an
//!   entry of its own term (Ongaro, raft-dev 2015: otherwise a
//!   configuration of a previous term that it never saw can still win an
//!   election and overwrite a committed change).
//! * Joint consensus (paper 6, thesis 4.3): once C_old,new commits, the
//!   leader appends C_new; a leader outside the committed configuration
//!   steps down (thesis 4.2.2).

use super::RaftNode;
use crate::error::{Error, Result};
use crate::event::Action;
use crate::log::RaftLog;
use crate::membership::{ConfChange, Membership};
use crate::message::{Message, TimeoutNow};
use crate::types::{EntryKind, LogEntry, NodeId};

impl<L: RaftLog> RaftNode<L> {
    pub(super) fn add_server(&mut self, id: NodeId) -> Result<()> {
        self.propose_membership(|config| config.apply(&ConfChange::AddVoter(id)))
    }

    pub(super) fn remove_server(&mut self, id: NodeId) -> Result<()> {
        self.propose_membership(|config| config.apply(&ConfChange::Remove(id)))
    }

    pub(super) fn add_learner(&mut self, id: NodeId) -> Result<()> {
        self.propose_membership(|config| config.apply(&ConfChange::AddLearner(id)))
    }

    pub(super) fn promote_learner(&mut self, id: NodeId) -> Result<()> {
        self.propose_membership(|config| config.apply(&ConfChange::PromoteLearner(id)))
    }

    /// Joint consensus: moves to `voters` (and `learners`) through C_old,new.
    pub(super) fn change_membership(
        &mut self,
        voters: Vec<NodeId>,
        learners: Vec<NodeId>,
    ) -> Result<()> {
        self.propose_membership(|config| config.enter_joint(voters, learners))
    }

    /// Appends the configuration `next` derives from the one in force, if
    /// a change may be made now.
    fn propose_membership(
        &mut self,
        next: impl FnOnce(&Membership) -> Result<Membership>,
    ) -> Result<()> {
        self.ensure_leader()?;
        self.ensure_no_transfer()?;
        if self.is_config_pending() {
            return Err(Error::ConfigInProgress);
        }
        if self.is_sole_voter() && self.log.last_term() != self.term {
            // A sole voter elected over a fully committed log appended no
            // no-op. It appends one now and makes it durable, which commits
            // it (it is the whole quorum), so the rule below holds.
            self.append_noop()?;
            self.log.sync()?;
            self.unsynced = false;
            self.durable_index = self.log.last_index();
            self.maybe_commit();
        }
        if self.log.term_at(self.commit_index) != Some(self.term) {
            // Ongaro 2015: first commit an entry of this term (the no-op).
            return Err(Error::ConfigInProgress);
        }
        let next = next(self.membership())?;
        let entry = LogEntry::with_membership(self.term, self.log.last_index() + 1, &next);
        self.append_as_leader(&[entry])
    }

    /// Every `Config` entry just appended (by the leader or from it) takes
    /// effect at once and is reported.
    pub(super) fn note_config_entries(&mut self, entries: &[LogEntry]) {
        let mut changed = false;
        for entry in entries.iter().filter(|e| e.kind == EntryKind::Config) {
            if let Some(membership) = entry.membership() {
                self.configs.push(entry.index, membership);
                changed = true;
            }
        }
        if changed {
            self.configuration_changed();
        }
    }

    /// Entries from `from` on were truncated: a configuration among them is
    /// undone (thesis 4.1).
    pub(super) fn revert_truncated_configs(&mut self, from: crate::types::Index) {
        if self.configs.truncate(from) {
            self.configuration_changed();
        }
    }

    /// Reports the configuration in force and, on a leader, starts or stops
    /// tracking the members that came or went.
    pub(super) fn configuration_changed(&mut self) {
        // The quorum changed: the commit index may move.
        self.commit_check = true;
        let members = self.membership().voters().to_vec();
        self.out.push(Action::MembershipChanged { members });
        if self.is_leader() {
            let others = self.other_members();
            let last_index = self.log.last_index();
            let joined: Vec<NodeId> = others
                .iter()
                .copied()
                .filter(|&member| self.progress.get(member).is_none())
                .collect();
            self.progress.track_exactly(&others, last_index);
            // Probe a new member at once rather than at the next heartbeat:
            // it has everything to catch up on.
            for member in joined {
                self.send_append(member, true);
            }
        }
    }

    /// On a leader, once the configuration in force is committed: leave a
    /// joint configuration by appending C_new, or step down if this node is
    /// no longer a voter. Returns whether anything was done.
    pub(super) fn advance_membership(&mut self) -> Result<bool> {
        let in_force = self.configs.in_force_index();
        if !self.is_leader()
            || in_force > self.commit_index
            || self.membership_settled_at == Some(in_force)
        {
            return Ok(false);
        }
        if self.membership().is_joint() {
            let next = self.membership().leave_joint();
            let entry = LogEntry::with_membership(self.term, self.log.last_index() + 1, &next);
            self.append_as_leader(&[entry])?;
            return Ok(true);
        }
        if !self.is_voter() {
            self.step_down_removed()?;
            return Ok(true);
        }
        // Remembered: the checks above cost every leader step some 17
        // instructions (callgrind, leader heartbeat).
        self.membership_settled_at = Some(in_force);
        Ok(false)
    }

    /// Thesis 4.2.2: a leader removed from the configuration steps down
    /// once the change commits. To shorten the gap, it tells the most
    /// caught-up remaining voter to campaign at once (as a transfer would),
    /// if that voter holds everything committed (so its election can
    /// succeed); entries past its log that no majority holds may be lost,
    /// as Raft allows for uncommitted entries.
    fn step_down_removed(&mut self) -> Result<()> {
        let commit = self.commit_index;
        let successor = self
            .progress
            .iter()
            .filter(|pr| pr.match_index >= commit && self.membership().is_voter(pr.id))
            .max_by_key(|pr| (pr.match_index, std::cmp::Reverse(pr.id)))
            .map(|pr| pr.id);
        if let Some(to) = successor {
            let message = TimeoutNow {
                term: self.term,
                leader: self.id(),
            };
            self.send(to, Message::TimeoutNow(message));
        }
        self.become_follower(self.term, None)
    }

    /// The leader's no-op of its term (Raft 8): entries of earlier terms
    /// commit with it (Figure 8).
    pub(super) fn append_noop(&mut self) -> Result<()> {
        let entry = LogEntry::new(self.term, self.log.last_index() + 1, Vec::new());
        self.append_as_leader(&[entry])
    }
}
