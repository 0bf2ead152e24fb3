//! Membership changes (thesis 4): single-server changes, one at a time,
//! only after the leader commits an entry of its term (Ongaro 2015);
//! configurations in force on append and undone on truncation; learners;
//! joint consensus (paper 6, thesis 4.3); removed leaders; recovery.

use raft_core::{
    Action, ConfChange, EntryKind, Error, Event, LogEntry, Membership, MemoryLog, RaftConfig,
    RaftLog, RaftNode, Role, Snapshot,
};

use crate::common::*;
use crate::net::{Net, within};

/// A leader of `voters` (node 1) whose no-op every voter acknowledged.
fn settled_leader(voters: &[u64]) -> RaftNode {
    let mut leader = RaftNode::new(cfg(1, voters));
    elect_and_settle(&mut leader);
    leader
}

fn config_entry_at(node: &RaftNode, index: u64) -> Membership {
    let entry = node.log().entry(index).unwrap();
    assert_eq!(
        entry.kind,
        EntryKind::Config,
        "entry {index} is not a configuration"
    );
    entry.membership().unwrap()
}

// Ongaro, raft-dev 2015 ("bug in single-server membership changes"): four
// voters; leader 1 appends AddServer(5) that reaches only node 5 and
// crashes; new leader 2 removes node 1 and commits it with the new
// majority; node 1 restarts and campaigns with {1, 4, 5}. Because a leader
// changes the configuration only after committing an entry of its own term,
// node 4 holds that term-2 entry, refuses node 1, and nothing committed is
// lost.
#[test]
fn the_2015_single_server_bug_cannot_lose_a_committed_entry() {
    let mut net = Net::new(&[1, 2, 3, 4], &[5]);
    net.elect(1, within(&[1, 2, 3, 4]));
    net.deliver_all();
    assert_eq!(net.node(1).commit_index(), 1, "leader 1's no-op");

    // AddServer(5) reaches only node 5; then node 1 crashes.
    net.step(1, Event::AddServer(5)).unwrap();
    net.deliver(|from, to| from == 5 || to == 5);
    assert_eq!(net.node(5).members(), &[1, 2, 3, 4, 5]);
    let node_1 = net.crash(1);

    // Node 2 wins term 2 with {2, 3, 4} and removes node 1, retrying while
    // the change is refused and delivering to every live voter meanwhile.
    net.elect(2, within(&[2, 3, 4]));
    let mut attempts = 0;
    while net.step(2, Event::RemoveServer(1)) == Err(Error::ConfigInProgress) {
        attempts += 1;
        net.deliver(within(&[2, 3, 4]));
        assert!(attempts < 5, "the no-op of term 2 never committed");
    }
    assert_eq!(attempts, 1, "refused until an entry of term 2 committed");
    assert_eq!(net.node(4).term(), 2);
    // The removal reaches node 3 only and commits with {2, 3} of {2, 3, 4}.
    net.deliver(within(&[2, 3]));
    net.tick(&[2, 3], 3, within(&[2, 3]));
    let removal = net.node(2).log().last_index();
    assert_eq!(config_entry_at(net.node(2), removal).voters(), &[2, 3, 4]);
    assert!(
        net.node(2).commit_index() >= removal,
        "the removal committed"
    );

    // Node 1 restarts and campaigns with {1, 4, 5} (its configuration is
    // {1, 2, 3, 4, 5}); node 4 holds term 2's no-op, so it refuses.
    net.restart(1, node_1);
    for _ in 0..5 {
        net.time_out(1);
        net.deliver(within(&[1, 4, 5]));
        assert_ne!(
            net.node(1).role(),
            Role::Leader,
            "node 1 won with {{1, 4, 5}}"
        );
        net.tick(&[1], 25, within(&[1, 4, 5]));
    }
    // Healed, the cluster goes on; the committed removal is never undone.
    net.tick(&[1, 2, 3, 4, 5], 100, |_, _| true);
    for id in [2, 3, 4] {
        assert_eq!(config_entry_at(net.node(id), removal).voters(), &[2, 3, 4]);
    }
}

