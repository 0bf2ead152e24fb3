//! Changing a running cluster's members (thesis 4): a fourth node starts
//! with `RaftConfig::joining` and waits, without campaigning, until the
//! leader adds it (`Event::AddServer`); a node is removed
//! (`Event::RemoveServer`) and does not disrupt the others; leadership moves
//! (`Event::TransferLeadership`); and one joint-consensus change
//! (`Event::ChangeMembership`, paper 6) swaps the leader itself for a fifth
//! node, after which the old leader steps down. Every step prints the
//! member lists (`members()`) and the `Action::MembershipChanged` reports.

mod support;

use raft_io::{Event, NodeId, RaftConfig, Role};
use support::{Cluster, Outcome};

fn main() -> Outcome {
    let mut cluster = Cluster::new(3);
    let leader = cluster.elect()?;
    cluster.write(b"first")?;
    println!("node {leader} leads {:?}", cluster.nodes[&leader].members());

    // A joining node has no configuration: it never campaigns, and nobody
    // counts it, until the leader's configuration reaches it.
    cluster.start(RaftConfig::joining(4));
    cluster.run_until(100, |_| false)?;
    let joining = &cluster.nodes[&4];
    assert_eq!((joining.role(), joining.term()), (Role::Follower, 0));
    assert!(joining.members().is_empty());
    assert_eq!(
        cluster.seen[&4].messages_sent, 0,
        "it never asked for a vote"
    );
    println!(
        "node 4 started with RaftConfig::joining: 100 ticks later it is a silent follower in term 0"
    );

    cluster.change_membership(Event::AddServer(4))?;
    cluster.write(b"after adding 4")?;
    assert!(cluster.run_until(100, |c| c.converged())?);
    print_members("added node 4", &cluster);
    assert_every_node_lists(&cluster, &[1, 2, 3, 4]);
    assert_eq!(
        cluster.seen[&4]
            .membership_changes
            .last()
            .map(Vec::as_slice),
        Some(&[1, 2, 3, 4][..]),
        "node 4 learned its configuration from the log"
    );

    // Remove a follower. The leader stops replicating to it at once, so it
    // never hears of its removal; its campaigns must not disturb the rest
    // (pre-vote and leader stickiness, thesis 4.2.3).
    let leader = cluster.elect()?;
    let removed = first_other(&cluster, leader);
    cluster.change_membership(Event::RemoveServer(removed))?;
    let term = cluster.nodes[&leader].term();
    let sent_before = cluster.seen[&removed].messages_sent;
    cluster.run_until(100, |_| false)?;
    let campaign_messages = cluster.seen[&removed].messages_sent - sent_before;
    assert!(campaign_messages > 0, "the removed node did campaign");
    assert_eq!(cluster.leader(), Some(leader));
    assert_eq!(
        cluster.nodes[&leader].term(),
        term,
        "node {removed} disrupted nobody"
    );
    println!(
        "removed node {removed} sent {campaign_messages} campaign messages in 100 ticks; \
         node {leader} still leads term {term}"
    );
    cluster.stop(removed);
    cluster.write(b"after removing one")?;
    let voters: Vec<NodeId> = [1, 2, 3, 4]
        .into_iter()
        .filter(|&id| id != removed)
        .collect();
    assert!(cluster.run_until(100, |c| c.converged())?);
    print_members(&format!("removed node {removed}, stopped it"), &cluster);
    assert_every_node_lists(&cluster, &voters);

    // Hand leadership to another voter (thesis 3.10).
    let target = first_other(&cluster, leader);
    cluster.step(leader, Event::TransferLeadership(target))?;
    assert!(cluster.run_until(50, |c| c.leader() == Some(target))?);
    println!("leadership moved from node {leader} to node {target}");
    let leader = target;

    // Joint consensus: replace the leader itself with a new node 5 in one
    // change. C_old,new needs a majority of both halves; the leader leaves it
    // by itself once it commits, then steps down, being outside C_new.
    cluster.start(RaftConfig::joining(5));
    let new_voters: Vec<NodeId> = voters
        .iter()
        .copied()
        .filter(|&id| id != leader)
        .chain([5])
        .collect();
    cluster.request(Event::ChangeMembership {
        voters: new_voters.clone(),
        learners: vec![],
    })?;
    let joint = cluster.nodes[&leader].status().membership;
    println!(
        "joint configuration: outgoing {:?}, incoming {:?}",
        joint.outgoing_voters(),
        joint.voters()
    );
    assert!(joint.is_joint());
    assert_eq!(joint.outgoing_voters(), voters.as_slice());
    cluster.wait_config_committed()?;
    let old_leader = leader;
    let leader = cluster.elect()?;
    assert!(
        new_voters.contains(&leader),
        "the new leader is one of C_new"
    );
    assert_ne!(cluster.nodes[&old_leader].role(), Role::Leader);
    println!(
        "node {old_leader} stepped down; node {leader} leads; MembershipChanged at node {old_leader}: {:?}",
        cluster.seen[&old_leader].membership_changes
    );
    cluster.stop(old_leader);
    cluster.write(b"after the joint change")?;
    assert!(cluster.run_until(100, |c| c.converged())?);
    print_members("joint change done, old leader stopped", &cluster);
    assert_every_node_lists(&cluster, &new_voters);
    assert!(!cluster.nodes[&leader].status().membership.is_joint());

    let expected: Vec<Vec<u8>> = [
        "first",
        "after adding 4",
        "after removing one",
        "after the joint change",
    ]
    .map(|c| c.as_bytes().to_vec())
    .to_vec();
    assert_eq!(
        cluster.applied[&5], expected,
        "node 5 caught up with the whole log"
    );
    println!("every node applied the same {} commands", expected.len());
    Ok(())
}

/// The lowest-numbered running node other than `leader`.
fn first_other(cluster: &Cluster, leader: NodeId) -> NodeId {
    cluster
        .nodes
        .keys()
        .copied()
        .find(|&id| id != leader)
        .unwrap_or(leader)
}

fn print_members(what: &str, cluster: &Cluster) {
    println!("{what}; members() per node: {:?}", cluster.member_lists());
}

fn assert_every_node_lists(cluster: &Cluster, voters: &[NodeId]) {
    for (id, members) in cluster.member_lists() {
        assert_eq!(members, voters, "node {id}'s members()");
    }
}
