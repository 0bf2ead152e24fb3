//! Linearizable reads by ReadIndex (Raft thesis 6.4).
//!
//! 1. A read arriving at the leader records the commit index as its read
//!    index, once the leader has committed an entry of its own term (until
//!    then it waits: the leader's commit index may be stale).
//! 2. The leader confirms it is still leader: one `ReadProbe` round, tagged
//!    with a sequence number greater than any sent before the read arrived,
//!    acknowledged by a majority.
//! 3. Once confirmed and applied through the read index, the read is
//!    answered with `Action::ReadReady`. A deposed leader drops its reads.

use std::collections::VecDeque;

use super::RaftNode;
use crate::error::Result;
use crate::event::Action;
use crate::log::RaftLog;
use crate::message::{Message, ReadProbe, ReadProbeReply};
use crate::types::Index;

#[derive(Clone, Copy, Debug)]
struct PendingRead {
    id: u64,
    index: Index,
    /// The probe round that must be acknowledged by a majority.
    seq: u64,
}

/// The leader's reads in flight.
///
/// Invariant: `pending` is ordered by `seq` and by `index` alike.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadIndex {
    /// The sequence number of the next probe round (rounds start at 1).
    next_seq: u64,
    /// A read is waiting for the round `next_seq` to be sent.
    round_wanted: bool,
    /// The highest round a majority acknowledged, as of the last check.
    confirmed_seq: u64,
    /// Reads that arrived before an entry of this term committed.
    awaiting_commit: Vec<u64>,
    pending: VecDeque<PendingRead>,
}

impl ReadIndex {
    /// Drops every read (on election or deposition).
    pub(crate) fn reset(&mut self) {
        self.next_seq = self.next_seq.max(1);
        self.round_wanted = false;
        self.confirmed_seq = 0;
        self.awaiting_commit.clear();
        self.pending.clear();
    }

    fn push(&mut self, id: u64, index: Index) {
        self.next_seq = self.next_seq.max(1);
        self.pending.push_back(PendingRead {
            id,
            index,
            seq: self.next_seq,
        });
        self.round_wanted = true;
    }
}

impl<L: RaftLog> RaftNode<L> {
    pub(super) fn handle_read(&mut self, id: u64) -> Result<()> {
        self.ensure_leader()?;
        if self.may_answer_read_now() {
            // What the round would conclude at the step's end, at once.
            self.out.push(Action::ReadReady {
                id,
                index: self.commit_index,
            });
            return Ok(());
        }
        if self.committed_in_current_term() {
            if !self.read_from_lease(id) {
                self.reads.push(id, self.commit_index);
            }
        } else {
            self.reads.awaiting_commit.push(id);
        }
        Ok(())
    }

    /// A sole voter is its own majority, so its read round is confirmed as
    /// it starts; once its commit index is the cluster's (step 1) and
    /// applied (step 3), the read is answered without the round, as long
    /// as no earlier read waits (answers keep their order) and no lease is
    /// kept (rounds renew it).
    fn may_answer_read_now(&mut self) -> bool {
        self.is_sole_voter()
            && self.reads.pending.is_empty()
            && self.reads.awaiting_commit.is_empty()
            && !self.want_lease_round()
            && self.last_applied == self.commit_index
            && self.committed_in_current_term()
    }

    /// Whether the leader's commit index is known to be the cluster's
    /// (thesis 6.4, step 1): it committed an entry of its term, or its whole
    /// log is committed (every committed entry is in the leader's log, Raft
    /// 5.4.1, so none can lie beyond it).
    fn committed_in_current_term(&self) -> bool {
        self.log.term_at(self.commit_index) == Some(self.term)
            || self.commit_index == self.log.last_index()
    }

    /// Admits reads that waited for this term's first commit, and sends the
    /// probe round the pending reads need (one round for all of them).
    pub(super) fn start_read_rounds(&mut self) {
        if !self.reads.awaiting_commit.is_empty() && self.committed_in_current_term() {
            let commit = self.commit_index;
            for id in std::mem::take(&mut self.reads.awaiting_commit) {
                self.reads.push(id, commit);
            }
        }
        if !std::mem::take(&mut self.reads.round_wanted) {
            return;
        }
        let probe = ReadProbe {
            term: self.term,
            leader: self.id(),
            seq: self.reads.next_seq,
        };
        self.reads.next_seq += 1;
        self.note_probe_round(probe.seq);
        if !self.is_sole_voter() {
            // A sole voter's round is its own acknowledgement: no message.
            self.send_to_voter_peers(&Message::ReadProbe(probe));
        }
    }

    /// At a heartbeat: if the oldest read is still unconfirmed, its round
    /// (or every ack of it) may have been lost, so start another. Any round
    /// sent after a read arrived confirms it, so a retry is always safe.
    pub(super) fn retry_unconfirmed_reads(&mut self) {
        if self.want_lease_round() {
            self.reads.round_wanted = true;
            return;
        }
        let confirmed_seq = self.reads.confirmed_seq;
        if self
            .reads
            .pending
            .front()
            .is_some_and(|read| read.seq > confirmed_seq)
        {
            self.reads.round_wanted = true;
        }
    }

    /// Answers every read whose round a majority acknowledged and whose
    /// index is applied.
    pub(super) fn release_reads(&mut self) {
        self.release_lease_reads();
        if self.reads.pending.is_empty() && !self.want_lease_round() {
            return;
        }
        let (id, progress) = (self.id(), &self.progress);
        let confirmed_seq = if self.is_sole_voter() {
            // The count below over this node alone, without counting.
            u64::MAX
        } else {
            self.configs
                .in_force()
                .committed_index(&mut self.quorum_scratch, |voter| {
                    if voter == id {
                        u64::MAX
                    } else {
                        progress.get(voter).map_or(0, |pr| pr.read_acked_seq)
                    }
                })
        };
        self.reads.confirmed_seq = confirmed_seq;
        self.extend_lease(confirmed_seq);
        while let Some(read) = self.reads.pending.front().copied() {
            if read.seq > confirmed_seq || read.index > self.last_applied {
                break;
            }
            self.reads.pending.pop_front();
            self.out.push(Action::ReadReady {
                id: read.id,
                index: read.index,
            });
        }
    }

    pub(super) fn handle_read_probe(&mut self, probe: ReadProbe) -> Result<()> {
        if self.is_leader() {
            return Ok(());
        }
        // A probe is as good as a heartbeat: the leader is alive.
        self.hear_from_leader(probe.leader)?;
        let reply = ReadProbeReply {
            term: self.term,
            from: self.id(),
            seq: probe.seq,
        };
        self.send(probe.leader, Message::ReadProbeReply(reply));
        Ok(())
    }

    pub(super) fn handle_read_probe_reply(&mut self, reply: ReadProbeReply) -> Result<()> {
        if !self.is_leader() || reply.seq >= self.reads.next_seq {
            // Not ours, or acknowledges a round never sent: ignore.
            return Ok(());
        }
        if let Some(pr) = self.progress.get_mut(reply.from) {
            pr.recent_active = true;
            pr.read_acked_seq = pr.read_acked_seq.max(reply.seq);
        }
        Ok(())
    }
}