// Ongaro 2015's fix, directly: a new leader refuses a change until it has
// committed an entry of its own term, then accepts it.
#[test]
fn a_new_leader_changes_membership_only_after_committing_in_its_term() {
    let mut leader = RaftNode::new(cfg(1, &[1, 2, 3]));
    elect(&mut leader);
    assert_eq!(
        leader.step(Event::AddServer(4)),
        Err(Error::ConfigInProgress)
    );
    assert_eq!(leader.log().last_index(), 1, "nothing appended");
    leader.step(msg(ae_ok(1, 2, 1))).unwrap();
    assert_eq!(leader.commit_index(), 1);
    leader.step(Event::AddServer(4)).unwrap();
    assert_eq!(config_entry_at(&leader, 2).voters(), &[1, 2, 3, 4]);
}

// Thesis 4.1: "a server always uses the latest configuration in its log,
// regardless of whether the entry is committed". The leader counts the new
// voter at once, reports the change, and starts replicating to it.
#[test]
fn a_configuration_takes_effect_when_appended() {
    let mut leader = settled_leader(&[1, 2, 3]);
    let actions = leader.step(Event::AddServer(4)).unwrap();
    assert_eq!(leader.members(), &[1, 2, 3, 4]);
    assert!(leader.is_config_pending());
    assert_eq!(
        actions[0],
        Action::MembershipChanged {
            members: vec![1, 2, 3, 4]
        }
    );
    let config = LogEntry::config(1, 2, &[1, 2, 3, 4]);
    assert!(actions.contains(&send(2, ae(1, 1, (1, 1), vec![config.clone()], 1))));
    // Node 4 is probed from the leader's end; its log is empty, so it will
    // reject and be backtracked.
    assert!(actions.contains(&send(4, ae(1, 1, (2, 1), vec![], 1))));
    // With four voters, a majority is three: one follower is not enough.
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(leader.commit_index(), 1);
    leader.step(msg(ae_ok(1, 3, 2))).unwrap();
    assert_eq!(leader.commit_index(), 2);
    assert!(!leader.is_config_pending());
}

// Thesis 4.1: one change at a time. A second change while the first is
// uncommitted is refused and changes nothing, alone or in one batch.
#[test]
fn a_second_change_waits_for_the_first_to_commit() {
    let mut leader = settled_leader(&[1, 2, 3]);
    leader.step(Event::AddServer(4)).unwrap();
    let last = leader.log().last_index();
    assert_eq!(
        leader.step(Event::AddServer(5)),
        Err(Error::ConfigInProgress)
    );
    assert_eq!(
        leader.step(Event::RemoveServer(2)),
        Err(Error::ConfigInProgress)
    );
    assert_eq!(
        (leader.log().last_index(), leader.members()),
        (last, &[1, 2, 3, 4][..])
    );

    let mut other = settled_leader(&[1, 2, 3]);
    let actions = other
        .step_many([Event::AddLearner(7), Event::AddServer(5)])
        .unwrap();
    assert!(actions.contains(&Action::Rejected {
        event: 1,
        error: Error::ConfigInProgress
    }));
    assert_eq!(
        (other.members(), other.learners()),
        (&[1, 2, 3][..], &[7][..])
    );
}

// Requests that can never succeed get an error naming the node; nothing
// changes, and the node keeps working.
#[test]
fn impossible_changes_are_refused_with_the_node_named() {
    let mut leader = settled_leader(&[1, 2, 3]);
    let cases = [
        (Event::AddServer(2), 2, "it is already a voter"),
        (Event::RemoveServer(9), 9, "it is not a member"),
        (Event::PromoteLearner(3), 3, "it is already a voter"),
        (Event::PromoteLearner(8), 8, "it is not a learner"),
        (Event::AddLearner(1), 1, "it is already a voter"),
    ];
    for (event, node, reason) in cases {
        assert_eq!(
            leader.step(event),
            Err(Error::MembershipChange { node, reason })
        );
    }
    assert_eq!(leader.log().last_index(), 1);
    let mut sole = RaftNode::new(cfg(1, &[1]));
    elect(&mut sole);
    sole.step(Event::Propose(b"x".to_vec())).unwrap();
    assert_eq!(
        sole.step(Event::RemoveServer(1)),
        Err(Error::MembershipChange {
            node: 1,
            reason: "it is the last voter"
        })
    );
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    assert_eq!(
        follower.step(Event::AddServer(4)),
        Err(Error::NotLeader { leader: None })
    );
}

