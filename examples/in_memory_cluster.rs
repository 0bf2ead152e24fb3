//! Three nodes over an in-memory network elect exactly one leader, and the
//! others follow it.

mod support;

use support::{Cluster, Outcome};

fn main() -> Outcome {
    let mut cluster = Cluster::new(3);
    let leader = cluster.elect()?;
    let term = cluster.nodes[&leader].term();
    println!("node {leader} leads term {term}");

    // A few heartbeats later, everyone agrees.
    for _ in 0..10 {
        cluster.tick()?;
    }
    for node in cluster.nodes.values() {
        assert_eq!(node.leader(), Some(leader));
        assert_eq!(node.term(), term);
        println!("node {}: {:?}, following {leader}", node.id(), node.role());
    }
    let leaders = cluster.nodes.values().filter(|n| n.is_leader()).count();
    assert_eq!(leaders, 1, "exactly one leader");
    Ok(())
}
