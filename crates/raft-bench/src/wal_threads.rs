//! Our 3-node `WalLog` cluster with one thread per node, so the nodes'
//! fsyncs can overlap as on three machines: what the parallel leader write
//! (thesis 10.2.1, `with_deferred_sync`) is for. On one thread (`wal_rounds`)
//! every fsync of every node is paid in sequence, and sending the leader's
//! appends before its own sync cannot shorten anything.
//!
//! Each node thread takes everything queued for it (waiting when there is
//! nothing), hands it to its node in one of the `Calling` styles and
//! forwards the sends. Node 1, the leader, keeps `window` proposals in
//! flight and ticks only when idle for 2 ms (so a heartbeat carries the
//! last commit index); elections and check-quorum take 1,000 ticks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use raft_core::{Action, Event, RaftLog, RaftNode};
use raft_log_wal::WalLog;

use crate::cluster::{PAYLOAD, Sample};
use crate::wal_rounds::{Calling, Rounds};

/// Sends what `out` holds to the peers; returns the applies in it.
fn dispatch(out: &mut Vec<Action>, peers: &[Sender<Event>]) -> u64 {
    let mut applied = 0;
    for action in out.drain(..) {
        match action {
            Action::Send { to, message } => {
                if let Some(peer) = usize::try_from(to - 1).ok().and_then(|i| peers.get(i)) {
                    // A peer that already stopped drops it, as a network would.
                    let _ = peer.send(Event::Message(message));
                }
            }
            Action::Apply { command, .. } => {
                std::hint::black_box(command);
                applied += 1;
            }
            _ => {}
        }
    }
    applied
}

/// Runs one node until `stop`; returns the commands it applied.
fn node_loop(
    mut node: RaftNode<WalLog>,
    inbox: mpsc::Receiver<Event>,
    peers: Vec<Sender<Event>>,
    calling: Calling,
    window: u64,
    stop: &AtomicBool,
) -> u64 {
    let (mut applied, mut proposed) = (0u64, 0u64);
    let base = node.commit_index();
    let (mut events, mut out) = (Vec::new(), Vec::new());
    while !stop.load(Ordering::Relaxed) {
        if node.is_leader() {
            let committed = node.commit_index() - base;
            let room = window.saturating_sub(proposed - committed.min(proposed));
            events.extend((0..room).map(|_| Event::Propose(vec![0xab; PAYLOAD])));
            proposed += room;
        }
        if events.is_empty() {
            match inbox.recv_timeout(Duration::from_millis(2)) {
                Ok(event) => events.push(event),
                Err(RecvTimeoutError::Timeout) if node.is_leader() => events.push(Event::Tick),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        events.extend(inbox.try_iter());
        calling.step(&mut node, events.drain(..), &mut out);
        // The leader's appends leave before its own sync (deferred styles).
        applied += dispatch(&mut out, &peers);
        calling.finish(&mut node, &mut out);
        applied += dispatch(&mut out, &peers);
    }
    if std::env::var_os("WAL_THREADS_DEBUG").is_some() {
        eprintln!(
            "node {}: {:?} term {} commit {} last {} applied {applied} proposed {proposed}",
            node.id(),
            node.role(),
            node.term(),
            node.commit_index(),
            node.log().last_index()
        );
    }
    applied
}

/// Keeps `window` proposals in flight for `budget`; commands applied on
/// every node per second of the run.
pub(crate) fn run(calling: Calling, window: u64, budget: Duration) -> Sample {
    let dir = tempfile::tempdir().unwrap();
    // Ticks come every 2 ms of idleness: check-quorum after 10 ticks would
    // depose a leader whose followers are a few dozen fsyncs behind.
    let nodes = Rounds::elected(dir.path(), calling, 1000).nodes;
    let (senders, receivers): (Vec<_>, Vec<_>) = nodes.iter().map(|_| mpsc::channel()).unzip();
    let stop = Arc::new(AtomicBool::new(false));
    let before = crate::alloc_counter::now();
    let started = Instant::now();
    let handles: Vec<_> = nodes
        .into_iter()
        .zip(receivers)
        .map(|(node, inbox)| {
            let (peers, stop) = (senders.clone(), Arc::clone(&stop));
            std::thread::spawn(move || node_loop(node, inbox, peers, calling, window, &stop))
        })
        .collect();
    drop(senders);
    std::thread::sleep(budget);
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let applied = handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .min()
        .unwrap_or(0);
    Sample {
        applied,
        elapsed,
        counts: crate::alloc_counter::now().since(before),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With a thread per node, every calling style still applies on all
    /// three nodes.
    #[test]
    fn threaded_cluster_applies_everywhere() {
        for calling in [Calling::Step, Calling::StepThenFlush] {
            let sample = run(calling, 4, Duration::from_millis(300));
            assert!(sample.applied > 0, "{calling:?}");
        }
    }
}
