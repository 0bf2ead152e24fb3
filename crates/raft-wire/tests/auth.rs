//! The inbox's admission rules on loopback: a connection of another
//! cluster, of a node outside the peer set, one that forges its sender or
//! sends garbage after a good hello is closed and counted, nothing it sent
//! is delivered, and the honest peers carry on.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{PATIENCE, assert_closed_by_peer, eventually, heartbeat};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use raft_core::{Message, RaftTransport};
use raft_wire::{Hello, InboxStats, TcpConfig, TcpInbox, TcpTransport, encode_length_prefixed};

const CLUSTER: u64 = 0xC1;

fn config() -> TcpConfig {
    TcpConfig {
        cluster_id: CLUSTER,
        ..TcpConfig::default()
    }
}

fn frame(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    encode_length_prefixed(message, &mut out, 1 << 20).unwrap();
    out
}

/// Opens a raw connection, says `hello`, sends `then`, and asserts that
/// the inbox closes the connection.
fn send_and_expect_close(inbox: SocketAddr, hello: Hello, then: &[u8]) {
    let mut peer = TcpStream::connect(inbox).unwrap();
    let mut bytes = Vec::new();
    hello.write_to(&mut bytes).unwrap();
    bytes.extend_from_slice(then);
    // The inbox may close as soon as it reads the hello: a failed write
    // is as good as a close.
    let _ = peer.write_all(&bytes);
    assert_closed_by_peer(peer);
}

#[test]
fn strangers_forgers_and_garbage_are_refused_and_counted_and_honest_peers_carry_on() {
    let inbox = TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &config(), [1, 2]).unwrap();
    let addr = inbox.local_addr();
    let node1 = |cluster_id| Hello {
        cluster_id,
        node_id: 1,
    };

    // Another cluster, even with a sender that is one of our peers.
    send_and_expect_close(addr, node1(CLUSTER + 1), &frame(&heartbeat(9, 1)));
    // Our cluster, but a node outside the peer set.
    let stranger = Hello {
        cluster_id: CLUSTER,
        node_id: 7,
    };
    send_and_expect_close(addr, stranger, &frame(&heartbeat(9, 7)));
    // A Raft frame where the hello belongs.
    {
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.write_all(&frame(&heartbeat(9, 1))).unwrap();
    }
    eventually("three refused handshakes", || {
        inbox.stats().refused_handshakes == 3
    });

    // Node 1, authenticated, sending a message in node 2's name.
    send_and_expect_close(addr, node1(CLUSTER), &frame(&heartbeat(9, 2)));
    // Node 1 sending a frame that does not decode after its hello.
    send_and_expect_close(addr, node1(CLUSTER), &[4, 0, 0, 0, 9, 9, 9, 9]);

    eventually("every refusal to be counted", || {
        inbox.stats()
            == InboxStats {
                authenticated: 2,
                refused_handshakes: 3,
                forged_frames: 1,
                malformed_frames: 1,
            }
    });
    assert_eq!(inbox.rejected_connections(), 5);
    // Nothing any of them sent got through.
    assert_eq!(inbox.try_recv(), None);

    // The honest transport of node 2 is served as before.
    let mut node2 = TcpTransport::new(2, [(9, addr)], config());
    node2.send(9, heartbeat(3, 2)).unwrap();
    assert_eq!(inbox.recv_timeout(PATIENCE), Some(heartbeat(3, 2)));
    assert_eq!(inbox.stats().authenticated, 3);
}

#[test]
fn a_transport_with_another_cluster_id_delivers_nothing() {
    let inbox = TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &config(), [1]).unwrap();
    let other = TcpConfig {
        cluster_id: CLUSTER + 1,
        ..TcpConfig::default()
    };
    let mut node1 = TcpTransport::new(1, [(9, inbox.local_addr())], other);
    node1.send(9, heartbeat(1, 1)).unwrap();
    eventually("the hello to be refused", || {
        inbox.stats().refused_handshakes >= 1
    });
    assert_eq!(inbox.recv_timeout(Duration::from_millis(50)), None);
}

#[test]
fn a_removed_peer_is_cut_off_at_its_next_message_and_an_added_one_admitted() {
    let inbox = TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &config(), [1]).unwrap();
    let addr = inbox.local_addr();
    let mut node1 = TcpTransport::new(1, [(9, addr)], config());
    node1.send(9, heartbeat(1, 1)).unwrap();
    assert_eq!(inbox.recv_timeout(PATIENCE), Some(heartbeat(1, 1)));

    assert!(inbox.remove_peer(1));
    node1.send(9, heartbeat(2, 1)).unwrap();
    eventually("the removed peer's frame to be refused", || {
        inbox.stats().forged_frames == 1
    });
    assert_eq!(inbox.recv_timeout(Duration::from_millis(50)), None);

    // Node 4 is refused until it is allowed, then served.
    let mut node4 = TcpTransport::new(4, [(9, addr)], config());
    node4.send(9, heartbeat(2, 4)).unwrap();
    eventually("node 4's hello to be refused", || {
        inbox.stats().refused_handshakes == 1
    });
    inbox.allow_peer(4);
    let deadline = Instant::now() + PATIENCE;
    loop {
        // The transport backs off after the refusal; keep sending until a
        // fresh connection carries the message.
        node4.send(9, heartbeat(3, 4)).unwrap();
        if let Some(message) = inbox.recv_timeout(Duration::from_millis(20)) {
            assert_eq!(message, heartbeat(3, 4));
            break;
        }
        assert!(Instant::now() < deadline, "node 4 was never admitted");
    }
}

#[test]
fn a_silent_connection_is_closed_after_the_handshake_timeout() {
    let quick = TcpConfig {
        handshake_timeout: Duration::from_millis(50),
        ..config()
    };
    let inbox = TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &quick, [1]).unwrap();
    let _silent = TcpStream::connect(inbox.local_addr()).unwrap();
    eventually("the silent connection to be refused", || {
        inbox.stats().refused_handshakes == 1 && inbox.open_connections() == 0
    });
}
