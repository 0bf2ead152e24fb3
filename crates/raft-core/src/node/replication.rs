//! Log replication (Raft paper 5.3, 5.4): the leader's send path and
//! per-follower flow control, the follower's append path with conflict
//! hints, and commit by quorum of current-term entries.

use super::RaftNode;
use super::entry_forms::EntryForm;
use super::status::ReplicationState;
use crate::error::Result;
use crate::event::Action;
use crate::log::RaftLog;
use crate::message::{AppendEntries, AppendEntriesReply, Message};
use crate::shared::{AppendShared, SharedEntry};
use crate::types::{EntryKind, Index, LogEntry, NodeId, Role, Term};

impl<L: RaftLog> RaftNode<L> {
    // ----- leader: sending -------------------------------------------------

    /// Sends each follower what it lacks, as its flow control allows.
    pub(super) fn broadcast_append(&mut self) {
        for i in 0..self.progress.len() {
            let to = self.progress.at(i).id;
            self.send_appends_while_open(to);
        }
    }

    /// Optimistic pipelining: in `Replicate`, keep sending batches until the
    /// follower is caught up or the in-flight window is full (a probe or a
    /// snapshot stream pauses the follower after one message).
    pub(super) fn send_appends_while_open(&mut self, to: NodeId) {
        while self.has_sendable_entries(to) && self.send_append(to, false) {}
    }

    /// Whether `to` lacks entries and its flow control lets one more batch
    /// go. Measured: asking `send_append` to find out cost a call per
    /// follower per reply and per broadcast.
    fn has_sendable_entries(&self, to: NodeId) -> bool {
        let last = self.log.last_index();
        let inflight_msgs_max = self.config.max_inflight();
        self.progress
            .get(to)
            .is_some_and(|pr| pr.next_index <= last && !pr.is_paused(inflight_msgs_max))
    }

    /// Sends one `AppendEntries` from the follower's `next_index`, bounded
    /// by `max_batch` entries and `max_batch_bytes`. With `allow_empty`, an
    /// append with no entries (a probe) is sent too. Falls back to the
    /// snapshot when the entries were compacted away. Returns whether
    /// anything was sent.
    pub(super) fn send_append(&mut self, to: NodeId, allow_empty: bool) -> bool {
        let inflight_msgs_max = self.config.max_inflight();
        let Some(pr) = self.progress.get(to) else {
            return false;
        };
        if pr.is_paused(inflight_msgs_max) {
            return false;
        }
        let next = pr.next_index;
        let last = self.log.last_index();
        if next > last && !allow_empty {
            return false;
        }
        let prev = next - 1;
        let Some(prev_term) = self.log.term_at(prev) else {
            return self.send_snapshot(to);
        };
        if next > last {
            self.note_sent(to, prev, 0);
            self.push_append(to, (prev, prev_term), Vec::new());
            return true;
        }
        let batch_end = last.min(next.saturating_add(self.config.max_batch() as Index - 1));
        let bytes_max = self.config.max_batch_bytes();
        if self.config.shared_commands() {
            let mut entries = Vec::new();
            self.log
                .shared_entries_into(next, batch_end, bytes_max, &mut entries);
            if entries.is_empty() {
                return self.send_snapshot(to);
            }
            self.note_sent(to, prev, entries.len());
            self.push_append_shared(to, (prev, prev_term), entries);
        } else {
            let entries = self.log.entries_bounded(next, batch_end, bytes_max);
            if entries.is_empty() {
                return self.send_snapshot(to);
            }
            self.note_sent(to, prev, entries.len());
            self.push_append(to, (prev, prev_term), entries);
        }
        true
    }

    /// Records `count` entries after `prev` as sent to `to` (an empty
    /// append counts only as a probe).
    fn note_sent(&mut self, to: NodeId, prev: Index, count: usize) {
        if let Some(pr) = self.progress.get_mut(to)
            && (count > 0 || pr.state == ReplicationState::Probe)
        {
            pr.sent_entries(prev + count as Index);
        }
    }

