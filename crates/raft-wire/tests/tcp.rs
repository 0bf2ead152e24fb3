//! The TCP transport on loopback with ephemeral ports. Every wait polls
//! with a deadline; nothing relies on a fixed sleep.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{PATIENCE, assert_closed_by_peer, eventually, heartbeat};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use raft_core::{
    AppendEntries, AppendEntriesReply, Error, LogEntry, Message, RaftTransport, TimeoutNow,
};
use raft_wire::{TcpConfig, TcpInbox, TcpTransport};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn two_transports_exchange_messages_both_ways() {
    let config = TcpConfig::default();
    let inbox1 = TcpInbox::bind(loopback(), &config, [1, 2]).unwrap();
    let inbox2 = TcpInbox::bind(loopback(), &config, [1, 2]).unwrap();
    let mut node1 = TcpTransport::new(1, [(2, inbox2.local_addr())], config.clone());
    let mut node2 = TcpTransport::new(2, [(1, inbox1.local_addr())], config);

    let big = Message::AppendEntries(AppendEntries {
        term: 3,
        leader: 1,
        prev_log_index: 10,
        prev_log_term: 2,
        entries: (11..=74)
            .map(|i| LogEntry::new(3, i, vec![7; 4096]))
            .collect(),
        leader_commit: 10,
    });
    let sent = [heartbeat(3, 1), big, heartbeat(3, 1)];
    for message in &sent {
        node1.send(2, message.clone()).unwrap();
    }
    // One connection carries them in order.
    for message in &sent {
        assert_eq!(inbox2.recv_timeout(PATIENCE).as_ref(), Some(message));
    }

    let reply = Message::AppendEntriesReply(AppendEntriesReply {
        term: 3,
        success: true,
        from: 2,
        match_index: 74,
        conflict_index: 0,
        conflict_term: 0,
    });
    node2.send(1, reply.clone()).unwrap();
    assert_eq!(inbox1.recv_timeout(PATIENCE), Some(reply));
    assert_eq!(node1.stats().sent, 3);
    assert_eq!(node1.stats().dropped, 0);
}

#[test]
fn a_garbage_sending_peer_is_disconnected_and_others_carry_on() {
    let inbox = TcpInbox::bind(loopback(), &TcpConfig::default(), [1]).unwrap();
    let garbage = [
        // A well-formed prefix around a frame of unknown version.
        vec![4, 0, 0, 0, 9, 9, 9, 9],
        // A prefix claiming 4 GiB.
        vec![0xff, 0xff, 0xff, 0xff, 1, 2, 3],
    ];
    for bytes in garbage {
        let mut peer = TcpStream::connect(inbox.local_addr()).unwrap();
        peer.write_all(&bytes).unwrap();
        // The inbox closes its end: we read EOF (or a reset), not a hang.
        assert_closed_by_peer(peer);
    }
    eventually("both rejections to be counted", || {
        inbox.rejected_connections() == 2
    });
    assert_eq!(inbox.try_recv(), None);

    let mut node = TcpTransport::new(1, [(2, inbox.local_addr())], TcpConfig::default());
    node.send(2, heartbeat(1, 1)).unwrap();
    assert_eq!(inbox.recv_timeout(PATIENCE), Some(heartbeat(1, 1)));
}

#[test]
fn the_writer_reconnects_after_the_connection_is_lost() {
    // The inbox closes connections idle for 30 ms, cutting the link.
    let config = TcpConfig {
        idle_timeout: Some(Duration::from_millis(30)),
        reconnect_backoff: Duration::from_millis(5),
        ..TcpConfig::default()
    };
    let inbox = TcpInbox::bind(loopback(), &config, [1, 2]).unwrap();
    let mut node = TcpTransport::new(1, [(2, inbox.local_addr())], config);

    node.send(2, heartbeat(1, 1)).unwrap();
    assert_eq!(inbox.recv_timeout(PATIENCE), Some(heartbeat(1, 1)));
    eventually("the idle connection to close", || {
        inbox.open_connections() == 0
    });

    // The first write after the cut may vanish into the dead socket; keep
    // sending until one arrives over a fresh connection.
    let deadline = Instant::now() + PATIENCE;
    let received = loop {
        node.send(2, heartbeat(2, 1)).unwrap();
        if let Some(message) = inbox.recv_timeout(Duration::from_millis(10)) {
            break message;
        }
        assert!(Instant::now() < deadline, "no message after reconnecting");
    };
    assert_eq!(received, heartbeat(2, 1));
    assert!(node.stats().connects >= 2, "{:?}", node.stats());
}

#[test]
fn an_unreachable_peer_never_blocks_the_caller() {
    // A port that was just free: nothing listens there.
    let dead = {
        let listener = TcpListener::bind(loopback()).unwrap();
        listener.local_addr().unwrap()
    };
    let config = TcpConfig {
        queue_capacity: 8,
        ..TcpConfig::default()
    };
    let mut node = TcpTransport::new(1, [(9, dead)], config);
    let started = Instant::now();
    for term in 0..1000 {
        node.send(9, Message::TimeoutNow(TimeoutNow { term, leader: 1 }))
            .unwrap();
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    eventually("messages to be dropped", || node.stats().dropped > 0);
    assert_eq!(node.stats().sent, 0);
}

#[test]
fn sending_to_an_unknown_node_or_an_oversized_frame_is_an_error() {
    let mut node = TcpTransport::new(
        1,
        [(2, loopback())],
        TcpConfig {
            max_frame_len: 64,
            ..TcpConfig::default()
        },
    );
    assert!(matches!(
        node.send(5, heartbeat(1, 1)),
        Err(Error::Unsupported { .. })
    ));
    let big = Message::AppendEntries(AppendEntries {
        entries: vec![LogEntry::new(1, 1, vec![0; 100])],
        ..match heartbeat(1, 1) {
            Message::AppendEntries(m) => m,
            _ => unreachable!(),
        }
    });
    assert!(matches!(node.send(2, big), Err(Error::Encoding { .. })));
}
