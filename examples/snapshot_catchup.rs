//! Log compaction and catch-up by snapshot (Raft paper 7): a follower is cut
//! off while the leader commits 30 commands and, answering its
//! `Action::Snapshot` hints with `Event::Snapshot`, compacts its log past
//! everything the follower has. When the follower is back, the entries it
//! needs are gone, so the leader sends `InstallSnapshot`; the follower's
//! state machine is reset from it (`Action::RestoreSnapshot`) and every
//! node ends with the same state.

mod support;

use raft_io::{Event, RaftLog};
use support::{Cluster, Outcome};

const SNAPSHOT_EVERY: usize = 5;

fn main() -> Outcome {
    // Every node hints a snapshot after 5 applied entries.
    let mut cluster: Cluster =
        Cluster::build(3, |config| config.with_snapshot_threshold(SNAPSHOT_EVERY));
    let leader = cluster.elect()?;
    let lagging = if leader == 1 { 2 } else { 1 };
    println!("node {leader} leads; cutting off node {lagging}");
    cluster.isolate(lagging);

    let commands: Vec<Vec<u8>> = (1..=30).map(|i| format!("cmd {i}").into_bytes()).collect();
    for command in &commands {
        cluster.step(leader, Event::Propose(command.clone()))?;
        cluster.tick()?;
    }
    let committed = cluster.run_until(50, |c| c.applied[&leader].len() == commands.len())?;
    assert!(committed, "the majority commits without node {lagging}");

    let leader_log = cluster.nodes[&leader].log();
    let lagging_last = cluster.nodes[&lagging].log().last_index();
    let taken = &cluster.seen[&leader].snapshots_taken;
    println!(
        "node {leader} took snapshots at {taken:?}; its log now starts after {}, \
         node {lagging} has entries through {lagging_last}",
        leader_log.snapshot_index()
    );
    assert!(!taken.is_empty(), "the leader answered its snapshot hints");
    assert!(
        leader_log.snapshot_index() > lagging_last + 1,
        "the leader compacted away entries the lagging node needs"
    );
    assert_eq!(
        leader_log.snapshot().map(|s| s.index),
        Some(leader_log.snapshot_index())
    );

    cluster.heal();
    let caught_up = cluster.run_until(100, |c| c.converged())?;
    assert!(
        caught_up,
        "node {lagging} catches up and all nodes converge"
    );
    let restored = &cluster.seen[&lagging].snapshots_restored;
    println!("healed: node {lagging} installed the leader's snapshot at {restored:?}");
    assert!(!restored.is_empty(), "node {lagging} caught up by snapshot");

    for (id, applied) in &cluster.applied {
        assert_eq!(
            applied, &commands,
            "node {id} holds every command, in order"
        );
    }
    println!(
        "all 3 nodes hold the same {} commands (commit index {})",
        commands.len(),
        cluster.nodes[&leader].commit_index()
    );
    Ok(())
}