    /// Emits an `AppendEntries` of `entries` after `prev` (index, term),
    /// built in place in the output.
    #[inline]
    fn push_append(&mut self, to: NodeId, prev: (Index, Term), entries: Vec<LogEntry>) {
        self.out.push(Action::Send {
            to,
            message: Message::AppendEntries(AppendEntries {
                term: self.term,
                leader: self.id(),
                prev_log_index: prev.0,
                prev_log_term: prev.1,
                entries,
                leader_commit: self.commit_index,
            }),
        });
    }

    /// `push_append` in the shared form.
    #[inline]
    fn push_append_shared(&mut self, to: NodeId, prev: (Index, Term), entries: Vec<SharedEntry>) {
        self.out.push(Action::Send {
            to,
            message: Message::AppendShared(AppendShared {
                term: self.term,
                leader: self.id(),
                prev_log_index: prev.0,
                prev_log_term: prev.1,
                entries,
                leader_commit: self.commit_index,
            }),
        });
    }

    /// Every heartbeat interval: assert leadership, carry the commit index,
    /// retry probes, and restart a pipeline that stalled on a lost append.
    pub(super) fn broadcast_heartbeat(&mut self) {
        let last = self.log.last_index();
        for i in 0..self.progress.len() {
            // Each peer by position: the lookup by id cost more than the rest
            // of a heartbeat's decision (callgrind, leader heartbeat tick).
            let pr = self.progress.at_mut(i);
            let to = pr.id;
            match pr.state {
                ReplicationState::Probe if pr.probe_sent => {
                    // The last probe is unanswered: it or its reply may be
                    // lost, or the follower unreachable. Retry with an empty
                    // append; the entries follow once it answers, so an
                    // unreachable follower costs a heartbeat, not a batch.
                    let next = pr.next_index;
                    self.send_empty_probe(to, next);
                }
                ReplicationState::Probe => {
                    self.send_append(to, true);
                }
                ReplicationState::Replicate => {
                    let stalled = pr.match_index == pr.match_at_last_heartbeat
                        && pr.match_index < last
                        && pr.is_paused(1);
                    pr.match_at_last_heartbeat = pr.match_index;
                    if stalled {
                        let next = pr.match_index + 1;
                        pr.become_probe(next);
                        self.send_append(to, true);
                    } else {
                        let match_index = pr.match_index;
                        self.send_heartbeat(to, match_index);
                    }
                }
                ReplicationState::Snapshot => self.heartbeat_snapshot_stream(to),
            }
        }
    }

    /// An empty append just before `next_index`: it checks where the
    /// follower's log matches without carrying entries.
    fn send_empty_probe(&mut self, to: NodeId, next_index: Index) {
        if !self.send_empty_append(to, next_index - 1) {
            self.send_snapshot(to);
        }
    }

    /// An empty append at the follower's match index: it always matches, so
    /// it never knocks a healthy pipeline back to probing.
    fn send_heartbeat(&mut self, to: NodeId, match_index: Index) {
        if !self.send_empty_append(to, match_index) {
            self.send_append(to, true);
        }
    }

    /// Sends an `AppendEntries` with no entries after `prev`. Returns false,
    /// sending nothing, if `prev` was compacted away (its term is unknown).
    #[inline]
    pub(super) fn send_empty_append(&mut self, to: NodeId, prev: Index) -> bool {
        let Some(prev_term) = self.log.term_at(prev) else {
            return false;
        };
        self.push_append(to, (prev, prev_term), Vec::new());
        true
    }

    // ----- leader: replies and commit --------------------------------------

