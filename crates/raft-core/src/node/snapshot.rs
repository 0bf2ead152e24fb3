//! Snapshots (Raft paper 7): compaction when the application answers a
//! hint, sending a snapshot to a follower whose next entry was compacted
//! away, and installing one.

use super::RaftNode;
use crate::error::{Error, Result};
use crate::event::Action;
use crate::log::RaftLog;
use crate::message::{InstallSnapshot, InstallSnapshotReply, Message};
use crate::types::{EntryKind, Index, NodeId, Snapshot};

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

    /// The application's snapshot through `index`: store it and compact the
    /// log before it.
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
        let snapshot = Snapshot::with_membership(index, term, self.configs.at(index), data);
        self.log.apply_snapshot(&snapshot)?;
        self.configs.compact(index);
        self.unsynced = true;
        Ok(())
    }

    /// Sends our snapshot to a follower that needs entries we compacted.
    /// Returns whether anything was sent.
    pub(super) fn send_snapshot(&mut self, to: NodeId) -> bool {
        let Some(snapshot) = self.log.snapshot() else {
            return false;
        };
        if let Some(pr) = self.progress.get_mut(to) {
            pr.become_snapshot();
        }
        let message = InstallSnapshot {
            term: self.term,
            leader: self.id(),
            snapshot,
        };
        self.send(to, Message::InstallSnapshot(message));
        true
    }

    pub(super) fn handle_install_snapshot(&mut self, request: InstallSnapshot) -> Result<()> {
        if self.is_leader() {
            return Ok(());
        }
        self.hear_from_leader(request.leader)?;
        let snapshot = request.snapshot;
        // Our log matches the leader's through `matched` afterwards: the
        // snapshot's end if we install it, else our commit index.
        let matched = if snapshot.index > self.commit_index {
            self.log.apply_snapshot(&snapshot)?;
            self.unsynced = true;
            self.commit_index = snapshot.index;
            self.last_applied = snapshot.index;
            self.adopt_snapshot_configs(&snapshot);
            let Snapshot {
                index, term, data, ..
            } = snapshot;
            self.out.push(Action::RestoreSnapshot { index, term, data });
            index
        } else {
            self.commit_index
        };
        let reply = InstallSnapshotReply {
            term: self.term,
            from: self.id(),
            last_index: matched,
        };
        self.send(request.leader, Message::InstallSnapshotReply(reply));
        Ok(())
    }

    /// After installing `snapshot`: its configuration is the base (a
    /// snapshot that records none keeps the one in force at its index), and
    /// any `Config` entry of the log suffix that survived still counts.
    fn adopt_snapshot_configs(&mut self, snapshot: &Snapshot) {
        let before = self.membership().clone();
        let base = snapshot
            .membership()
            .unwrap_or_else(|| self.configs.at(snapshot.index).clone());
        self.configs.reset(snapshot.index, base);
        for index in snapshot.index + 1..=self.log.last_index() {
            if self.log.kind_at(index) == Some(EntryKind::Config)
                && let Some(membership) = self.log.entry(index).and_then(|e| e.membership())
            {
                self.configs.push(index, membership);
            }
        }
        if *self.membership() != before {
            self.configuration_changed();
        }
    }

    pub(super) fn handle_install_snapshot_reply(
        &mut self,
        reply: InstallSnapshotReply,
    ) -> Result<()> {
        if !self.is_leader() {
            return Ok(());
        }
        let last = self.log.last_index();
        if let Some(pr) = self.progress.get_mut(reply.from) {
            pr.recent_active = true;
            if reply.last_index <= last {
                pr.acknowledge(reply.last_index);
            }
            let next = pr.match_index + 1;
            pr.become_probe(next);
        }
        self.maybe_commit();
        self.send_appends_while_open(reply.from);
        Ok(())
    }
}
