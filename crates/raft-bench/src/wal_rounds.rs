//! Our 3-node `WalLog` cluster driven in delivery rounds: each round every
//! node handles everything sent to it so far, either with one `step_many`
//! (one fsync per node per round) or, with deferred sync, with one `step`
//! per event (the raft-io 1.0 calling style) and one `flush` per node per
//! round: group commit for a program that steps one event at a time, and the
//! leader's `AppendEntries` leave before its own fsync (thesis 10.2.1).

use std::path::Path;
use std::time::{Duration, Instant};

use raft_core::{Action, Event, RaftConfig, RaftNode};
use raft_log_wal::WalLog;

use crate::cluster::{PAYLOAD, Sample};

/// How a node takes its inbox of one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Calling {
    /// One `step` per event, each syncing (no deferral).
    Step,
    /// One `step_many` for the whole inbox (syncs inside).
    StepMany,
    /// Deferred sync: one `step` per event, then one `flush`.
    StepThenFlush,
    /// Deferred sync: one `step_many` for the inbox, then one `flush`.
    StepManyThenFlush,
}

impl Calling {
    /// The style called `name` on the command line.
    pub(crate) fn parse(name: &str) -> Option<Calling> {
        match name {
            "step" => Some(Calling::Step),
            "step-many" => Some(Calling::StepMany),
            "step-flush" => Some(Calling::StepThenFlush),
            "step-many-flush" => Some(Calling::StepManyThenFlush),
            _ => None,
        }
    }

    fn deferred(self) -> bool {
        matches!(self, Calling::StepThenFlush | Calling::StepManyThenFlush)
    }

    /// Hands `events` to `node` this way, its actions into `out`; with a
    /// deferred style, what may leave before the sync (the leader's
    /// appends), to be sent before `finish`.
    pub(crate) fn step(
        self,
        node: &mut RaftNode<WalLog>,
        events: impl Iterator<Item = Event>,
        out: &mut Vec<Action>,
    ) {
        match self {
            Calling::Step | Calling::StepThenFlush => {
                events.for_each(|event| node.step_into(event, out).unwrap());
            }
            Calling::StepMany | Calling::StepManyThenFlush => {
                node.step_many_into(events, out).unwrap();
            }
        }
    }

    /// After `step` and sending what it gave: the deferred styles' one
    /// `flush` (one sync), its actions into `out`.
    pub(crate) fn finish(self, node: &mut RaftNode<WalLog>, out: &mut Vec<Action>) {
        if self.deferred() {
            node.flush_into(out).unwrap();
        }
    }
}

/// The nodes, what each is to handle next round, and what each applied.
pub(crate) struct Rounds {
    pub(crate) nodes: Vec<RaftNode<WalLog>>,
    inboxes: Vec<Vec<Event>>,
    applied: Vec<u64>,
    calling: Calling,
    out: Vec<Action>,
}

impl Rounds {
    /// Three nodes on their own logs under `dir`, node 1 elected (only it is
    /// ticked, and only when nothing is in flight), every node caught up;
    /// heartbeats every 3 ticks, elections (and check-quorum) after
    /// `election_timeout` ticks.
    pub(crate) fn elected(dir: &Path, calling: Calling, election_timeout: u32) -> Rounds {
        let nodes = (1..=3)
            .map(|id| {
                let peers = (1..=3).filter(move |&peer| peer != id);
                let config = RaftConfig::new(id, peers)
                    .with_election_timeout(election_timeout, election_timeout)
                    .with_heartbeat_interval(3)
                    .with_deferred_sync(calling.deferred());
                let log = WalLog::open(dir.join(format!("node-{id}"))).unwrap();
                RaftNode::with_log(config, log)
            })
            .collect();
        let mut rounds = Rounds {
            nodes,
            inboxes: vec![Vec::new(); 3],
            applied: vec![0; 3],
            calling,
            out: Vec::new(),
        };
        for _ in 0..100 * election_timeout {
            let caught_up = rounds.nodes[0].is_leader()
                && rounds.nodes[0].commit_index() > 0
                && rounds
                    .nodes
                    .iter()
                    .all(|node| node.last_applied() == rounds.nodes[0].commit_index());
            if caught_up && rounds.inboxes.iter().all(Vec::is_empty) {
                rounds.applied = vec![0; 3];
                return rounds;
            }
            rounds.round();
        }
        panic!("no leader elected on WalLog with {calling:?}");
    }