// Thesis 4.1: a configuration entry that a later leader overwrites is
// undone, and the node goes back to the one before it.
#[test]
fn a_truncated_configuration_entry_reverts_the_configuration() {
    let mut follower = RaftNode::new(cfg(2, &[1, 2, 3]));
    let add = LogEntry::config(1, 2, &[1, 2, 3, 4]);
    let actions = follower
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1), add], 1)))
        .unwrap();
    assert_eq!(follower.members(), &[1, 2, 3, 4]);
    assert!(actions.contains(&Action::MembershipChanged {
        members: vec![1, 2, 3, 4]
    }));

    // Leader 3 of term 2 never had the change: index 2 is overwritten.
    let actions = follower
        .step(msg(ae(2, 3, (1, 1), vec![noop(2, 2)], 1)))
        .unwrap();
    assert_eq!(follower.members(), &[1, 2, 3]);
    assert!(actions.contains(&Action::MembershipChanged {
        members: vec![1, 2, 3]
    }));
}

// Thesis 4.2.2: a leader removed from the configuration manages the
// cluster until the removal commits, without counting itself, then steps
// down; it hands over to a caught-up voter with TimeoutNow.
#[test]
fn a_removed_leader_steps_down_once_the_removal_commits() {
    let mut leader = settled_leader(&[1, 2, 3]);
    leader.step(Event::RemoveServer(1)).unwrap();
    assert_eq!(leader.members(), &[2, 3]);
    assert!(leader.is_leader(), "it leads until the removal commits");
    // It does not count itself: node 2 alone is not a majority of {2, 3}.
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!((leader.commit_index(), leader.is_leader()), (1, true));
    let actions = leader.step(msg(ae_ok(1, 3, 2))).unwrap();
    assert_eq!(leader.commit_index(), 2);
    assert_eq!(leader.role(), Role::Follower);
    assert!(actions.contains(&send(2, timeout_now(1, 1))));
    // A non-voter never campaigns.
    for _ in 0..100 {
        assert!(leader.step(Event::Tick).unwrap().is_empty());
    }
}

fn timeout_now(term: u64, leader: u64) -> raft_core::Message {
    raft_core::Message::TimeoutNow(raft_core::TimeoutNow { term, leader })
}

// Removing one node of two: the survivor is a majority of one, so the
// removal commits at the leader's own sync, without the removed node.
#[test]
fn removing_one_node_of_two_commits_without_it() {
    let mut leader = settled_leader(&[1, 2]);
    leader.step(Event::RemoveServer(2)).unwrap();
    assert_eq!(leader.members(), &[1]);
    assert_eq!(leader.commit_index(), 2, "committed by the leader alone");
    leader.step(Event::Propose(b"x".to_vec())).unwrap();
    assert_eq!(leader.commit_index(), 3);
}

// A learner receives the log but counts toward no quorum: with two of
// three voters down, nothing commits although the learner acknowledged.
#[test]
fn a_learner_is_never_counted_toward_commit() {
    let mut leader = settled_leader(&[1, 2, 3]);
    leader.step(Event::AddLearner(4)).unwrap();
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!((leader.commit_index(), leader.learners()), (2, &[4][..]));
    leader.step(msg(ae_ok(1, 4, 2))).unwrap();
    let actions = leader.step(Event::Propose(b"x".to_vec())).unwrap();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Send { to: 4, .. })),
        "the learner is replicated to"
    );
    leader.step(msg(ae_ok(1, 4, 3))).unwrap();
    assert_eq!(leader.commit_index(), 2, "a learner's ack commits nothing");
    leader.step(msg(ae_ok(1, 2, 3))).unwrap();
    assert_eq!(leader.commit_index(), 3);
}

