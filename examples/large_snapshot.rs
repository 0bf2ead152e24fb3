//! A snapshot that is never whole in memory: three nodes on `WalLog`s; the
//! leader's application writes its snapshot piece by piece
//! (`Event::SnapshotPiece`, 1 MiB each, other events in between), the
//! leader streams it to a follower that was away in 1 MiB chunks, the
//! follower's log writes each chunk to its snapshot file as it arrives, and
//! its application restores by reading the file back in 64 KiB reads
//! (`with_restore_from_log` + `RaftNode::snapshot_reader`). No step, no
//! message and no buffer holds more than 1 MiB of the 32 MiB state.
//!
//! Run with `cargo run -p raft-io --features persistence --example large_snapshot`.

// Node ids index a three-element Vec, byte positions a 32 MiB state.
#![allow(clippy::cast_possible_truncation)]

use std::collections::VecDeque;
use std::io::Read;

use raft_io::{Action, Event, Message, NodeId, RaftConfig, RaftLog, RaftNode, WalLog};

/// The size of the application's state.
const STATE_BYTES: usize = 32 << 20;
const PIECE_BYTES: usize = 1 << 20;
const READ_BYTES: usize = 64 << 10;

/// The application: a counter the commands add to, and a large body that
/// depends on it (as a real store's pages depend on its writes). It can
/// produce any byte range of its snapshot, so it never builds it whole.
#[derive(Default)]
struct App {
    counter: u64,
}

impl App {
    /// Bytes `[offset, offset + len)` of the snapshot: the counter, then
    /// the body.
    fn snapshot_range(&self, offset: usize, len: usize) -> Vec<u8> {
        let header = self.counter.to_le_bytes();
        (offset..offset + len)
            .map(|at| match header.get(at) {
                Some(&byte) => byte,
                None => body_byte(self.counter, at),
            })
            .collect()
    }
}

fn body_byte(counter: u64, at: usize) -> u8 {
    (counter.wrapping_mul(31) as usize ^ at).to_le_bytes()[0]
}

/// Restores an `App` from a snapshot read `READ_BYTES` at a time, checking
/// every body byte.
fn restore(reader: &mut impl Read) -> std::io::Result<App> {
    let mut buffer = vec![0u8; READ_BYTES];
    let mut header = Vec::new();
    let (mut at, mut counter) = (0usize, 0u64);
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        for &byte in &buffer[..n] {
            if at < 8 {
                header.push(byte);
                if at == 7 {
                    counter = u64::from_le_bytes(header.as_slice().try_into().unwrap_or([0; 8]));
                }
            } else if byte != body_byte(counter, at) {
                return Err(std::io::Error::other(format!("byte {at} is wrong")));
            }
            at += 1;
        }
    }
    assert_eq!(at, STATE_BYTES, "the whole state was read");
    Ok(App { counter })
}

struct Cluster {
    nodes: Vec<RaftNode<WalLog>>,
    apps: Vec<App>,
    in_flight: VecDeque<(NodeId, Message)>,
    away: Option<NodeId>,
    largest_message: usize,
}

impl Cluster {
    fn node(&mut self, id: NodeId) -> &mut RaftNode<WalLog> {
        &mut self.nodes[id as usize - 1]
    }

    fn step(&mut self, id: NodeId, event: Event) -> Result<(), Box<dyn std::error::Error>> {
        let actions = self.node(id).step(event)?;
        for action in actions {
            match action {
                Action::Send { to, message } => {
                    if let Message::SnapshotChunk(chunk) = &message {
                        self.largest_message = self.largest_message.max(chunk.data.len());
                    }
                    self.in_flight.push_back((to, message));
                }
                Action::Apply { command, .. } => {
                    self.apps[id as usize - 1].counter += u64::from(command[0]);
                }
                Action::RestoreSnapshotFromLog { index, len, .. } => {
                    let app = restore(&mut self.node(id).snapshot_reader())?;
                    println!(
                        "node {id}: restored {len} bytes through index {index} in \
                         {READ_BYTES}-byte reads; counter = {}",
                        app.counter
                    );
                    self.apps[id as usize - 1] = app;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Delivers messages until none is left (those to or from the node
    /// that is away are lost).
    fn settle(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        while let Some((to, message)) = self.in_flight.pop_front() {
            let from_away = self.away.is_some_and(|away| sender(&message) == away);
            if Some(to) != self.away && !from_away {
                self.step(to, Event::Message(message))?;
            }
        }
        Ok(())
    }
}

fn sender(message: &Message) -> NodeId {
    match message {
        Message::AppendEntriesReply(reply) => reply.from,
        Message::AppendEntries(request) => request.leader,
        Message::SnapshotChunk(chunk) => chunk.leader,
        Message::SnapshotChunkReply(reply) => reply.from,
        _ => 0,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dirs: Vec<_> = (0..3)
        .map(|_| tempfile::tempdir())
        .collect::<Result<_, _>>()?;
    let mut nodes = Vec::new();
    for (id, dir) in (1..=3).zip(&dirs) {
        let config = RaftConfig::new(id, [1, 2, 3])
            .with_snapshot_chunk_bytes(PIECE_BYTES)
            .with_restore_from_log(true);
        nodes.push(RaftNode::with_log(config, WalLog::open(dir.path())?));
    }
    let mut cluster = Cluster {
        nodes,
        apps: (0..3).map(|_| App::default()).collect(),
        in_flight: VecDeque::new(),
        away: None,
        largest_message: 0,
    };
    while !cluster.node(1).is_leader() {
        cluster.step(1, Event::Tick)?;
        cluster.settle()?;
    }
    // Node 3 goes away; the other two commit and apply without it.
    cluster.away = Some(3);
    for add in 1..=20u8 {
        cluster.step(1, Event::Propose(vec![add]))?;
        cluster.settle()?;
    }
    let applied = cluster.node(1).last_applied();
    println!(
        "leader: applied through {applied}, counter = {}",
        cluster.apps[0].counter
    );

    // The leader's application writes its snapshot a piece at a time,
    // ticking in between as a real program would keep serving.
    let pieces = STATE_BYTES / PIECE_BYTES;
    for n in 0..pieces {
        let data = cluster.apps[0].snapshot_range(n * PIECE_BYTES, PIECE_BYTES);
        let done = n + 1 == pieces;
        cluster.step(
            1,
            Event::SnapshotPiece {
                index: applied,
                offset: (n * PIECE_BYTES) as u64,
                data,
                done,
            },
        )?;
        cluster.step(1, Event::Tick)?;
        cluster.settle()?;
    }
    let log = cluster.node(1).log();
    println!(
        "leader: snapshot through {} stored ({} bytes, written in {pieces} pieces); \
         log starts after it",
        log.snapshot_index(),
        log.snapshot_len()
    );

    // Node 3 is back: the leader needs entries it compacted, so it streams
    // the snapshot; node 3 writes each chunk to its log as it arrives.
    cluster.away = None;
    for _ in 0..200 {
        cluster.step(1, Event::Tick)?;
        cluster.settle()?;
        if cluster.node(3).last_applied() >= applied {
            break;
        }
    }
    assert!(
        cluster.node(3).last_applied() >= applied,
        "node 3 caught up"
    );
    assert_eq!(cluster.apps[2].counter, cluster.apps[0].counter);
    println!(
        "node 3 caught up by snapshot; largest chunk on the wire {} bytes of a \
         {STATE_BYTES}-byte state",
        cluster.largest_message
    );
    Ok(())
}
