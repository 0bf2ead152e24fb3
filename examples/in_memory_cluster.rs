//! Three nodes over an in-memory network elect exactly one leader, and the
//! others follow it.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "an example asserts what it shows; a broken expectation aborts it loudly"
)]

mod support;

use support::Cluster;

fn main() {
    let mut cluster = Cluster::new(3);
    assert!(
        cluster.run_until(200, |c| c.leader().is_some()),
        "no leader elected"
    );
    let leader = cluster.leader().expect("elected");
    let term = cluster.nodes[&leader].term();
    println!("node {leader} leads term {term}");

    // A few heartbeats later, everyone agrees.
    for _ in 0..10 {
        cluster.tick();
    }
    for node in cluster.nodes.values() {
        assert_eq!(node.leader(), Some(leader));
        assert_eq!(node.term(), term);
        println!("node {}: {:?}, following {leader}", node.id(), node.role());
    }
    let leaders = cluster.nodes.values().filter(|n| n.is_leader()).count();
    assert_eq!(leaders, 1, "exactly one leader");
}
