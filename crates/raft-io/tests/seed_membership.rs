//! A program written only against the raft-io 1.0 API (the names
//! `/work/shared/API-CONTRACT.md` lists, none of ours): under a steady
//! proposal load it adds a voter, adds and promotes a learner, removes a
//! follower and then the leader, and transfers leadership, checking the
//! member lists through `members()`, `learners()` and
//! `Action::MembershipChanged` after each change; at the end every node has
//! applied the same commands in the same order and no acknowledged command
//! is lost.
//!
//! The driver is hand-written and deterministic: nodes in id order, one
//! FIFO queue for the network, a bounded number of ticks for every wait.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test asserts by panicking"
)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use error_forge::ForgeError;
use raft_io::{Action, Error, Event, Index, Message, NodeId, RaftConfig, RaftNode};

/// The longest any one wait may take, in ticks (a few election timeouts).
const WAIT_TICKS_MAX: u32 = 300;

/// A cluster in one process, driven by hand.
struct Driver {
    nodes: BTreeMap<NodeId, RaftNode>,
    /// In flight: (from, to, message). A message to a stopped node is lost.
    network: VecDeque<(NodeId, NodeId, Message)>,
    /// Every `Apply` each node performed, stopped nodes included.
    applied: BTreeMap<NodeId, Vec<(Index, Vec<u8>)>>,
    /// Every `MembershipChanged { members }` each node reported.
    membership_changed: BTreeMap<NodeId, Vec<Vec<NodeId>>>,
    /// Which node accepted each proposal; it acknowledges the client when
    /// it applies that command.
    accepted_by: BTreeMap<Vec<u8>, NodeId>,
    acknowledged: Vec<Vec<u8>>,
    /// Proposals made so far (the steady load); each command is unique.
    proposals: u64,
    load_on: bool,
}

impl Driver {
    fn new(ids: &[NodeId]) -> Self {
        let mut driver = Self {
            nodes: BTreeMap::new(),
            network: VecDeque::new(),
            applied: BTreeMap::new(),
            membership_changed: BTreeMap::new(),
            accepted_by: BTreeMap::new(),
            acknowledged: Vec::new(),
            proposals: 0,
            load_on: true,
        };
        for &id in ids {
            driver.start(id, ids);
        }
        driver
    }

    /// Starts node `id` with an empty log, knowing `peers`.
    fn start(&mut self, id: NodeId, peers: &[NodeId]) {
        let config = RaftConfig::new(id, peers.iter().copied());
        self.nodes.insert(id, RaftNode::new(config));
    }

    fn stop(&mut self, id: NodeId) {
        self.nodes.remove(&id);
    }

