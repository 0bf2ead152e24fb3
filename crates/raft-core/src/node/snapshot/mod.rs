//! Snapshots (Raft paper 7): the hint to take one, and installing a
//! snapshot a leader sent. Storing the application's snapshot, whole or in
//! pieces, is in `produce.rs`; streaming one to a follower, chunk by chunk,
//! in `send.rs`; taking the chunks in on the follower, in `receive.rs`.

mod produce;
mod receive;
mod send;

pub(crate) use produce::ProducedSnapshot;
pub(crate) use receive::IncomingSnapshot;

use super::RaftNode;
use crate::error::{Error, Result};
use crate::event::Action;
use crate::log::RaftLog;
use crate::membership::Membership;
use crate::message::{InstallSnapshot, InstallSnapshotReply, Message};
use crate::types::{Index, Snapshot, Term};

impl<L: RaftLog> RaftNode<L> {
    /// Hints `Action::Snapshot` once `snapshot_threshold` entries were
    /// applied since the last snapshot (or hint).
    pub(super) fn maybe_hint_snapshot(&mut self) {
        let threshold = self.config.snapshot_threshold() as Index;
        if threshold == 0 {
            return;
        }
        let since = self.log.snapshot_index().max(self.snapshot_hinted_at);
        if self.last_applied >= since.saturating_add(threshold)
            && let Some(term) = self.log.term_at(self.last_applied)
        {
            self.snapshot_hinted_at = self.last_applied;
            self.out.push(Action::Snapshot {
                index: self.last_applied,
                term,
            });
        }
    }

    /// A whole snapshot in one message (raft-io 1.0 peers send these).
    pub(super) fn handle_install_snapshot(&mut self, request: InstallSnapshot) -> Result<()> {
        if self.is_leader() {
            return Ok(());
        }
        self.hear_from_leader(request.leader)?;
        let snapshot = request.snapshot;
        let membership = Membership::new(snapshot.config.iter().copied());
        let matched = self.install_snapshot(snapshot, membership)?;
        let reply = InstallSnapshotReply {
            term: self.term,
            from: self.id(),
            last_index: matched,
        };
        self.send(request.leader, Message::InstallSnapshotReply(reply));
        Ok(())
    }

    /// Whether an `Action::RestoreSnapshotFromLog` is still on its way to
    /// the application (in this step's output, or held for a flush). While
    /// it is, the log must keep the snapshot it refers to: the application
    /// reads the data from the log when it gets the action, so storing
    /// another snapshot first would hand it the wrong state (two installs
    /// in one `step_many`, or between a step and its flush).
    pub(super) fn restore_pending(&self) -> bool {
        self.config.restore_from_log()
            && self
                .out
                .iter()
                .chain(&self.held)
                .any(|action| matches!(action, Action::RestoreSnapshotFromLog { .. }))
    }

    /// Installs `snapshot` (with the configuration `membership` recorded at
    /// its index; an empty one keeps the configuration in force there) if
    /// it is ahead of our commit index (and no restore is pending: then it
    /// is not installed now, and the leader sends it again). Returns the index through which our
    /// log now matches the leader's: the snapshot's if installed, else our
    /// commit index.
    pub(super) fn install_snapshot(
        &mut self,
        snapshot: Snapshot,
        membership: Membership,
    ) -> Result<Index> {
        if snapshot.index <= self.commit_index || self.restore_pending() {
            return Ok(self.commit_index);
        }
        let membership = self.membership_at_snapshot(snapshot.index, membership);
        self.log
            .apply_snapshot_with_membership(&snapshot, &membership)?;
        let Snapshot {
            index, term, data, ..
        } = snapshot;
        self.adopt_installed_snapshot(index, term, membership, Some(data))?;
        Ok(index)
    }

    /// The configuration a leader's snapshot through `index` records: the
    /// one it names, or, if it names none (a raft-io 1.0 peer's empty
    /// `config`), the one in force there.
    pub(super) fn membership_at_snapshot(&self, index: Index, named: Membership) -> Membership {
        if named.is_empty() {
            self.configs.at(index).clone()
        } else {
            named
        }
    }

    /// After the log stored a leader's snapshot through `index`: it is
    /// committed and applied, its configuration is ours, and the
    /// application is told to restore it, with `data` (read back from the
    /// log if the snapshot was staged there) or, under
    /// `with_restore_from_log`, by reference.
    pub(super) fn adopt_installed_snapshot(
        &mut self,
        index: Index,
        term: Term,
        membership: Membership,
        data: Option<Vec<u8>>,
    ) -> Result<()> {
        self.unsynced = true;
        self.commit_index = index;
        self.last_applied = index;
        self.adopt_snapshot_configs(index, membership);
        let action = if self.config.restore_from_log() {
            let len = self.log.snapshot_len();
            Action::RestoreSnapshotFromLog { index, term, len }
        } else {
            let data = match data {
                Some(data) => data,
                None => self.stored_snapshot_data(index)?,
            };
            Action::RestoreSnapshot { index, term, data }
        };
        self.out.push(action);
        Ok(())
    }

    /// The data of the stored snapshot, which must be the one through
    /// `index` the log just installed.
    fn stored_snapshot_data(&self, index: Index) -> Result<Vec<u8>> {
        match self.log.snapshot() {
            Some(snapshot) if snapshot.index == index => Ok(snapshot.data),
            other => Err(Error::storage(
                "install snapshot",
                format_args!(
                    "the snapshot through {index} reads back as {}",
                    other.map_or_else(
                        || "missing".to_owned(),
                        |s| format!("the one through {}", s.index)
                    )
                ),
            )),
        }
    }

    /// After installing a snapshot through `index`: its configuration is
    /// the base, and any `Config` entry of the log suffix that survived
    /// still counts.
    fn adopt_snapshot_configs(&mut self, index: Index, membership: Membership) {
        let before = self.membership().clone();
        self.configs.reset(index, membership);
        self.configs.push_from_log(&self.log, index);
        if *self.membership() != before {
            self.configuration_changed();
        }
    }

    pub(super) fn handle_install_snapshot_reply(
        &mut self,
        reply: InstallSnapshotReply,
    ) -> Result<()> {
        self.snapshot_installed(reply.from, reply.last_index);
        Ok(())
    }
}
