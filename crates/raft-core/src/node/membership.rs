//! Membership changes. Configuration entries already replicate and report
//! `Action::MembershipChanged`; the requests that create them
//! (single-server changes, thesis 4.1) arrive with their own issue and
//! until then answer a clear `Error::Unsupported`.

use super::RaftNode;
use crate::error::{Error, Result};
use crate::event::Action;
use crate::log::RaftLog;
use crate::types::{EntryKind, LogEntry, NodeId};

const NOT_YET: Error = Error::Unsupported {
    what: "membership changes are not implemented yet",
};

impl<L: RaftLog> RaftNode<L> {
    pub(super) fn add_server(&mut self, _id: NodeId) -> Result<()> {
        self.ensure_leader()?;
        Err(NOT_YET)
    }

    pub(super) fn remove_server(&mut self, _id: NodeId) -> Result<()> {
        self.ensure_leader()?;
        Err(NOT_YET)
    }

    pub(super) fn add_learner(&mut self, _id: NodeId) -> Result<()> {
        self.ensure_leader()?;
        Err(NOT_YET)
    }

    pub(super) fn promote_learner(&mut self, _id: NodeId) -> Result<()> {
        self.ensure_leader()?;
        Err(NOT_YET)
    }

    /// Reports configuration entries as they are appended.
    pub(super) fn note_config_entries(&mut self, entries: &[LogEntry]) {
        for entry in entries.iter().filter(|e| e.kind == EntryKind::Config) {
            if let Some(members) = entry.members() {
                self.out.push(Action::MembershipChanged { members });
            }
        }
    }
}
