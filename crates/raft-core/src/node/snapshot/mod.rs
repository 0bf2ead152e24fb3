//! Snapshots (Raft paper 7): compaction when the application answers a
//! hint, and installing a snapshot a leader sent. Streaming one to a
//! follower, chunk by chunk, is in `send.rs`; assembling the chunks on the
//! follower is in `receive.rs`.

mod receive;
mod send;

pub(crate) use receive::IncomingSnapshot;

use super::RaftNode;
use crate::error::{Error, Result};
use crate::event::Action;
use crate::log::RaftLog;
use crate::membership::Membership;
use crate::message::{InstallSnapshot, InstallSnapshotReply, Message};
use crate::types::{Index, Snapshot};

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

    /// The application's snapshot through `index`: store it, with the
    /// configuration in force there, and compact the log before it.
    pub(super) fn compact(&mut self, index: Index, data: Vec<u8>) -> Result<()> {
        if index <= self.log.snapshot_index() {
            return Ok(()); // Already covered: a late answer to an old hint.
        }
        if index > self.last_applied {
            return Err(Error::InvalidRequest {
                what: "a snapshot must not cover entries that were not applied",
            });
        }
        let Some(term) = self.log.term_at(index) else {
            return Err(Error::storage(
                "compact",
                format_args!("applied index {index} has no term in the log"),
            ));
        };
        let membership = self.configs.at(index).clone();
        let snapshot = Snapshot::with_config(index, term, membership.voters().to_vec(), data);
        self.log
            .apply_snapshot_with_membership(&snapshot, &membership)?;
        self.configs.compact(index);
        self.unsynced = true;
        Ok(())
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

    /// Installs `snapshot` (with the configuration `membership` recorded at
    /// its index; an empty one keeps the configuration in force there) if
    /// it is ahead of our commit index. Returns the index through which our
    /// log now matches the leader's: the snapshot's if installed, else our
    /// commit index.
    pub(super) fn install_snapshot(
        &mut self,
        snapshot: Snapshot,
        membership: Membership,
    ) -> Result<Index> {
        if snapshot.index <= self.commit_index {
            return Ok(self.commit_index);
        }
        let membership = if membership.is_empty() {
            self.configs.at(snapshot.index).clone()
        } else {
            membership
        };
        self.log
            .apply_snapshot_with_membership(&snapshot, &membership)?;
        self.unsynced = true;
        self.commit_index = snapshot.index;
        self.last_applied = snapshot.index;
        self.adopt_snapshot_configs(snapshot.index, membership);
        let Snapshot {
            index, term, data, ..
        } = snapshot;
        self.out.push(Action::RestoreSnapshot { index, term, data });
        Ok(index)
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
