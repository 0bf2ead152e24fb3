//! Helpers the transport tests share: bounded polling and "the other side
//! hung up" checks. Every wait has a deadline; nothing sleeps a fixed time
//! to let something happen.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use raft_core::{AppendEntries, Message};

/// How long any one condition may take to come true.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

/// Polls `condition` until it holds, failing the test after `PATIENCE`.
pub(crate) fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Asserts that the peer of `stream` closes the connection: a read sees
/// the end of the stream or a reset, not a timeout.
pub(crate) fn assert_closed_by_peer(mut stream: TcpStream) {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buf = [0u8; 16];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e)
            if e.kind() != std::io::ErrorKind::WouldBlock
                && e.kind() != std::io::ErrorKind::TimedOut => {}
        other => panic!("expected the connection to be closed, got {other:?}"),
    }
}

/// An empty `AppendEntries` from `leader`.
pub(crate) fn heartbeat(term: u64, leader: u64) -> Message {
    Message::AppendEntries(AppendEntries {
        term,
        leader,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: Vec::new(),
        leader_commit: 0,
    })
}
