//! The shared-command fast path (`RaftConfig::with_shared_commands`): one
//! allocation per command serves the leader's log, its appends, the
//! followers' logs and every apply; the protocol is the same as with owned
//! commands, and nodes of either form interoperate.

use std::sync::Arc;

use raft_core::{
    Action, AppendShared, Event, INDEX_MAX, Message, RaftNode, Role, SharedCommand, SharedEntry,
};

use crate::common::*;
use crate::mini_cluster::MiniCluster;

fn shared(bytes: &[u8]) -> SharedCommand {
    SharedCommand::from(bytes)
}

fn appends(actions: &[Action]) -> Vec<(u64, AppendShared)> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send {
                to,
                message: Message::AppendShared(m),
            } => Some((*to, m.clone())),
            _ => None,
        })
        .collect()
}

fn shared_applies(actions: &[Action]) -> Vec<(u64, SharedCommand)> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::ApplyShared { index, command, .. } => Some((*index, command.clone())),
            _ => None,
        })
        .collect()
}

fn owned_applies(actions: &[Action]) -> Vec<(u64, Vec<u8>)> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Apply { index, command, .. } => Some((*index, command.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_leaders_appends_carry_the_proposed_allocation() {
    let mut leader = RaftNode::new(cfg(1, &[2, 3]).with_shared_commands(true));
    elect_and_settle(&mut leader);
    let command = shared(b"put k v");
    let mut actions = Vec::new();
    leader
        .propose_shared(command.clone(), &mut actions)
        .unwrap();
    let sent = appends(&actions);
    assert_eq!(sent.len(), 2, "one append per follower: {actions:?}");
    for (_, append) in &sent {
        assert_eq!(append.entries.len(), 1);
        assert!(Arc::ptr_eq(&append.entries[0].command, &command));
    }
    // No owned `AppendEntries` carries entries on this node.
    assert!(!actions.iter().any(|a| matches!(
        a,
        Action::Send { message: Message::AppendEntries(m), .. } if !m.entries.is_empty()
    )));
}

#[test]
fn a_follower_stores_and_applies_the_leaders_allocation() {
    let mut follower = RaftNode::new(cfg(2, &[1, 3]).with_shared_commands(true));
    let command = shared(b"put k v");
    let append = |commit| {
        msg(Message::AppendShared(AppendShared {
            term: 1,
            leader: 1,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![SharedEntry::new(1, 1, command.clone())],
            leader_commit: commit,
        }))
    };
    let actions = follower.step(append(0)).unwrap();
    assert_eq!(actions, vec![send(1, ae_ok(1, 2, 1))]);
    // The commit index arrives with the next append (a duplicate here).
    let actions = follower.step(append(1)).unwrap();
    let applied = shared_applies(&actions);
    assert_eq!(applied.len(), 1, "{actions:?}");
    assert_eq!(applied[0].0, 1);
    assert!(Arc::ptr_eq(&applied[0].1, &command), "applied a copy");
    // The duplicate appended nothing twice.
    assert_eq!(follower.log().last_index(), 1);
}

#[test]
fn heartbeats_stay_owned_appends() {
    let mut leader = RaftNode::new(cfg(1, &[2, 3]).with_shared_commands(true));
    elect_and_settle(&mut leader);
    let mut heartbeats = 0;
    for _ in 0..3 {
        for action in leader.step(Event::Tick).unwrap() {
            match action {
                Action::Send {
                    message: Message::AppendEntries(m),
                    ..
                } => {
                    assert!(m.entries.is_empty());
                    heartbeats += 1;
                }
                Action::Send {
                    message: Message::AppendShared(m),
                    ..
                } => panic!("a heartbeat carried entries: {m:?}"),
                _ => {}
            }
        }
    }
    assert_eq!(heartbeats, 2, "one heartbeat per follower");
}

#[test]
fn an_owned_follower_accepts_shared_appends_and_applies_owned() {
    let mut follower = RaftNode::new(cfg(2, &[1, 3]));
    let append = Message::AppendShared(AppendShared {
        term: 1,
        leader: 1,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: vec![SharedEntry::new(1, 1, shared(b"a"))],
        leader_commit: 1,
    });
    let actions = follower.step(msg(append)).unwrap();
    assert_eq!(owned_applies(&actions), vec![(1, b"a".to_vec())]);
    assert!(shared_applies(&actions).is_empty());
}

#[test]
fn a_shared_follower_accepts_owned_appends_and_applies_shared() {
    let mut follower = RaftNode::new(cfg(2, &[1, 3]).with_shared_commands(true));
    let append = ae(1, 1, (0, 0), vec![entry(1, 1, b"a")], 1);
    let actions = follower.step(msg(append)).unwrap();
    let applied = shared_applies(&actions);
    assert_eq!(applied.len(), 1);
    assert_eq!(&applied[0].1[..], b"a");
    assert!(owned_applies(&actions).is_empty());
}

#[test]
fn an_owned_node_copies_a_shared_proposal() {
    let mut node = RaftNode::new(cfg(1, &[]));
    elect(&mut node);
    let mut actions = Vec::new();
    node.propose_shared(shared(b"x"), &mut actions).unwrap();
    let last = node.log().last_index();
    assert_eq!(owned_applies(&actions), vec![(last, b"x".to_vec())]);
}

#[test]
fn a_shared_node_moves_an_owned_proposal_into_shared_storage() {
    let mut node = RaftNode::new(cfg(1, &[]).with_shared_commands(true));
    elect(&mut node);
    let actions = node.step(Event::Propose(b"x".to_vec())).unwrap();
    let applied = shared_applies(&actions);
    assert_eq!(applied.len(), 1);
    let last = node.log().last_index();
    assert_eq!((applied[0].0, &applied[0].1[..]), (last, &b"x"[..]));
}

#[test]
fn a_shared_proposal_on_a_follower_is_refused_and_emits_nothing() {
    let mut follower = RaftNode::new(cfg(2, &[1, 3]).with_shared_commands(true));
    let mut out = vec![send(1, ae_ok(1, 2, 0))];
    let error = follower.propose_shared(shared(b"x"), &mut out).unwrap_err();
    assert!(
        matches!(error, raft_core::Error::NotLeader { .. }),
        "{error:?}"
    );
    assert_eq!(out, vec![send(1, ae_ok(1, 2, 0))], "out was changed");
    assert_eq!(follower.log().last_index(), 0);
}

#[test]
fn a_follower_conflict_truncates_shared_entries_as_owned_ones() {
    // Raft 5.3 on the shared path: index 2 of term 1 conflicts with the
    // leader's term-2 entry and is replaced, with what follows.
    let mut follower = RaftNode::new(cfg(2, &[1, 3]).with_shared_commands(true));
    let entries = |term, commands: &[&[u8]]| {
        commands
            .iter()
            .zip(1..)
            .map(|(c, index)| SharedEntry::new(term, index, shared(c)))
            .collect::<Vec<_>>()
    };
    let first = AppendShared {
        term: 1,
        leader: 1,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: entries(1, &[b"a", b"b", b"c"]),
        leader_commit: 1,
    };
    follower.step(msg(Message::AppendShared(first))).unwrap();
    let mut second = entries(2, &[b"a", b"B"]);
    second.remove(0);
    let replace = AppendShared {
        term: 2,
        leader: 3,
        prev_log_index: 1,
        prev_log_term: 1,
        entries: second,
        leader_commit: 1,
    };
    let actions = follower.step(msg(Message::AppendShared(replace))).unwrap();
    assert_eq!(actions, vec![send(3, ae_ok(2, 2, 2))]);
    assert_eq!(terms(follower.log()), vec![1, 2]);
    assert_eq!(follower.log().entry(2).unwrap().command, b"B");
}

#[test]
fn a_malformed_shared_append_changes_nothing() {
    for (prev_log_index, entry) in [
        // Not contiguous after prev_log_index.
        (1, SharedEntry::new(1, 3, shared(b"x"))),
        // A term above the leader's (5).
        (0, SharedEntry::new(9, 1, shared(b"x"))),
        // An index no log can adopt.
        (INDEX_MAX, SharedEntry::new(1, INDEX_MAX + 1, shared(b"x"))),
    ] {
        let mut follower = RaftNode::new(cfg(2, &[1, 3]).with_shared_commands(true));
        let append = AppendShared {
            term: 5,
            leader: 1,
            prev_log_index,
            prev_log_term: 0,
            entries: vec![entry],
            leader_commit: 0,
        };
        let actions = follower.step(msg(Message::AppendShared(append))).unwrap();
        assert!(actions.is_empty(), "{actions:?}");
        assert_eq!(follower.term(), 0, "a corrupt append moved the term");
        assert_eq!(follower.log().last_index(), 0);
    }
}

#[test]
fn a_shared_cluster_commits_what_an_owned_one_does() {
    // The same seeded run, once per form, under message loss: the same
    // leader, the same logs.
    let run = |shared_commands: bool| {
        let mut cluster = MiniCluster::new(3, |c| {
            c.with_election_timeout(10, 20)
                .with_heartbeat_interval(3)
                .with_shared_commands(shared_commands)
        });
        cluster.set_loss(100, 7);
        let leader = cluster.run_until_leader(500).unwrap();
        for i in 0..50u8 {
            if shared_commands {
                cluster.propose_shared(leader, shared(&[i]));
            } else {
                cluster.step(leader, Event::Propose(vec![i])).unwrap();
            }
            cluster.deliver_all(10_000);
        }
        cluster.run(60);
        assert_eq!(cluster.node(leader).role(), Role::Leader);
        cluster
            .ids()
            .into_iter()
            .map(|id| {
                let node = cluster.node(id);
                (
                    node.commit_index(),
                    node.log().entries(1, node.log().last_index()),
                )
            })
            .collect::<Vec<_>>()
    };
    let (owned, shared) = (run(false), run(true));
    assert_eq!(owned, shared);
    assert!(owned.iter().all(|(commit, _)| *commit >= 51), "{owned:?}");
}
