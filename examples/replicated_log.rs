//! Proposals to the leader replicate to every node, which all apply the
//! same commands in the same order.

mod support;

use raft_io::Event;
use support::{Cluster, Outcome};

fn main() -> Outcome {
    let mut cluster = Cluster::new(3);
    let leader = cluster.elect()?;

    let commands: Vec<Vec<u8>> = (1..=10)
        .map(|i| format!("put k{i} v{i}").into_bytes())
        .collect();
    for command in &commands {
        cluster.step(leader, Event::Propose(command.clone()))?;
    }
    let all_applied = cluster.run_until(100, |c| c.applied.values().all(|a| a.len() == 10))?;
    assert!(all_applied, "every node applies all ten commands");
    for (id, applied) in &cluster.applied {
        assert_eq!(applied, &commands, "node {id} applied the same log");
    }
    println!(
        "leader {leader}: commit index {}, all 3 nodes applied the same 10 commands",
        cluster.nodes[&leader].commit_index()
    );
    Ok(())
}