    pub(super) fn handle_append_reply(&mut self, reply: AppendEntriesReply) -> Result<()> {
        if !self.is_leader() {
            return Ok(());
        }
        let last = self.log.last_index();
        let Some(pr) = self.progress.get_mut(reply.from) else {
            return Ok(());
        };
        pr.recent_active = true;
        if pr.state == ReplicationState::Snapshot {
            // Streaming a snapshot: an answer to a heartbeat shows the
            // follower is reachable; only one showing it holds the snapshot
            // ends the stream. A late rejection or success changes nothing.
            pr.snapshot.heard = true;
            if reply.success && reply.match_index >= pr.snapshot.index {
                self.snapshot_installed(reply.from, reply.match_index);
            }
            return Ok(());
        }
        if !reply.success
            && reply.conflict_index <= pr.match_index
            && pr.state == ReplicationState::Replicate
        {
            // In a pipeline, a rejection hinting at or below what the
            // follower acknowledged is taken as late or duplicated: it must
            // not knock a healthy pipeline back to probing (one that did
            // stall is restarted from its match index at a heartbeat).
            // While probing the hint is heeded even so: it is the first
            // index of the follower's conflicting *term*, which can begin
            // at or below the acknowledged index while the conflict lies
            // beyond it (ignoring it repeated one refused probe forever;
            // `become_probe` keeps the next index above the match).
            return Ok(());
        }
        if reply.success {
            if reply.match_index > last {
                // Claims entries we never sent: bad input, ignore it.
                return Ok(());
            }
            let moved = pr.acknowledge(reply.match_index);
            if pr.state != ReplicationState::Replicate {
                pr.become_replicate();
            }
            // Only an acknowledgement past the commit index can move it:
            // every other input to the count (the leader's durable index,
            // the voters) has the count rerun at the step's end.
            if moved && reply.match_index > self.commit_index && self.maybe_commit() {
                // Followers learn the new commit index with the next append.
            }
            self.maybe_send_timeout_now(reply.from);
        } else {
            if reply.conflict_index == 0 {
                // A refusal without a hint is a stale-term answer, which the
                // term rules already handled.
                return Ok(());
            }
            let next = self.next_index_after_rejection(reply.conflict_index, reply.conflict_term);
            if let Some(pr) = self.progress.get_mut(reply.from) {
                pr.become_probe(next.min(last + 1));
            }
        }
        self.send_appends_while_open(reply.from);
        Ok(())
    }

    /// Conflict-hint backtracking (Raft 5.3, "the leader can decrement
    /// nextIndex to bypass all of the conflicting entries in that term"):
    /// if we hold entries of the follower's conflicting term, resume just
    /// after our last one; otherwise at the follower's first index of it.
    fn next_index_after_rejection(&self, conflict_index: Index, conflict_term: Term) -> Index {
        if conflict_term > 0 {
            let last_of_term = self.last_index_of_term(conflict_term);
            if last_of_term > 0 {
                return last_of_term + 1;
            }
        }
        conflict_index
    }

