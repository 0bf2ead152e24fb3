//! The consensus thread's turn: step everything that arrived, send what
//! may leave before the sync, flush once, send the rest.
//!
//! * The leader writes its log in parallel with replication (thesis
//!   10.2.1): its appends leave before its own `sync`, so a follower can
//!   hold an entry before the leader's write of it is durable. Each node
//!   runs on a log that records what it appended, and whose `sync` of new
//!   entries waits (up to a bound) until another node holds them too. A
//!   host that syncs before sending makes every such leader sync wait the
//!   bound out; ours never does.
//! * A `sync` that fails stops the node: what waits on the turn is
//!   answered with the storage error, never as if it were durable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use raft_core::{HardState, Index, LogEntry, MemoryLog, RaftLog, Result, Term};
use raft_server::{RaftHandle, RaftServer, ServerConfig, ServerError, StateMachine};

/// How long a sync waits for another node to hold its entries.
const WAIT_BOUND: Duration = Duration::from_secs(2);

const NODES: usize = 3;

/// The `RaftLog` methods both test logs below pass straight to their
/// `inner` `MemoryLog` (each writes its own `append`, `truncate`, `sync`).
macro_rules! forward_to_inner {
    () => {
        fn last_index(&self) -> Index {
            self.inner.last_index()
        }
        fn last_term(&self) -> Term {
            self.inner.last_term()
        }
        fn term_at(&self, index: Index) -> Option<Term> {
            self.inner.term_at(index)
        }
        fn entry(&self, index: Index) -> Option<LogEntry> {
            self.inner.entry(index)
        }
        fn hard_state(&self) -> HardState {
            self.inner.hard_state()
        }
        fn set_hard_state(&mut self, state: HardState) -> Result<()> {
            self.inner.set_hard_state(state)
        }
    };
}

/// What the three logs share.
#[derive(Default)]
struct Shared {
    /// Each node's log, as the term of each entry (index 1 first): two
    /// logs holding the same index and term hold the same entry (Log
    /// Matching, Raft 5.3).
    terms: Mutex<[Vec<Term>; NODES]>,
    /// Syncs that made new entries durable.
    entry_syncs: AtomicU64,
    /// Of those, the ones no other node had the entries for within the
    /// bound.
    waited_out: AtomicU64,
}

/// A `MemoryLog` publishing its entries' terms to `shared` and holding back
/// a sync of new entries until another node holds the last of them (or the
/// bound passes). Publishing copies the whole log: fine for a few entries.
struct ObservedLog {
    inner: MemoryLog,
    /// This node's slot in `shared`.
    slot: usize,
    shared: Arc<Shared>,
    /// The last entry appended since the last sync, if any.
    unsynced_through: Option<(Index, Term)>,
}

impl ObservedLog {
    /// Records this log's terms for the others to see.
    fn publish(&self) {
        let terms = (1..=self.inner.last_index())
            .map(|index| self.inner.term_at(index).unwrap_or(0))
            .collect();
        self.shared.terms.lock().unwrap()[self.slot] = terms;
    }

    fn another_node_holds(&self, (index, term): (Index, Term)) -> bool {
        let position = usize::try_from(index - 1).unwrap();
        let logs = self.shared.terms.lock().unwrap();
        (0..NODES)
            .filter(|&slot| slot != self.slot)
            .any(|slot| logs[slot].get(position) == Some(&term))
    }
}

impl RaftLog for ObservedLog {
    forward_to_inner!();
    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        self.inner.append(entries)?;
        self.publish();
        if let Some(last) = entries.last() {
            self.unsynced_through = Some((last.index, last.term));
        }
        Ok(())
    }
    fn truncate(&mut self, from: Index) -> Result<()> {
        self.inner.truncate(from)?;
        self.publish();
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        if let Some(entry) = self.unsynced_through.take() {
            self.shared.entry_syncs.fetch_add(1, Ordering::SeqCst);
            let started = Instant::now();
            while !self.another_node_holds(entry) {
                if started.elapsed() > WAIT_BOUND {
                    self.shared.waited_out.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        self.inner.sync()
    }
}

/// Counts what it applied.
#[derive(Default)]
struct Counter(u64);

impl StateMachine for Counter {
    fn apply(&mut self, _index: u64, _command: &[u8]) -> Vec<u8> {
        self.0 += 1;
        self.0.to_string().into_bytes()
    }
    fn query(&self, _query: &[u8]) -> Vec<u8> {
        self.0.to_string().into_bytes()
    }
    fn snapshot(&self) -> Vec<u8> {
        self.0.to_string().into_bytes()
    }
    fn restore(&mut self, snapshot: &[u8]) {
        self.0 = std::str::from_utf8(snapshot)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(0);
    }
}

fn free_addrs(n: usize) -> Vec<SocketAddr> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap()).collect()
}

