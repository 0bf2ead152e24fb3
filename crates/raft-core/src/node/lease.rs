//! Lease reads (thesis 6.4.1), an optional read mode: a leader whose
//! heartbeat round was acknowledged by a majority knows no other leader can
//! be elected for an election timeout from when it *sent* that round,
//! because every voter that acknowledged it refuses votes that long (leader
//! stickiness, thesis 4.2.3, which needs check-quorum). Within that lease,
//! shortened by the stated clock-drift bound, it answers `Event::Read`
//! without a probe round of its own.
//!
//! The clock assumption: no node's clock runs faster than another's by
//! more than the configured ratio, and no node pauses (a stopped process
//! keeps no time). Where that cannot be promised, keep the default,
//! ReadIndex. A leadership transfer ends the lease: the target's forced
//! election bypasses stickiness.

use std::collections::VecDeque;

use super::RaftNode;
use crate::event::Action;
use crate::log::RaftLog;
use crate::types::Index;

/// The leader's lease.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lease {
    /// Leader ticks since the lease state was reset.
    now: u64,
    /// Probe rounds sent and not yet confirmed: `(seq, sent at)`, oldest
    /// first.
    rounds: VecDeque<(u64, u64)>,
    /// The lease holds while `now < expires_at`.
    expires_at: u64,
    /// Reads answered from the lease, waiting for their index to be applied.
    reads: VecDeque<(u64, Index)>,
}

impl Lease {
    /// Ends the lease and forgets its rounds (a transfer began, or the
    /// node's role changed). Reads already admitted stay admitted.
    pub(crate) fn revoke(&mut self) {
        self.rounds.clear();
        self.expires_at = 0;
    }
}

impl<L: RaftLog> RaftNode<L> {
    /// The lease length in leader ticks: the minimum election timeout
    /// divided by the clock-rate bound; `None` without lease reads (or
    /// without check-quorum, which the lease relies on).
    fn lease_ticks(&self) -> Option<u64> {
        let ratio = self.config.lease_reads()?;
        if !self.config.check_quorum() {
            return None;
        }
        let (timeout_min, _) = self.config.election_timeout();
        Some(u64::from(timeout_min) * 1000 / u64::from(ratio))
    }

    pub(super) fn tick_lease(&mut self) {
        self.lease.now += 1;
    }

    /// A probe round `seq` goes out now: with lease reads on, remember when,
    /// unless a transfer is under way.
    pub(super) fn note_probe_round(&mut self, seq: u64) {
        if self.lease_ticks().is_some() && self.transfer.is_none() {
            let now = self.lease.now;
            self.lease.rounds.push_back((seq, now));
        }
    }

    /// Heartbeats carry a probe round with lease reads on, so the lease is
    /// renewed without waiting for a read.
    pub(super) fn want_lease_round(&mut self) -> bool {
        self.lease_ticks().is_some()
    }

    /// A majority acknowledged every round through `confirmed_seq`: the
    /// lease runs from the latest of them was sent.
    pub(super) fn extend_lease(&mut self, confirmed_seq: u64) {
        let Some(lease_ticks) = self.lease_ticks() else {
            return;
        };
        while let Some(&(seq, sent_at)) = self.lease.rounds.front() {
            if seq > confirmed_seq {
                break;
            }
            self.lease.rounds.pop_front();
            self.lease.expires_at = self.lease.expires_at.max(sent_at + lease_ticks);
        }
    }

    /// Answers `id` from the lease if it holds. Returns whether it did.
    pub(super) fn read_from_lease(&mut self, id: u64) -> bool {
        let holds = self.lease_ticks().is_some()
            && self.transfer.is_none()
            && self.lease.now < self.lease.expires_at;
        if holds {
            self.lease.reads.push_back((id, self.commit_index));
        }
        holds
    }

    /// Answers the lease reads whose index is applied.
    pub(super) fn release_lease_reads(&mut self) {
        while let Some(&(id, index)) = self.lease.reads.front() {
            if index > self.last_applied {
                break;
            }
            self.lease.reads.pop_front();
            self.out.push(Action::ReadReady { id, index });
        }
    }

    /// A new role: no lease, no reads held on one.
    pub(super) fn reset_lease(&mut self) {
        self.lease = Lease::default();
    }
}