// A learner never campaigns, and a TimeoutNow does not make it one; once
// promoted (the configuration reaches it), it campaigns like any voter.
#[test]
fn a_learner_never_campaigns_until_promoted() {
    let mut learner = RaftNode::new(RaftConfig::joining(4).with_pre_vote(false));
    let with_learner = LogEntry::config_with_learners(1, 1, &[1, 2, 3], &[4]);
    learner
        .step(msg(ae(1, 1, (0, 0), vec![with_learner], 1)))
        .unwrap();
    assert_eq!(
        (learner.members(), learner.learners()),
        (&[1, 2, 3][..], &[4][..])
    );
    for _ in 0..100 {
        learner.step(Event::Tick).unwrap();
    }
    learner.step(msg(timeout_now(1, 1))).unwrap();
    assert_eq!((learner.role(), learner.term()), (Role::Follower, 1));

    let promoted = LogEntry::config(1, 2, &[1, 2, 3, 4]);
    learner
        .step(msg(ae(1, 1, (1, 1), vec![promoted], 2)))
        .unwrap();
    assert_eq!(learner.members(), &[1, 2, 3, 4]);
    tick_until_output(&mut learner, 100);
    assert_eq!((learner.role(), learner.term()), (Role::Candidate, 2));
}

// A joining node starts with no configuration: it never campaigns, so it
// cannot win an election with an empty log, until the leader's
// configuration reaches it.
#[test]
fn a_joining_node_waits_for_the_leaders_configuration() {
    let mut joining = RaftNode::new(RaftConfig::joining(4));
    for _ in 0..200 {
        assert!(joining.step(Event::Tick).unwrap().is_empty());
    }
    assert!(joining.members().is_empty());
    let config = LogEntry::config(1, 1, &[1, 2, 3, 4]);
    joining
        .step(msg(ae(1, 1, (0, 0), vec![config], 1)))
        .unwrap();
    assert_eq!(joining.members(), &[1, 2, 3, 4]);
    tick_until_output(&mut joining, 100);
    assert_eq!(joining.role(), Role::Candidate);
}

// Paper 6 / thesis 4.3: in C_old,new an entry commits only with a majority
// of both halves; once C_old,new commits, the leader appends C_new itself.
#[test]
fn joint_commit_needs_both_halves_and_the_leader_leaves_joint_by_itself() {
    let mut leader = settled_leader(&[1, 2, 3]);
    leader
        .step(Event::ChangeMembership {
            voters: vec![1, 4, 5],
            learners: vec![],
        })
        .unwrap();
    let joint = config_entry_at(&leader, 2);
    assert_eq!(
        (joint.outgoing_voters(), joint.voters()),
        (&[1, 2, 3][..], &[1, 4, 5][..])
    );
    assert!(leader.is_config_pending());
    // The new half ({1, 4, 5}) alone is not enough.
    leader.step(msg(ae_ok(1, 4, 2))).unwrap();
    leader.step(msg(ae_ok(1, 5, 2))).unwrap();
    assert_eq!(leader.commit_index(), 1);
    assert_eq!(
        leader.step(Event::AddServer(6)),
        Err(Error::ConfigInProgress)
    );
    // One old voter more: both halves have a majority.
    let actions = leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(leader.commit_index(), 2);
    let new = config_entry_at(&leader, 3);
    assert_eq!((new.voters(), new.is_joint()), (&[1, 4, 5][..], false));
    assert!(actions.contains(&Action::MembershipChanged {
        members: vec![1, 4, 5]
    }));
    // C_new commits with {1, 4, 5}: the old voters no longer count.
    leader.step(msg(ae_ok(1, 4, 3))).unwrap();
    assert_eq!(leader.commit_index(), 3);
    assert!(!leader.is_config_pending());
}

// Thesis 4.3: while joint, an election needs a majority of both halves.
#[test]
fn joint_election_needs_both_halves() {
    let joint = Membership::new([1, 2, 3])
        .enter_joint([1, 4, 5], [])
        .unwrap();
    let mut candidate = RaftNode::new(cfg(1, &[1, 2, 3]).with_pre_vote(false));
    candidate
        .step(msg(ae(
            1,
            2,
            (0, 0),
            vec![LogEntry::with_membership(1, 1, &joint)],
            0,
        )))
        .unwrap();
    tick_until_output(&mut candidate, 100);
    assert_eq!(candidate.role(), Role::Candidate);
    let term = candidate.term();
    candidate.step(msg(rv_reply(term, 4, true))).unwrap();
    candidate.step(msg(rv_reply(term, 5, true))).unwrap();
    assert_eq!(candidate.role(), Role::Candidate, "the new half alone");
    candidate.step(msg(rv_reply(term, 3, true))).unwrap();
    assert_eq!(candidate.role(), Role::Leader);
}