    /// One delivery round (a tick at node 1 when nothing is in flight, so
    /// a heartbeat carries the last commit index).
    fn round(&mut self) {
        if self.inboxes.iter().all(Vec::is_empty) {
            self.inboxes[0].push(Event::Tick);
        }
        for index in 0..self.nodes.len() {
            let events = std::mem::take(&mut self.inboxes[index]);
            if events.is_empty() {
                continue;
            }
            let mut out = std::mem::take(&mut self.out);
            self.calling
                .step(&mut self.nodes[index], events.into_iter(), &mut out);
            self.dispatch(index, &mut out);
            self.calling.finish(&mut self.nodes[index], &mut out);
            self.dispatch(index, &mut out);
            self.out = out;
        }
    }

    /// Queues node `index`'s sends and counts its applies.
    fn dispatch(&mut self, index: usize, out: &mut Vec<Action>) {
        for action in out.drain(..) {
            match action {
                Action::Send { to, message } => {
                    if let Some(inbox) = usize::try_from(to - 1)
                        .ok()
                        .and_then(|i| self.inboxes.get_mut(i))
                    {
                        inbox.push(Event::Message(message));
                    }
                }
                Action::Apply { command, .. } => {
                    std::hint::black_box(command);
                    self.applied[index] += 1;
                }
                _ => {}
            }
        }
    }
}

/// Keeps `window` proposals of 64 B in flight at the leader (refilled at
/// the start of each round) for `budget`; commands applied on every node.
pub(crate) fn run(calling: Calling, window: u64, budget: Duration) -> Sample {
    let dir = tempfile::tempdir().unwrap();
    let mut rounds = Rounds::elected(dir.path(), calling, 10);
    let base = rounds.nodes[0].commit_index();
    let mut proposed = 0u64;
    let before = crate::alloc_counter::now();
    let started = Instant::now();
    while started.elapsed() < budget {
        let committed = rounds.nodes[0].commit_index() - base;
        let room = window.saturating_sub(proposed - committed.min(proposed));
        rounds.inboxes[0].extend((0..room).map(|_| Event::Propose(vec![0xab; PAYLOAD])));
        proposed += room;
        rounds.round();
    }
    Sample {
        applied: rounds.applied.iter().copied().min().unwrap_or(0),
        elapsed: started.elapsed(),
        counts: crate::alloc_counter::now().since(before),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every calling style commits and applies on all three nodes, and the
    /// deferred ones really defer: a follower's reply waits for its flush.
    #[test]
    fn every_calling_style_applies_everywhere() {
        for calling in [
            Calling::Step,
            Calling::StepMany,
            Calling::StepThenFlush,
            Calling::StepManyThenFlush,
        ] {
            // 8, not 64: one step per event syncs 64 times per round.
            for window in [1, 8] {
                let sample = run(calling, window, Duration::from_millis(300));
                assert!(sample.applied > 0, "{calling:?} at {window} in flight");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let mut rounds = Rounds::elected(dir.path(), Calling::StepThenFlush, 10);
        let sent = rounds.nodes[0]
            .step(Event::Propose(vec![1; PAYLOAD]))
            .unwrap();
        let append = sent
            .into_iter()
            .find_map(|action| match action {
                Action::Send { message, .. } => Some(message),
                _ => None,
            })
            .expect("the leader's append leaves before its sync");
        let held = rounds.nodes[1].step(Event::Message(append)).unwrap();
        assert!(held.is_empty(), "the follower's reply waits for its flush");
        let flushed = rounds.nodes[1].flush().unwrap();
        assert!(
            flushed
                .iter()
                .any(|action| matches!(action, Action::Send { to: 1, .. }))
        );
    }
}