fn start(slot: usize, addrs: &[SocketAddr], shared: &Arc<Shared>) -> RaftServer {
    let id = u64::try_from(slot).unwrap() + 1;
    let mut config = ServerConfig::new(id, addrs[slot]).with_cluster_id(11);
    for (i, addr) in addrs.iter().enumerate() {
        config = config.with_peer(u64::try_from(i).unwrap() + 1, *addr);
    }
    config.request_timeout = Duration::from_secs(10);
    let log = ObservedLog {
        inner: MemoryLog::new(),
        slot,
        shared: Arc::clone(shared),
        unsynced_through: None,
    };
    RaftServer::start(config, log, Counter::default()).unwrap()
}

/// The leader all handles agree on, once there is one.
fn leader(handles: &[RaftHandle]) -> &RaftHandle {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for handle in handles {
            if let Ok(status) = handle.status().wait()
                && status.raft.leader == Some(status.raft.id)
            {
                return handle;
            }
        }
        assert!(Instant::now() < deadline, "no leader elected");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_leaders_appends_leave_before_its_own_sync() {
    let shared = Arc::new(Shared::default());
    let addrs = free_addrs(NODES);
    let servers: Vec<RaftServer> = (0..NODES)
        .map(|slot| start(slot, &addrs, &shared))
        .collect();
    let handles: Vec<RaftHandle> = servers.iter().map(RaftServer::handle).collect();
    // A host that synced before sending would stall each leader sync for
    // the bound, long enough to lose its leadership: retry elsewhere then,
    // so the count below says what went wrong.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut committed = 0;
    while committed < 5 {
        assert!(
            Instant::now() < deadline,
            "{committed} of 5 proposals committed in 30 s; {} of {} entry syncs waited out",
            shared.waited_out.load(Ordering::SeqCst),
            shared.entry_syncs.load(Ordering::SeqCst)
        );
        if leader(&handles).propose(b"x".to_vec()).wait().is_ok() {
            committed += 1;
        }
    }
    for server in servers {
        server.shutdown();
    }
    // Every node synced new entries (the leader its no-op and the five
    // proposals, the followers what they received)...
    assert!(shared.entry_syncs.load(Ordering::SeqCst) >= 6);
    // ...and no sync had to wait for another node to receive them: the
    // leader's appends had left before its own sync began.
    assert_eq!(shared.waited_out.load(Ordering::SeqCst), 0);
}

/// A `MemoryLog` whose `sync` fails once `fail` is set.
struct FailingSyncLog {
    inner: MemoryLog,
    fail: Arc<std::sync::atomic::AtomicBool>,
}

impl RaftLog for FailingSyncLog {
    forward_to_inner!();
    fn append(&mut self, entries: &[LogEntry]) -> Result<()> {
        self.inner.append(entries)
    }
    fn truncate(&mut self, from: Index) -> Result<()> {
        self.inner.truncate(from)
    }
    fn sync(&mut self) -> Result<()> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(raft_core::Error::storage("sync", "injected failure"));
        }
        self.inner.sync()
    }
}

#[test]
fn a_failed_sync_stops_the_node_and_fails_what_waits_on_it() {
    let addr = free_addrs(1)[0];
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut config = ServerConfig::new(1, addr)
        .with_cluster_id(12)
        .with_peer(1, addr);
    config.request_timeout = Duration::from_secs(10);
    let log = FailingSyncLog {
        inner: MemoryLog::new(),
        fail: Arc::clone(&fail),
    };
    let server = RaftServer::start(config, log, Counter::default()).unwrap();
    let handle = server.handle();
    leader(std::slice::from_ref(&handle));
    assert_eq!(handle.propose(b"a".to_vec()).wait().unwrap(), b"1");

    fail.store(true, Ordering::SeqCst);
    let answer = handle.propose(b"b".to_vec()).wait();
    assert!(
        matches!(&answer, Err(ServerError::Storage(detail)) if detail.contains("injected failure")),
        "{answer:?}"
    );
    // The node stopped: nothing more is taken as if it could be durable.
    assert!(handle.propose(b"c".to_vec()).wait().is_err());
    server.shutdown();
}
