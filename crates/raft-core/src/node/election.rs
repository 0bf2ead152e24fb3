//! Elections: timers, pre-vote, votes, leader stickiness, check-quorum and
//! the term rules every inbound message goes through first.

use super::RaftNode;
use super::progress::ProgressTracker;
use crate::error::Result;
use crate::log::RaftLog;
use crate::membership::{Membership, VoteResult};
use crate::message::{Message, PreVote, PreVoteReply, RequestVote, RequestVoteReply, TimeoutNow};
use crate::plausible::next_term;
use crate::types::{Index, NodeId, Role, Term};

/// The vote round a candidate is running.
#[derive(Clone, Debug, Default)]
pub(crate) struct Campaign {
    /// A pre-vote round (thesis 9.6): nobody's term changes until it is won.
    pre_vote: bool,
    /// Answers so far, one per voter.
    votes: Vec<(NodeId, bool)>,
}

impl Campaign {
    fn start(&mut self, pre_vote: bool) {
        self.pre_vote = pre_vote;
        self.votes.clear();
    }

    fn record(&mut self, from: NodeId, granted: bool) {
        if !self.votes.iter().any(|&(id, _)| id == from) {
            self.votes.push((from, granted));
        }
    }

    fn result(&self, config: &Membership) -> VoteResult {
        config.vote_result(|id| {
            self.votes
                .iter()
                .find(|&&(voter, _)| voter == id)
                .map(|&(_, granted)| granted)
        })
    }
}

impl<L: RaftLog> RaftNode<L> {
    /// Hot path (the `follower-idle-tick` shape): a tick on a follower or
    /// candidate that reaches neither its election timeout nor the end of
    /// its boot quiet period only counts, so `step` returns at once
    /// without running the end-of-step pipeline (nothing can be pending
    /// between steps: proposals are flushed, and nothing was read or
    /// written; a read error the application latched through `log()`
    /// between steps surfaces at the next step that does anything).
    /// Returns whether it was such a tick; if not, nothing changed and the
    /// tick takes the full path.
    #[inline]
    pub(super) fn try_quiet_tick(&mut self) -> bool {
        if self.failed.is_some() || self.role == Role::Leader {
            return false;
        }
        // `tick` below clears `boot_quiet` at the minimum election timeout
        // and campaigns at `election_timeout_ticks` (never below the
        // minimum): the first of the two that applies ends the quiet.
        let quiet_until = if self.boot_quiet {
            self.config.election_timeout().0
        } else {
            self.election_timeout_ticks
        };
        let elapsed = self.election_elapsed_ticks.saturating_add(1);
        if elapsed >= quiet_until {
            return false;
        }
        self.election_elapsed_ticks = elapsed;
        true
    }

    pub(super) fn tick(&mut self) -> Result<()> {
        if self.is_leader() {
            return self.tick_leader();
        }
        self.election_elapsed_ticks = self.election_elapsed_ticks.saturating_add(1);
        if self.election_elapsed_ticks >= self.config.election_timeout().0 {
            self.boot_quiet = false;
        }
        // Raft 5.2: a follower that hears nothing for an election timeout
        // campaigns. Only voters campaign.
        if self.election_elapsed_ticks >= self.election_timeout_ticks && self.may_campaign() {
            self.campaign(false)?;
        }
        Ok(())
    }

    /// Voters campaign. So does a node that its latest configuration left
    /// out while that configuration is not known to be committed and the
    /// committed one counts it (thesis 4.2.2: "a server that is not part of
    /// its own latest configuration should still start new elections, as it
    /// might still be needed until the C_new entry is committed"): it may
    /// hold the only log the others would elect. Its own vote is not
    /// counted, as the quorum is asked of its latest configuration.
    fn may_campaign(&self) -> bool {
        self.is_voter()
            || (self.configs.in_force_index() > self.commit_index
                && self.configs.at(self.commit_index).is_voter(self.id()))
    }

