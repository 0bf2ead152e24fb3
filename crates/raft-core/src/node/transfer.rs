//! Leadership transfer (Raft thesis 3.10): bring the target up to date,
//! then tell it to campaign at once with `TimeoutNow`.

use super::RaftNode;
use crate::error::{Error, Result};
use crate::log::RaftLog;
use crate::message::{Message, TimeoutNow};
use crate::types::NodeId;

impl<L: RaftLog> RaftNode<L> {
    pub(super) fn transfer_leadership(&mut self, target: NodeId) -> Result<()> {
        self.ensure_leader()?;
        if target == self.id() {
            return Ok(());
        }
        if !self.membership().is_voter(target) {
            return Err(Error::InvalidRequest {
                what: "leadership can only be transferred to a voter",
            });
        }
        self.transfer_target = Some(target);
        self.maybe_send_timeout_now(target);
        self.send_appends_while_open(target);
        Ok(())
    }

    /// Sends `TimeoutNow` once the transfer target holds our whole log.
    pub(super) fn maybe_send_timeout_now(&mut self, peer: NodeId) {
        if self.transfer_target != Some(peer) {
            return;
        }
        let caught_up = self
            .progress
            .get(peer)
            .is_some_and(|pr| pr.match_index == self.log.last_index());
        if caught_up {
            self.transfer_target = None;
            let message = TimeoutNow {
                term: self.term,
                leader: self.id(),
            };
            self.send(peer, Message::TimeoutNow(message));
        }
    }
}
