//! Proposals to the leader replicate to every node, which all apply the
//! same commands in the same order.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "an example asserts what it shows; a broken expectation aborts it loudly"
)]

mod support;

use raft_io::Event;
use support::Cluster;

fn main() {
    let mut cluster = Cluster::new(3);
    assert!(cluster.run_until(200, |c| c.leader().is_some()));
    let leader = cluster.leader().expect("elected");

    let commands: Vec<Vec<u8>> = (1..=10)
        .map(|i| format!("put k{i} v{i}").into_bytes())
        .collect();
    for command in &commands {
        cluster
            .step(leader, Event::Propose(command.clone()))
            .expect("the leader accepts proposals");
    }
    assert!(
        cluster.run_until(100, |c| c
            .applied
            .values()
            .all(|applied| applied.len() == 10)),
        "every node applies all ten commands"
    );
    for (id, applied) in &cluster.applied {
        assert_eq!(applied, &commands, "node {id} applied the same log");
    }
    let leader_node = &cluster.nodes[&leader];
    println!(
        "leader {leader}: commit index {}, all 3 nodes applied the same 10 commands",
        leader_node.commit_index()
    );
}