    fn tick_leader(&mut self) -> Result<()> {
        self.tick_lease();
        self.election_elapsed_ticks = self.election_elapsed_ticks.saturating_add(1);
        self.heartbeat_elapsed_ticks = self.heartbeat_elapsed_ticks.saturating_add(1);
        let (timeout_min, _) = self.config.election_timeout();
        if self.election_elapsed_ticks >= timeout_min {
            self.election_elapsed_ticks = 0;
            // Thesis 6.2: a leader that has not heard from a quorum within an
            // election timeout steps down, so a partitioned leader stops
            // serving (and its clients retry elsewhere).
            if self.config.check_quorum() && !self.quorum_recently_active() {
                self.become_follower(self.term, None)?;
                return Ok(());
            }
        }
        self.tick_transfer();
        if self.heartbeat_elapsed_ticks >= self.config.heartbeat_interval() {
            self.heartbeat_elapsed_ticks = 0;
            self.broadcast_heartbeat();
            self.retry_unconfirmed_reads();
        }
        Ok(())
    }

    /// Whether a majority (the leader included) was heard from since the
    /// last check; starts a new window.
    fn quorum_recently_active(&mut self) -> bool {
        let id = self.id();
        let progress = &self.progress;
        let result = self.configs.in_force().vote_result(|voter| {
            Some(voter == id || progress.get(voter).is_some_and(|pr| pr.recent_active))
        });
        for pr in self.progress.iter_mut() {
            pr.recent_active = false;
        }
        result == VoteResult::Won
    }

    pub(super) fn reset_election_timer(&mut self) {
        let (min, max) = self.config.election_timeout();
        self.election_elapsed_ticks = 0;
        // Raft 5.2: randomised timeouts make split votes rare.
        self.election_timeout_ticks = self.rng.in_range(min, max);
    }

    /// Whether this node heard from a leader within the minimum election
    /// timeout (or is the leader). While it has, it ignores would-be
    /// candidates: leader stickiness, thesis 4.2.3. Stickiness needs
    /// check-quorum: without it, a leader that can send but not receive would
    /// keep everyone sticky forever and never be replaced.
    pub(super) fn in_leader_lease(&self) -> bool {
        if !self.config.check_quorum() {
            return false;
        }
        let (timeout_min, _) = self.config.election_timeout();
        match self.role {
            Role::Leader => true,
            _ => {
                (self.leader.is_some() || self.boot_quiet)
                    && self.election_elapsed_ticks < timeout_min
            }
        }
    }

    /// Starts an election: a pre-vote round first when enabled (thesis
    /// 9.6), unless `force` (leadership transfer, thesis 3.10).
    pub(super) fn campaign(&mut self, force: bool) -> Result<()> {
        if self.config.pre_vote() && !force {
            self.become_pre_candidate()
        } else {
            self.become_candidate(force)
        }
    }

    fn become_pre_candidate(&mut self) -> Result<()> {
        let Some(term) = next_term(self.term) else {
            return self.stay_at_term_ceiling();
        };
        if self.start_vote_round(true) {
            return self.become_candidate(false);
        }
        let request = Message::PreVote(PreVote {
            term,
            candidate: self.id(),
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
        });
        self.send_to_voter_peers(&request);
        Ok(())
    }

    fn become_candidate(&mut self, force: bool) -> Result<()> {
        // Raft 5.2: increment the term and vote for yourself, durably.
        let Some(term) = next_term(self.term) else {
            return self.stay_at_term_ceiling();
        };
        self.term = term;
        self.voted_for = Some(self.id());
        self.persist_hard_state()?;
        if self.start_vote_round(false) {
            return self.become_leader();
        }
        let request = Message::RequestVote(RequestVote {
            term: self.term,
            candidate: self.id(),
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
            force,
        });
        self.send_to_voter_peers(&request);
        Ok(())
    }

    /// A node whose term reached [`TERM_MAX`](crate::TERM_MAX) cannot
    /// campaign (the next term does not exist): it stays a follower and
    /// keeps following any leader of its term.
    fn stay_at_term_ceiling(&mut self) -> Result<()> {
        self.become_follower(self.term, self.leader)
    }

    /// Becomes a candidate for a (pre-)vote round holding its own vote.
    /// Returns whether that vote alone already wins (a sole voter).
    fn start_vote_round(&mut self, pre_vote: bool) -> bool {
        self.role = Role::Candidate;
        self.leader = None;
        self.reset_election_timer();
        self.campaign.start(pre_vote);
        self.campaign.record(self.id(), true);
        self.campaign.result(self.configs.in_force()) == VoteResult::Won
    }