// Thesis 4.3: a leader that is not in C_new steps down once C_new commits.
#[test]
fn a_leader_outside_c_new_steps_down_after_c_new_commits() {
    let mut leader = settled_leader(&[1, 2, 3]);
    leader
        .step(Event::ChangeMembership {
            voters: vec![2, 3, 4],
            learners: vec![],
        })
        .unwrap();
    for from in [2, 3, 4] {
        leader.step(msg(ae_ok(1, from, 2))).unwrap();
    }
    assert_eq!((leader.commit_index(), leader.is_leader()), (2, true));
    leader.step(msg(ae_ok(1, 2, 3))).unwrap();
    assert!(leader.is_leader(), "one of {{2, 3, 4}} is not a majority");
    leader.step(msg(ae_ok(1, 3, 3))).unwrap();
    assert_eq!((leader.commit_index(), leader.role()), (3, Role::Follower));
}

// Thesis 4.2.3: a removed server that never learned of its removal times
// out and campaigns; with pre-vote and check-quorum (the defaults) the
// voters that hear from their leader refuse it, and the leader's term
// never moves.
#[test]
fn a_removed_node_does_not_disrupt_the_cluster() {
    let mut net = Net::new(&[1, 2, 3], &[]);
    for node in net.nodes.values_mut() {
        let config = node
            .config()
            .clone()
            .with_pre_vote(true)
            .with_check_quorum(true);
        *node = RaftNode::new(config);
    }
    net.elect(1, |_, _| true);
    net.deliver_all();
    net.step(1, Event::Propose(b"x".to_vec())).unwrap();
    net.deliver_all();
    net.step(1, Event::RemoveServer(3)).unwrap();
    net.deliver(within(&[1, 2]));
    net.tick(&[1, 2], 3, within(&[1, 2]));
    assert_eq!(net.node(1).members(), &[1, 2]);
    let term = net.node(1).term();
    // Node 3 never heard; it campaigns again and again.
    net.tick(&[1, 2, 3], 200, |_, _| true);
    assert_eq!(
        (net.node(1).term(), net.node(1).role()),
        (term, Role::Leader)
    );
    assert_eq!(net.node(3).members(), &[1, 2, 3], "it never learned");
}

// Raft 7 / thesis 4: the configuration survives a restart, recovered from
// the latest configuration entry of the log (committed or not) on top of
// the snapshot's, learners and joint state included.
#[test]
fn restart_recovers_the_configuration_from_snapshot_and_log() {
    let mut log = MemoryLog::new();
    let base = Membership::with_learners([1, 2, 3], [7]);
    let snapshot = Snapshot::with_config(5, 1, base.voters().to_vec(), vec![]);
    log.apply_snapshot_with_membership(&snapshot, &base)
        .unwrap();
    let node = RaftNode::with_log(cfg(1, &[1, 2]), log.clone());
    assert_eq!(
        (node.members(), node.learners()),
        (&[1, 2, 3][..], &[7][..])
    );

    let joint = base.enter_joint([1, 2, 4], [7]).unwrap();
    log.append(&[
        noop(2, 6),
        LogEntry::with_membership(2, 7, &joint),
        entry(2, 8, b"x"),
    ])
    .unwrap();
    let node = RaftNode::with_log(cfg(1, &[1, 2]), log);
    assert_eq!(node.membership(), &joint);
    assert!(node.status().config_pending);
}