    /// The last index holding `term` in our log (`0` if none). Terms never
    /// decrease along a log, so this is a binary search.
    fn last_index_of_term(&self, term: Term) -> Index {
        // Smallest index whose term exceeds `term`, minus one.
        let (mut lo, mut hi) = (self.log.snapshot_index(), self.log.last_index() + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.log.term_at(mid).unwrap_or(0) <= term {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let candidate = lo.saturating_sub(1);
        if self.log.term_at(candidate) == Some(term) {
            candidate
        } else {
            0
        }
    }

    /// Advances the commit index to the highest index a majority holds,
    /// counting the leader only through what it has synced (thesis
    /// 10.2.1). Returns whether it moved.
    pub(super) fn maybe_commit(&mut self) -> bool {
        let (id, durable) = (self.id(), self.durable_index);
        let progress = &self.progress;
        let acked = if self.is_sole_voter() {
            // The count below over this node alone, without counting.
            durable
        } else {
            self.configs
                .in_force()
                .committed_index(&mut self.quorum_scratch, |voter| {
                    if voter == id {
                        durable
                    } else {
                        progress.get(voter).map_or(0, |pr| pr.match_index)
                    }
                })
        };
        let candidate = acked.min(self.log.last_index());
        // Raft 5.4.2 (Figure 8): only an entry of the current term commits by
        // counting replicas; earlier entries commit with it, one voter or
        // many.
        let current_term = self.log.term_at(candidate) == Some(self.term);
        if candidate > self.commit_index && current_term {
            self.commit_index = candidate;
            return true;
        }
        false
    }

    // ----- follower --------------------------------------------------------

    /// An `AppendEntries` or `AppendShared` (same rules, either entry
    /// form): `prev` is its previous index and term.
    pub(super) fn handle_append<E: EntryForm>(
        &mut self,
        leader: NodeId,
        prev: (Index, Term),
        entries: Vec<E>,
        leader_commit: Index,
    ) -> Result<()> {
        if self.role == Role::Leader {
            // Election safety: two leaders in one term is impossible, so this
            // message is corrupt or forged. Ignore it.
            return Ok(());
        }
        self.hear_from_leader(leader)?;
        let reply = self.append_from_leader(prev, entries, leader_commit)?;
        self.send(leader, Message::AppendEntriesReply(reply));
        Ok(())
    }

    /// Raft 5.3: the consistency check, conflict truncation and append of
    /// the entries after `prev` (index, term).
    fn append_from_leader<E: EntryForm>(
        &mut self,
        (mut prev_log_index, mut prev_log_term): (Index, Term),
        mut entries: Vec<E>,
        leader_commit: Index,
    ) -> Result<AppendEntriesReply> {
        let last_new = prev_log_index + entries.len() as Index;
        if prev_log_index < self.commit_index {
            // Log Matching: our log through the commit index is already the
            // leader's, so skip what we hold. (A late or duplicated append
            // lands here and changes nothing.)
            let behind = usize::try_from(self.commit_index - prev_log_index).unwrap_or(usize::MAX);
            entries.drain(..behind.min(entries.len()));
            prev_log_index = self.commit_index;
            prev_log_term = self.log.term_at(prev_log_index).unwrap_or(0);
        }
        match self.log.term_at(prev_log_index) {
            None => {
                // Too short: resume just past our end.
                return Ok(self.reject(self.log.last_index() + 1, 0));
            }
            Some(term) if term != prev_log_term => {
                // Conflict: point at the first entry of our conflicting term.
                let first = self.first_index_of_term(term, prev_log_index);
                return Ok(self.reject(first.max(self.commit_index + 1), term));
            }
            Some(_) => {}
        }
        let first_new = entries
            .iter()
            .position(|entry| self.log.term_at(entry.index()) != Some(entry.term()));
        if let Some(position) = first_new {
            let first_index = entries[position].index();
            debug_assert!(
                first_index > self.commit_index,
                "node {}: would truncate committed index {first_index} (commit {})",
                self.id(),
                self.commit_index
            );
            if first_index <= self.log.last_index() {
                // Raft 5.3: an existing entry conflicts with a new one (same
                // index, different term): delete it and all that follow. An
                // append that merely repeats what we hold truncates nothing.
                self.log.truncate(first_index)?;
                self.revert_truncated_configs(first_index);
            }
            // Moved into the log, not cloned (a failed append is fatal to
            // the node, so noting the configurations first is safe).
            entries.drain(..position);
            self.note_config_forms(&entries);
            E::append_to(&mut self.log, &mut entries)?;
            self.unsynced = true;
        }
        let matched = last_new.max(self.commit_index);
        // Raft 5.3: commit = min(leaderCommit, index of last new entry); never
        // lowered by a late message.
        let commit = leader_commit.min(matched);
        if commit > self.commit_index {
            self.commit_index = commit;
        }
        Ok(AppendEntriesReply {
            term: self.term,
            success: true,
            from: self.id(),
            match_index: matched,
            conflict_index: 0,
            conflict_term: 0,
        })
    }

    /// `note_config_entries` for either form: only configuration entries
    /// are turned into owned ones (none, on the fast path's common case).
    fn note_config_forms<E: EntryForm>(&mut self, entries: &[E]) {
        if entries
            .iter()
            .any(|entry| entry.kind() == EntryKind::Config)
        {
            let configs: Vec<LogEntry> = entries
                .iter()
                .filter(|entry| entry.kind() == EntryKind::Config)
                .map(EntryForm::owned)
                .collect();
            self.note_config_entries(&configs);
        }
    }

    fn reject(&self, conflict_index: Index, conflict_term: Term) -> AppendEntriesReply {
        AppendEntriesReply {
            term: self.term,
            success: false,
            from: self.id(),
            match_index: 0,
            conflict_index,
            conflict_term,
        }
    }

    /// The first index of `term` at or below `upto` (binary search: terms
    /// never decrease along a log).
    fn first_index_of_term(&self, term: Term, upto: Index) -> Index {
        let (mut lo, mut hi) = (self.log.snapshot_index() + 1, upto);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.log.term_at(mid).unwrap_or(0) < term {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}