    /// Any message this node hears from `leader` of its current term: a
    /// candidate steps down (Raft 5.2) and the election timer restarts.
    pub(super) fn hear_from_leader(&mut self, leader: NodeId) -> Result<()> {
        if self.role == Role::Candidate {
            self.become_follower(self.term, Some(leader))?;
        }
        self.leader = Some(leader);
        self.election_elapsed_ticks = 0;
        Ok(())
    }

    pub(super) fn become_leader(&mut self) -> Result<()> {
        self.role = Role::Leader;
        self.leader = Some(self.id());
        self.election_elapsed_ticks = 0;
        self.heartbeat_elapsed_ticks = 0;
        self.transfer = None;
        self.reads.reset();
        self.reset_lease();
        let last_index = self.log.last_index();
        let others = self.other_members();
        self.progress = ProgressTracker::new(&others, last_index);
        if self.is_sole_voter() && self.commit_index == last_index {
            // A sole voter over a fully committed log has nothing of an
            // earlier term to commit: the no-op buys nothing yet, and the
            // first proposal lands just after the log (index 1 on a new
            // node). It appends one before its first membership change.
            return Ok(());
        }
        // Raft 8 / thesis 6.4: a new leader appends a no-op of its own term,
        // so entries of earlier terms commit (Figure 8) and reads learn the
        // commit index. A sole voter that inherits an uncommitted tail does
        // too: it commits the tail with its no-op, never by counting.
        self.append_noop()
    }

    pub(super) fn become_follower(&mut self, term: Term, leader: Option<NodeId>) -> Result<()> {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.persist_hard_state()?;
        }
        if self.role == Role::Leader {
            // A deposed leader answers no reads (thesis 6.4); its clients
            // retry against the new leader.
            self.reads.reset();
            self.reset_lease();
            self.transfer = None;
            self.broadcast_pending = false;
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.reset_election_timer();
        Ok(())
    }

    /// The term rules every message goes through first (Raft 5.1, thesis
    /// 4.2.3 and 9.6). Returns whether the message should be handled.
    pub(super) fn observe_term(&mut self, message: &Message) -> Result<bool> {
        let term = message.term();
        if term > self.term {
            match message {
                // Thesis 9.6: a pre-vote never changes anyone's term, and a
                // granted pre-vote reply carries the prospective term.
                Message::PreVote(_) => {}
                Message::PreVoteReply(reply) if reply.vote_granted => {}
                // Thesis 4.2.3: while we hear from a leader, a higher-term
                // vote request is ignored outright, so a rejoining node
                // cannot depose a healthy leader. Transfer forces it.
                Message::RequestVote(request) if !request.force && self.in_leader_lease() => {
                    return Ok(false);
                }
                _ => {
                    let leader = match message {
                        Message::AppendEntries(_)
                        | Message::AppendShared(_)
                        | Message::InstallSnapshot(_)
                        | Message::SnapshotChunk(_)
                        | Message::ReadProbe(_)
                        | Message::TimeoutNow(_) => Some(message.from()),
                        _ => None,
                    };
                    self.become_follower(term, leader)?;
                }
            }
        } else if term < self.term {
            self.answer_stale(message);
            return Ok(false);
        } else if term == 0 && !is_reply(message) {
            // No candidate or leader exists in term 0 (every campaign starts
            // at term 1), so a term-0 request is forged or corrupt.
            return Ok(false);
        }
        Ok(true)
    }

    /// Raft 5.1: a request from an older term is refused with our term, so
    /// its sender learns it is stale. Stale replies are dropped.
    fn answer_stale(&mut self, message: &Message) {
        let (term, from, id) = (self.term, message.from(), self.id());
        let reply = match message {
            Message::AppendEntries(_) | Message::AppendShared(_) => {
                Message::AppendEntriesReply(crate::message::AppendEntriesReply {
                    term,
                    success: false,
                    from: id,
                    match_index: 0,
                    conflict_index: 0,
                    conflict_term: 0,
                })
            }
            Message::RequestVote(_) => Message::RequestVoteReply(RequestVoteReply {
                term,
                vote_granted: false,
                from: id,
            }),
            Message::PreVote(_) => Message::PreVoteReply(PreVoteReply {
                term,
                vote_granted: false,
                from: id,
            }),
            Message::SnapshotChunk(chunk) => {
                Message::SnapshotChunkReply(crate::message::SnapshotChunkReply {
                    term,
                    from: id,
                    index: chunk.index,
                    next_offset: 0,
                    installed: false,
                })
            }
            Message::InstallSnapshot(_) => {
                Message::InstallSnapshotReply(crate::message::InstallSnapshotReply {
                    term,
                    from: id,
                    last_index: 0,
                })
            }
            Message::ReadProbe(probe) => Message::ReadProbeReply(crate::message::ReadProbeReply {
                term,
                from: id,
                seq: probe.seq,
            }),
            _ => return,
        };
        self.send(from, reply);
    }

