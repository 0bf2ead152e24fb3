//! Leadership transfer (Raft thesis 3.10): bring the target up to date,
//! then tell it to campaign at once with `TimeoutNow`. While a transfer is
//! in progress the leader accepts no proposals or membership changes (so
//! the target can catch up and stay caught up); a transfer that does not
//! complete within an election timeout is abandoned and reported.

use super::RaftNode;
use crate::error::{Error, Result};
use crate::event::Action;
use crate::log::RaftLog;
use crate::message::{Message, TimeoutNow};
use crate::types::NodeId;

/// A transfer in progress.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transfer {
    pub(crate) target: NodeId,
    /// Leader ticks since the transfer started.
    elapsed_ticks: u32,
    /// `TimeoutNow` went out: the target holds the whole log.
    timeout_now_sent: bool,
}

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
        if let Some(transfer) = self.transfer {
            if transfer.target == target {
                return Ok(());
            }
            return Err(Error::TransferInProgress {
                target: transfer.target,
            });
        }
        self.transfer = Some(Transfer {
            target,
            elapsed_ticks: 0,
            timeout_now_sent: false,
        });
        // The target's forced election bypasses stickiness: no lease holds.
        self.lease.revoke();
        self.maybe_send_timeout_now(target);
        self.send_appends_while_open(target);
        Ok(())
    }

    /// Thesis 3.10: while a transfer is in progress, client requests wait.
    pub(super) fn ensure_no_transfer(&self) -> Result<()> {
        match self.transfer {
            Some(transfer) => Err(Error::TransferInProgress {
                target: transfer.target,
            }),
            None => Ok(()),
        }
    }

    /// Sends `TimeoutNow` once the transfer target holds our whole log.
    pub(super) fn maybe_send_timeout_now(&mut self, peer: NodeId) {
        let Some(transfer) = self.transfer.as_mut() else {
            return;
        };
        if transfer.target != peer || transfer.timeout_now_sent {
            return;
        }
        let caught_up = self
            .progress
            .get(peer)
            .is_some_and(|pr| pr.match_index == self.log.last_index());
        if caught_up {
            transfer.timeout_now_sent = true;
            let message = TimeoutNow {
                term: self.term,
                leader: self.id(),
            };
            self.send(peer, Message::TimeoutNow(message));
        }
    }

    /// At every leader tick: a transfer not completed within an election
    /// timeout (the longest one) is abandoned, and the caller is told.
    pub(super) fn tick_transfer(&mut self) {
        let (_, timeout_max) = self.config.election_timeout();
        let Some(transfer) = self.transfer.as_mut() else {
            return;
        };
        transfer.elapsed_ticks = transfer.elapsed_ticks.saturating_add(1);
        if transfer.elapsed_ticks >= timeout_max {
            let target = transfer.target;
            self.transfer = None;
            self.out.push(Action::TransferAborted { target });
        }
    }
}
