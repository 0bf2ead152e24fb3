//! A process that reaches the nodes' peer ports and speaks the protocol
//! without the right identity (another cluster id, a node outside the
//! cluster, a forged sender, garbage after a good hello) is disconnected
//! and counted, and changes nothing: no term moves, the leader stays, and
//! the cluster keeps serving writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use kv_server::LocalCluster;
use raft_core::{Message, RequestVote};
use raft_wire::{Hello, encode_length_prefixed};

/// A vote request for a far-future term: if any node accepted it, its
/// term would jump and the leader would step down.
fn disruptive_vote(candidate: u64) -> Vec<u8> {
    let vote = Message::RequestVote(RequestVote {
        term: 1_000,
        candidate,
        last_log_index: 1_000_000,
        last_log_term: 999,
        force: true,
    });
    let mut frame = Vec::new();
    encode_length_prefixed(&vote, &mut frame, 1 << 20).unwrap();
    frame
}

/// Connects, sends `hello` then `then`, and waits for the node to hang up.
fn attack(addr: SocketAddr, hello: Hello, then: &[u8]) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut bytes = Vec::new();
    hello.write_to(&mut bytes).unwrap();
    bytes.extend_from_slice(then);
    let _ = stream.write_all(&bytes);
    let mut buf = [0u8; 8];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e)
            if e.kind() != std::io::ErrorKind::WouldBlock
                && e.kind() != std::io::ErrorKind::TimedOut => {}
        other => panic!("the node did not hang up: {other:?}"),
    }
}

#[test]
fn peers_without_the_right_identity_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = LocalCluster::start(env!("CARGO_BIN_EXE_kv_server"), &[], 3, dir.path()).unwrap();
    let leader = cluster.leader(Duration::from_secs(10)).expect("a leader");
    let mut kv = cluster.client(leader);
    kv.put("before", "1").unwrap();
    let term = cluster.status(leader).unwrap()["term"].as_u64().unwrap();

    for (&id, node) in cluster.nodes() {
        let raft = node.args.raft;
        let other = if id == 1 { 2 } else { 1 };
        // Another cluster's node 2.
        attack(
            raft,
            Hello {
                cluster_id: 99,
                node_id: other,
            },
            &disruptive_vote(other),
        );
        // Our cluster, a node that is not a member.
        attack(
            raft,
            Hello {
                cluster_id: 1,
                node_id: 7,
            },
            &disruptive_vote(7),
        );
        // A member, speaking in another member's name.
        let third = 6 - id - other;
        attack(
            raft,
            Hello {
                cluster_id: 1,
                node_id: other,
            },
            &disruptive_vote(third),
        );
        // A member sending garbage after a good hello.
        attack(
            raft,
            Hello {
                cluster_id: 1,
                node_id: other,
            },
            &[4, 0, 0, 0, 9, 9, 9, 9],
        );
    }

    for id in cluster.nodes().keys() {
        let status = cluster.status(*id).unwrap();
        assert_eq!(status["term"].as_u64(), Some(term), "node {id}: {status}");
        assert_eq!(
            status["leader"].as_u64(),
            Some(leader),
            "node {id}: {status}"
        );
        assert_eq!(
            status["connections_refused"].as_u64(),
            Some(4),
            "node {id}: {status}"
        );
    }
    kv.put("after", "2").unwrap();
    assert_eq!(kv.get("before").unwrap().as_deref(), Some("1"));
    assert_eq!(cluster.leader(Duration::from_secs(1)), Some(leader));
}
