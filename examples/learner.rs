//! A learner receives the log but counts toward no quorum: node 4 joins as a
//! learner (`Event::AddLearner`) and catches up; with two of the three
//! voters cut off, the leader's new entry reaches the learner, which
//! acknowledges it, and still nothing commits. Promoted to a voter
//! (`Event::PromoteLearner`), the same node now makes the quorum that
//! commits while a voter is away.

mod support;

use raft_io::{Event, Index, NodeId, RaftConfig, RaftLog, Role};
use support::{Cluster, Outcome};

fn main() -> Outcome {
    let mut cluster = Cluster::new(3);
    let leader = cluster.elect()?;
    for i in 1..=5 {
        cluster.write(format!("before the learner {i}").as_bytes())?;
    }

    cluster.start(RaftConfig::joining(4));
    cluster.change_membership(Event::AddLearner(4))?;
    assert!(
        cluster.run_until(100, |c| c.converged())?,
        "the learner catches up"
    );
    for (id, node) in &cluster.nodes {
        assert_eq!(
            (node.members(), node.learners()),
            (&[1, 2, 3][..], &[4][..]),
            "node {id}"
        );
    }
    assert_eq!(cluster.applied[&4], cluster.applied[&leader]);
    println!(
        "node 4 is a learner: members() {:?}, learners() {:?}; it applied all {} commands",
        cluster.nodes[&leader].members(),
        cluster.nodes[&leader].learners(),
        cluster.applied[&4].len()
    );

    // Cut off both other voters: only the leader and the learner remain.
    let followers: Vec<NodeId> = [1, 2, 3].into_iter().filter(|&id| id != leader).collect();
    for &id in &followers {
        cluster.isolate(id);
    }
    let index: Index = cluster.nodes[&leader].log().last_index() + 1;
    cluster.step(leader, Event::Propose(b"needs a voter quorum".to_vec()))?;
    // A few heartbeats, well inside one election timeout (check-quorum
    // would depose the leader after that).
    cluster.run_until(6, |_| false)?;
    let learner_match = cluster.nodes[&leader]
        .status()
        .peers
        .iter()
        .find(|peer| peer.id == 4)
        .map(|peer| peer.match_index);
    println!(
        "voters {followers:?} cut off: the learner acknowledged index {:?}, the leader's commit index is {}",
        learner_match,
        cluster.nodes[&leader].commit_index()
    );
    assert_eq!(cluster.nodes[&leader].role(), Role::Leader);
    assert!(
        cluster.nodes[&4].log().last_index() >= index,
        "the learner has the entry"
    );
    assert!(learner_match >= Some(index), "and acknowledged it");
    assert!(
        cluster.nodes[&leader].commit_index() < index,
        "a learner's acknowledgement commits nothing"
    );

    cluster.heal();
    let committed = cluster.run_until(100, |c| {
        c.nodes[&leader].commit_index() >= index && c.converged()
    })?;
    assert!(committed, "index {index} commits once a voter is back");
    println!("healed: index {index} commits once a voter acknowledges it");

    // Promote the learner; now it is one of the voters a commit needs.
    cluster.change_membership(Event::PromoteLearner(4))?;
    assert!(cluster.run_until(100, |c| c.converged())?);
    for (id, node) in &cluster.nodes {
        assert_eq!(node.members(), &[1, 2, 3, 4], "node {id}");
        assert!(node.learners().is_empty(), "node {id}");
    }
    println!("promoted: members() {:?}", cluster.nodes[&leader].members());

    // With one original voter away, 3 of 4 voters remain: the commit needs
    // node 4 (the leader and one follower alone are 2 of 4).
    let leader = cluster.elect()?;
    let away = followers[0];
    cluster.isolate(away);
    cluster.write(b"committed with node 4's vote")?;
    println!("node {away} cut off: leader {leader}, node 4 and one more voter committed a write");
    cluster.heal();
    assert!(cluster.run_until(100, |c| c.converged())?);
    println!(
        "all 4 nodes applied the same {} commands",
        cluster.applied[&leader].len()
    );
    Ok(())
}