    fn step(&mut self, id: NodeId, event: Event) -> raft_io::Result<()> {
        let node = self.nodes.get_mut(&id).unwrap();
        for action in node.step(event)? {
            match action {
                Action::Send { to, message } => self.network.push_back((id, to, message)),
                Action::Apply { index, command, .. } => {
                    if self.accepted_by.get(&command) == Some(&id) {
                        self.acknowledged.push(command.clone());
                    }
                    self.applied.entry(id).or_default().push((index, command));
                }
                Action::MembershipChanged { members } => {
                    self.membership_changed.entry(id).or_default().push(members);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// One round: a proposal at the leader (the load), a tick everywhere,
    /// then every message delivered until the network is quiet.
    fn tick(&mut self) {
        if self.load_on
            && let Some(leader) = self.leader()
        {
            let command = format!("cmd-{}", self.proposals).into_bytes();
            self.proposals += 1;
            match self.step(leader, Event::Propose(command.clone())) {
                Ok(()) => {
                    self.accepted_by.insert(command, leader);
                }
                Err(Error::NotLeader { .. }) => {}
                // Any other retryable refusal: the client tries again later.
                Err(error) if error.is_retryable() => {}
                Err(error) => panic!("proposal at node {leader}: {error}"),
            }
        }
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            self.step(id, Event::Tick).unwrap();
        }
        while let Some((from, to, message)) = self.network.pop_front() {
            if self.nodes.contains_key(&to) {
                self.step(to, Event::Message(message))
                    .unwrap_or_else(|e| panic!("node {to} on a message from {from}: {e}"));
            }
        }
    }

    /// Ticks `ticks` times (the load goes on).
    fn run_for(&mut self, ticks: u32) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    /// Ticks until `done` holds; panics with `what` after `WAIT_TICKS_MAX`.
    fn run_until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        for _ in 0..WAIT_TICKS_MAX {
            if done(self) {
                return;
            }
            self.tick();
        }
        assert!(done(self), "{what}: not within {WAIT_TICKS_MAX} ticks");
    }

    /// The leader of the highest term.
    fn leader(&self) -> Option<NodeId> {
        self.nodes
            .values()
            .filter(|n| n.is_leader())
            .max_by_key(|n| n.term())
            .map(|n| n.id())
    }

    fn wait_for_leader(&mut self) -> NodeId {
        self.run_until("a leader", |d| d.leader().is_some());
        self.leader().unwrap()
    }

    /// Hands a membership change to the leader, retrying while it answers
    /// `ConfigInProgress` (the previous change, or the new leader's first
    /// entry, is not committed yet) or there is no leader. Returns the
    /// leader that accepted it.
    fn request_change(&mut self, event: Event) -> NodeId {
        for _ in 0..WAIT_TICKS_MAX {
            let leader = self.wait_for_leader();
            match self.step(leader, event.clone()) {
                Ok(()) => return leader,
                Err(Error::ConfigInProgress | Error::NotLeader { .. }) => self.tick(),
                Err(error) => panic!("{event:?} refused: {error}"),
            }
        }
        panic!("{event:?} still in progress after {WAIT_TICKS_MAX} ticks");
    }

    /// Waits until every running node reports `voters` and `learners`, and
    /// checks each reported `voters` last through `MembershipChanged`.
    fn wait_for_members(&mut self, voters: &[NodeId], learners: &[NodeId]) {
        self.run_until(&format!("members {voters:?}, learners {learners:?}"), |d| {
            d.nodes
                .values()
                .all(|n| n.members() == voters && n.learners() == learners)
        });
        for &id in self.nodes.keys() {
            let last = self.membership_changed.get(&id).and_then(|c| c.last());
            assert_eq!(
                last.map(Vec::as_slice),
                Some(voters),
                "node {id}'s last MembershipChanged"
            );
        }
    }

    /// Stops the load and waits until every running node has applied the
    /// same log.
    fn settle(&mut self) {
        self.load_on = false;
        self.run_until("every node applied the same log", |d| {
            let commits: BTreeSet<Index> = d.nodes.values().map(|n| n.commit_index()).collect();
            let applies: BTreeSet<Index> = d.nodes.values().map(|n| n.last_applied()).collect();
            commits.len() == 1 && commits == applies
        });
    }
}

#[test]
fn membership_changes_under_load_keep_every_acknowledged_command() {
    let mut driver = Driver::new(&[1, 2, 3]);
    driver.wait_for_leader();
    driver.run_until("some load committed", |d| d.acknowledged.len() >= 10);

    // A voter: the leader adds it first, then the new node starts.
    driver.request_change(Event::AddServer(4));
    driver.start(4, &[1, 2, 3, 4]);
    driver.wait_for_members(&[1, 2, 3, 4], &[]);
    driver.run_for(20);

    // A learner, then its promotion.
    driver.request_change(Event::AddLearner(5));
    driver.start(5, &[1, 2, 3, 4, 5]);
    driver.wait_for_members(&[1, 2, 3, 4], &[5]);
    let learner_applied = driver.applied.get(&5).map_or(0, Vec::len);
    driver.run_until("the learner applies new commands", |d| {
        d.applied.get(&5).map_or(0, Vec::len) > learner_applied + 5
    });
    driver.request_change(Event::PromoteLearner(5));
    driver.wait_for_members(&[1, 2, 3, 4, 5], &[]);
    driver.run_for(20);

    // Remove a follower, then the leader itself (it steps down once the
    // removal commits, and a remaining voter takes over).
    let leader = driver.wait_for_leader();
    let follower = *driver.nodes.keys().find(|&&id| id != leader).unwrap();
    // The leader stops replicating to a removed node at once, so it never
    // hears of its removal: the operator shuts it down.
    driver.request_change(Event::RemoveServer(follower));
    driver.stop(follower);
    let voters: Vec<NodeId> = (1..=5).filter(|&id| id != follower).collect();
    driver.wait_for_members(&voters, &[]);
    driver.run_for(20);

    let leader = driver.request_change(Event::RemoveServer(leader));
    let voters: Vec<NodeId> = voters.into_iter().filter(|&id| id != leader).collect();
    driver.run_until("the removed leader steps down", |d| {
        d.leader().is_some_and(|l| l != leader)
    });
    driver.stop(leader);
    driver.wait_for_members(&voters, &[]);
    driver.run_for(20);

    // Leadership transfer to another of the remaining voters.
    let leader = driver.wait_for_leader();
    let target = *voters.iter().find(|&&id| id != leader).unwrap();
    // The load goes on: the leader refuses proposals (a retryable error)
    // while the transfer is in flight (thesis 3.10).
    driver
        .step(leader, Event::TransferLeadership(target))
        .unwrap();
    driver.run_until("the transfer completes", |d| d.leader() == Some(target));
    let before = driver.acknowledged.len();
    driver.run_until("load commits under the new leader", |d| {
        d.acknowledged.len() >= before + 20
    });
    driver.settle();

    check_applies(&driver);
}

/// Every node applied in strictly increasing index order, each command at
/// most once; no two nodes applied different commands at one index; every
/// running node applied the same log; and that log holds every
/// acknowledged command.
fn check_applies(driver: &Driver) {
    let mut at_index: BTreeMap<Index, &[u8]> = BTreeMap::new();
    for (id, applies) in &driver.applied {
        let mut commands = BTreeSet::new();
        for pair in applies.windows(2) {
            assert!(pair[0].0 < pair[1].0, "node {id} applied out of order");
        }
        for (index, command) in applies {
            assert!(commands.insert(command), "node {id} applied {index} twice");
            let first = at_index.entry(*index).or_insert(command);
            assert_eq!(*first, command.as_slice(), "two commands at index {index}");
        }
    }
    let running: Vec<&Vec<(Index, Vec<u8>)>> =
        driver.nodes.keys().map(|id| &driver.applied[id]).collect();
    assert!(
        running.windows(2).all(|w| w[0] == w[1]),
        "running nodes differ"
    );
    let log: BTreeSet<&[u8]> = running[0].iter().map(|(_, c)| c.as_slice()).collect();
    assert!(driver.acknowledged.len() >= 100, "the load ran");
    for command in &driver.acknowledged {
        assert!(
            log.contains(command.as_slice()),
            "acknowledged {} lost",
            String::from_utf8_lossy(command)
        );
    }
}
