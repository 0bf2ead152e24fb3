//! The leader is cut off: it stops committing and steps down (check-quorum),
//! the majority elects a new leader and keeps committing, and when the
//! partition heals the old leader catches up without disrupting anyone.

mod support;

use raft_io::{Error, Event, Role};
use support::{Cluster, Outcome};

fn main() -> Outcome {
    let mut cluster = Cluster::new(3);
    let old_leader = cluster.elect()?;
    println!("node {old_leader} leads; cutting it off");
    cluster.isolate(old_leader);

    // The minority cannot commit: its proposal stays uncommitted.
    let commit_before = cluster.nodes[&old_leader].commit_index();
    cluster.step(old_leader, Event::Propose(b"lost write".to_vec()))?;
    // Within two election timeouts (2 x 20 ticks) it steps down.
    let stepped_down = cluster.run_until(40, |c| c.nodes[&old_leader].role() != Role::Leader)?;
    assert!(stepped_down);
    assert_eq!(cluster.nodes[&old_leader].commit_index(), commit_before);
    println!("node {old_leader} stepped down without committing");

    // The majority elects a new leader and commits.
    let new_leader = cluster.elect()?;
    assert_ne!(new_leader, old_leader);
    cluster.step(new_leader, Event::Propose(b"kept write".to_vec()))?;
    let kept = b"kept write".to_vec();
    assert!(cluster.run_until(50, |c| c.applied[&new_leader].contains(&kept))?);
    println!("node {new_leader} leads the majority and commits");

    // A proposal at the deposed node is redirected.
    let redirected = cluster.step(old_leader, Event::Propose(b"x".to_vec()));
    assert!(
        matches!(redirected, Err(Error::NotLeader { .. })),
        "{redirected:?}"
    );

    // Heal: the old leader rejoins as a follower, learns the new log, and
    // its uncommitted write is gone; the leader is not disrupted.
    let term = cluster.nodes[&new_leader].term();
    cluster.heal();
    assert!(cluster.run_until(100, |c| c.applied[&old_leader].contains(&kept))?);
    assert_eq!(cluster.leader(), Some(new_leader));
    assert_eq!(
        cluster.nodes[&new_leader].term(),
        term,
        "rejoining did not depose the leader"
    );
    assert!(
        !cluster
            .applied
            .values()
            .any(|a| a.contains(&b"lost write".to_vec()))
    );
    println!("healed: node {old_leader} caught up; 'lost write' was never applied anywhere");
    Ok(())
}