    /// Raft 5.4.1: a candidate's log is at least as up to date as ours if
    /// its last term is higher, or equal with an index at least ours.
    fn log_is_up_to_date(&self, last_log_term: Term, last_log_index: Index) -> bool {
        let our_term = self.log.last_term();
        last_log_term > our_term
            || (last_log_term == our_term && last_log_index >= self.log.last_index())
    }

    pub(super) fn handle_pre_vote(&mut self, request: PreVote) -> Result<()> {
        // Thesis 9.6: grant only if we would grant the real vote and have
        // not heard from a leader within the election timeout.
        let granted = request.term > self.term
            && !self.in_leader_lease()
            && self.log_is_up_to_date(request.last_log_term, request.last_log_index);
        let reply = PreVoteReply {
            term: if granted { request.term } else { self.term },
            vote_granted: granted,
            from: self.id(),
        };
        self.send(request.candidate, Message::PreVoteReply(reply));
        Ok(())
    }

    pub(super) fn handle_request_vote(&mut self, request: RequestVote) -> Result<()> {
        // Raft 5.2: one vote per term, first come first served; a node that
        // already follows a leader in this term votes for nobody else.
        let can_vote = self.voted_for == Some(request.candidate)
            || (self.voted_for.is_none() && self.leader.is_none());
        let granted =
            can_vote && self.log_is_up_to_date(request.last_log_term, request.last_log_index);
        if granted {
            self.voted_for = Some(request.candidate);
            self.persist_hard_state()?;
            // Raft 5.2: granting a vote resets the election timer.
            self.reset_election_timer();
        }
        let reply = RequestVoteReply {
            term: self.term,
            vote_granted: granted,
            from: self.id(),
        };
        self.send(request.candidate, Message::RequestVoteReply(reply));
        Ok(())
    }

    pub(super) fn handle_pre_vote_reply(&mut self, reply: PreVoteReply) -> Result<()> {
        let expected_term = if reply.vote_granted {
            next_term(self.term)
        } else {
            Some(self.term)
        };
        if self.role != Role::Candidate
            || !self.campaign.pre_vote
            || Some(reply.term) != expected_term
        {
            return Ok(());
        }
        self.count_vote(reply.from, reply.vote_granted)
    }

    pub(super) fn handle_request_vote_reply(&mut self, reply: RequestVoteReply) -> Result<()> {
        if self.role != Role::Candidate || self.campaign.pre_vote {
            return Ok(());
        }
        self.count_vote(reply.from, reply.vote_granted)
    }

    fn count_vote(&mut self, from: NodeId, granted: bool) -> Result<()> {
        if !self.membership().is_voter(from) {
            return Ok(());
        }
        self.campaign.record(from, granted);
        match self.campaign.result(self.configs.in_force()) {
            VoteResult::Won if self.campaign.pre_vote => self.become_candidate(false),
            VoteResult::Won => self.become_leader(),
            VoteResult::Lost => self.become_follower(self.term, None),
            VoteResult::Pending => Ok(()),
        }
    }

    pub(super) fn handle_timeout_now(&mut self, _message: TimeoutNow) -> Result<()> {
        // Thesis 3.10: the transfer target campaigns at once, skipping
        // pre-vote and bypassing stickiness.
        if self.is_voter() && !self.is_leader() {
            self.campaign(true)?;
        }
        Ok(())
    }
}

/// Replies may legitimately carry term 0 (a refusal from a node that never
/// left term 0).
fn is_reply(message: &Message) -> bool {
    matches!(
        message,
        Message::PreVoteReply(_)
            | Message::RequestVoteReply(_)
            | Message::AppendEntriesReply(_)
            | Message::InstallSnapshotReply(_)
            | Message::SnapshotChunkReply(_)
            | Message::ReadProbeReply(_)
    )
}