// A durable state machine resumes where it stopped: commit and apply start
// after the index it reports, so nothing is applied twice.
#[test]
fn a_durable_state_machine_resumes_after_its_applied_index() {
    let log = memory_log(&[1, 1, 1, 1], 1, None);
    let mut node = RaftNode::resume(cfg(2, &[1, 2, 3]), log.clone(), 3).unwrap();
    let actions = node.step(msg(ae(1, 1, (4, 1), vec![], 4))).unwrap();
    let applied: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Apply { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(applied, vec![4]);
    assert!(matches!(
        RaftNode::resume(cfg(2, &[1, 2, 3]), log, 5),
        Err(Error::InvalidRequest { .. })
    ));
}

// Thesis 4.2.2: a server left out of its latest configuration still
// campaigns while that configuration is not known to be committed (it may
// hold the only log the others would elect), without counting its own
// vote; once it knows the change committed, it never campaigns.
#[test]
fn a_node_left_out_of_an_uncommitted_configuration_still_campaigns() {
    let mut node = RaftNode::new(cfg(3, &[1, 2, 3]).with_pre_vote(false));
    let removal = LogEntry::config(1, 2, &[1, 2]);
    node.step(msg(ae(1, 1, (0, 0), vec![noop(1, 1), removal.clone()], 1)))
        .unwrap();
    assert_eq!(node.members(), &[1, 2]);
    tick_until_output(&mut node, 100);
    assert_eq!((node.role(), node.term()), (Role::Candidate, 2));
    node.step(msg(rv_reply(2, 1, true))).unwrap();
    assert_eq!(node.role(), Role::Candidate, "its own vote does not count");
    node.step(msg(rv_reply(2, 2, true))).unwrap();
    assert_eq!(node.role(), Role::Leader);

    let mut removed = RaftNode::new(cfg(3, &[1, 2, 3]).with_pre_vote(false));
    removed
        .step(msg(ae(1, 1, (0, 0), vec![noop(1, 1), removal], 2)))
        .unwrap();
    for _ in 0..100 {
        assert!(removed.step(Event::Tick).unwrap().is_empty());
    }
}

// A sole voter over a fully committed log (no no-op yet) accepts its first
// change at once: it appends its no-op and makes it durable, which commits
// it, before the change (the 2015 rule holds for one voter too).
#[test]
fn a_new_single_node_cluster_grows_at_the_first_request() {
    let mut node = RaftNode::new(cfg(1, &[1]));
    elect(&mut node);
    assert_eq!(node.log().last_index(), 0);
    node.step(Event::AddLearner(2)).unwrap();
    assert_eq!(node.log().entry(1), Some(noop(1, 1)));
    assert_eq!(
        node.commit_index(),
        2,
        "a learner does not count: the change commits alone"
    );
    assert_eq!(node.learners(), &[2]);
}

// Thesis 4.2.2: a removed leader hands over to the most caught-up voter
// that holds everything committed, even if entries proposed after the
// removal have not reached it yet.
#[test]
fn a_removed_leader_hands_over_to_the_most_caught_up_voter() {
    let mut leader = settled_leader(&[1, 2, 3]);
    leader.step(Event::RemoveServer(1)).unwrap();
    leader.step(Event::Propose(b"late".to_vec())).unwrap();
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    let actions = leader.step(msg(ae_ok(1, 3, 2))).unwrap();
    assert_eq!((leader.commit_index(), leader.role()), (2, Role::Follower));
    assert!(actions.contains(&send(2, timeout_now(1, 1))), "{actions:?}");
}

// Thesis 4.1 (and 4.2.1 for learners): a change touches exactly the one
// server it names. Removing or promoting one learner leaves every other
// learner where it was (with a single learner the mutant that keeps only the
// named one looks right, so this needs two).
#[test]
fn removing_or_promoting_one_learner_leaves_the_other_learners() {
    let config = Membership::with_learners([1, 2, 3], [4, 5]);
    let removed = config.apply(&ConfChange::Remove(4)).unwrap();
    assert_eq!(removed.voters(), &[1, 2, 3]);
    assert_eq!(removed.learners(), &[5]);
    let promoted = config.apply(&ConfChange::PromoteLearner(4)).unwrap();
    assert_eq!(promoted.voters(), &[1, 2, 3, 4]);
    assert_eq!(promoted.learners(), &[5]);
}

// Thesis 4.2.1: a server joins as a non-voting member (a learner) and never
// campaigns, even while the configuration naming it is not yet committed.
// (Thesis 4.2.2's exception, campaigning from an uncommitted configuration,
// is for a voter of the committed one, which a learner never was.)
#[test]
fn a_learner_holding_an_uncommitted_configuration_never_campaigns() {
    let mut learner = RaftNode::new(RaftConfig::joining(4).with_pre_vote(false));
    let with_learner = LogEntry::config_with_learners(1, 1, &[1, 2, 3], &[4]);
    learner
        .step(msg(ae(1, 1, (0, 0), vec![with_learner], 0)))
        .unwrap();
    assert_eq!(learner.commit_index(), 0);
    assert_eq!(learner.learners(), &[4]);
    for _ in 0..100 {
        assert_eq!(learner.step(Event::Tick).unwrap(), vec![]);
    }
    assert_eq!((learner.role(), learner.term()), (Role::Follower, 1));
}

// Raft 5.1 and thesis 3.10: only the leader of a term sends `TimeoutNow`, so
// a node that learns a higher term from one also learns who leads it. A
// learner cannot campaign on it (it has no vote), so it simply follows that
// leader.
#[test]
fn a_learner_told_to_time_out_at_a_higher_term_follows_the_sender() {
    let mut learner = RaftNode::new(RaftConfig::joining(4).with_pre_vote(false));
    let with_learner = LogEntry::config_with_learners(1, 1, &[1, 2, 3], &[4]);
    learner
        .step(msg(ae(1, 1, (0, 0), vec![with_learner], 1)))
        .unwrap();
    assert_eq!(learner.step(msg(timeout_now(2, 2))).unwrap(), vec![]);
    assert_eq!(
        (learner.role(), learner.term(), learner.leader()),
        (Role::Follower, 2, Some(2))
    );
}

// The 2015 rule (a leader changes membership only once an entry of its term
// is committed) needs the sole voter's extra no-op only while it has none:
// once its own proposal committed, a change follows it directly.
#[test]
fn a_sole_voter_with_a_committed_entry_of_its_term_appends_no_extra_noop() {
    let mut node = RaftNode::new(cfg(1, &[1]));
    elect(&mut node);
    node.step(Event::Propose(b"x".to_vec())).unwrap();
    assert_eq!(node.commit_index(), 1);
    node.step(Event::AddLearner(2)).unwrap();
    assert_eq!(node.log().entry(1), Some(entry(1, 1, b"x")));
    assert_eq!(node.log().last_index(), 2, "the change right after it");
    assert_eq!(config_entry_at(&node, 2).learners(), &[2]);
}

// Thesis 4.2.2 with 4.2.1: the removed leader hands over to a *voter*. A
// learner may hold more of the log than any voter, but it cannot campaign,
// so telling it to time out would leave the cluster without a leader.
#[test]
fn a_removed_leader_never_hands_over_to_a_learner() {
    let mut leader = settled_leader(&[1, 2, 3]);
    leader.step(Event::AddLearner(4)).unwrap();
    leader.step(msg(ae_ok(1, 2, 2))).unwrap();
    assert_eq!(leader.commit_index(), 2);
    leader.step(Event::RemoveServer(1)).unwrap();
    leader.step(Event::Propose(b"late".to_vec())).unwrap();
    leader.step(msg(ae_ok(1, 4, 4))).unwrap();
    leader.step(msg(ae_ok(1, 3, 3))).unwrap();
    let actions = leader.step(msg(ae_ok(1, 2, 3))).unwrap();
    assert_eq!((leader.commit_index(), leader.role()), (3, Role::Follower));
    assert!(actions.contains(&send(2, timeout_now(1, 1))), "{actions:?}");
    assert!(
        !actions.contains(&send(4, timeout_now(1, 1))),
        "{actions:?}"
    );
}

// Thesis 4.2.1 and 4.3: a server is a voter or a learner, never both, in
// either half of a joint configuration; restoring a configuration read back
// from disk drops a learner entry for any voter, incoming or outgoing.
#[test]
fn a_voter_of_either_half_is_never_also_a_learner() {
    let simple = Membership::from_parts(vec![1, 2], vec![], vec![2, 5]);
    assert_eq!(simple.learners(), &[5]);
    let joint = Membership::from_parts(vec![3, 4], vec![1, 2, 3], vec![9, 1, 4]);
    assert_eq!(joint.learners(), &[9]);
}

// Thesis 4: the members are the voters and the learners; any other server
// (a removed one, or one never added) is not a member.
#[test]
fn members_are_the_voters_and_learners_only() {
    let config = Membership::with_learners([1, 2, 3], [4]);
    assert!(config.contains(1) && config.contains(4));
    assert!(!config.contains(5));
}
