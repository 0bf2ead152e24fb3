//! Three in-process nodes on loopback, driven through their handles:
//! proposals answered with the state machine's response, `NotLeader`
//! naming the leader, linearizable reads, leadership transfer, failover,
//! timeouts, shutdown answers, async use, and snapshots that reach a node
//! that was down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use raft_server::{RaftHandle, RaftServer, ServerConfig, ServerError, StateMachine};

/// Keeps every command; answers with how many it holds.
#[derive(Default)]
struct Journal(Vec<Vec<u8>>);

impl StateMachine for Journal {
    fn apply(&mut self, _index: u64, command: &[u8]) -> Vec<u8> {
        self.0.push(command.to_vec());
        self.0.len().to_string().into_bytes()
    }
    fn query(&self, _query: &[u8]) -> Vec<u8> {
        self.0.join(&b","[..])
    }
    fn snapshot(&self) -> Vec<u8> {
        self.0.join(&b","[..])
    }
    fn restore(&mut self, snapshot: &[u8]) {
        self.0 = if snapshot.is_empty() {
            Vec::new()
        } else {
            snapshot.split(|&b| b == b',').map(<[u8]>::to_vec).collect()
        };
    }
}

fn free_addrs(n: usize) -> Vec<SocketAddr> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap()).collect()
}

/// The configuration of node `id` (1-based) of a cluster at `addrs`.
fn config(id: u64, addrs: &[SocketAddr]) -> ServerConfig {
    let mut config =
        ServerConfig::new(id, addrs[usize::try_from(id).unwrap() - 1]).with_cluster_id(7);
    for (i, addr) in addrs.iter().enumerate() {
        config = config.with_peer(u64::try_from(i).unwrap() + 1, *addr);
    }
    config.request_timeout = Duration::from_secs(2);
    config
}

fn start(
    id: u64,
    addrs: &[SocketAddr],
    root: &Path,
    tune: impl Fn(&mut ServerConfig),
) -> RaftServer {
    start_with::<Journal>(id, addrs, root, tune)
}

/// `start` with a fresh state machine of type `M`.
fn start_with<M: StateMachine + Default>(
    id: u64,
    addrs: &[SocketAddr],
    root: &Path,
    tune: impl Fn(&mut ServerConfig),
) -> RaftServer {
    let mut config = config(id, addrs);
    tune(&mut config);
    RaftServer::start_with_wal(config, &root.join(format!("node-{id}")), M::default()).unwrap()
}

/// A `Journal` whose snapshot carries `PADDING` more bytes, written and
/// read back 64 KiB at a time (`write_snapshot`, `restore_from`): a state
/// too large for one snapshot piece, so it crosses the host in several.
#[derive(Default)]
struct Bulky(Journal);

impl Bulky {
    const PADDING: usize = 3 << 20;
    const PAD: u8 = 0xab;
}

impl StateMachine for Bulky {
    fn apply(&mut self, index: u64, command: &[u8]) -> Vec<u8> {
        self.0.apply(index, command)
    }
    fn query(&self, query: &[u8]) -> Vec<u8> {
        self.0.query(query)
    }
    fn snapshot(&self) -> Vec<u8> {
        unreachable!("the host streams snapshots through write_snapshot")
    }
    fn restore(&mut self, _: &[u8]) {
        unreachable!("the host restores through restore_from")
    }
    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let journal = self.0.snapshot();
        out.write_all(&(journal.len() as u64).to_le_bytes())?;
        out.write_all(&journal)?;
        let block = [Self::PAD; 64 << 10];
        for _ in 0..Self::PADDING / block.len() {
            out.write_all(&block)?;
        }
        Ok(())
    }
    fn restore_from(&mut self, snapshot: &mut dyn std::io::Read) -> std::io::Result<()> {
        let mut len = [0u8; 8];
        snapshot.read_exact(&mut len)?;
        let mut journal = vec![0u8; usize::try_from(u64::from_le_bytes(len)).unwrap()];
        snapshot.read_exact(&mut journal)?;
        let (mut block, mut padding) = (vec![0u8; 64 << 10], 0);
        loop {
            let n = snapshot.read(&mut block)?;
            if n == 0 {
                break;
            }
            assert!(block[..n].iter().all(|&b| b == Self::PAD));
            padding += n;
        }
        assert_eq!(padding, Self::PADDING, "the whole snapshot arrived");
        self.0.restore(&journal);
        Ok(())
    }
}

/// The id of the node all running `handles` agree leads.
fn leader(handles: &[(u64, RaftHandle)]) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let leaders: Vec<u64> = handles
            .iter()
            .filter_map(|(_, h)| h.status().wait().ok())
            .filter(|s| s.raft.role == raft_core::Role::Leader)
            .map(|s| s.raft.id)
            .collect();
        if let [only] = leaders[..] {
            return only;
        }
        assert!(Instant::now() < deadline, "no single leader: {leaders:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `target` is the one leader of `handles`.
fn await_leader(handles: &[(u64, RaftHandle)], target: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while leader(handles) != target {
        assert!(Instant::now() < deadline, "node {target} never took over");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn handle_of(handles: &[(u64, RaftHandle)], id: u64) -> &RaftHandle {
    &handles.iter().find(|(i, _)| *i == id).unwrap().1
}

/// A minimal executor: polls `future` on this thread, parking between
/// wake-ups.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn proposals_reads_redirects_transfer_and_failover() {
    let dir = tempfile::tempdir().unwrap();
    let addrs = free_addrs(3);
    let mut servers: Vec<RaftServer> = (1..=3)
        .map(|id| start(id, &addrs, dir.path(), |_| {}))
        .collect();
    let handles: Vec<(u64, RaftHandle)> = servers.iter().map(|s| (s.id(), s.handle())).collect();
    let first = leader(&handles);

    let on_leader = handle_of(&handles, first);
    assert_eq!(on_leader.propose(b"a".to_vec()).wait().unwrap(), b"1");
    assert_eq!(block_on(on_leader.propose(b"b".to_vec())).unwrap(), b"2");
    assert_eq!(on_leader.read(Vec::new()).wait().unwrap(), b"a,b");
    assert!(matches!(
        on_leader.propose(Vec::new()).wait(),
        Err(ServerError::Refused(_))
    ));

    let follower = if first == 1 { 2 } else { 1 };
    let on_follower = handle_of(&handles, follower);
    assert_eq!(
        on_follower.propose(b"c".to_vec()).wait(),
        Err(ServerError::NotLeader {
            leader: Some(first)
        })
    );
    assert_eq!(
        on_follower.read(Vec::new()).wait(),
        Err(ServerError::NotLeader {
            leader: Some(first)
        })
    );
    let status = on_follower.status().wait().unwrap();
    assert_eq!(status.members, vec![1, 2, 3]);
    assert_eq!(status.raft.leader, Some(first));

    // Hand leadership to the follower; it serves what was written.
    on_leader.transfer_leadership(follower).wait().unwrap();
    await_leader(&handles, follower);
    assert_eq!(on_follower.read(Vec::new()).wait().unwrap(), b"a,b");

    // Stop the new leader: the other two elect one of themselves.
    let index = servers.iter().position(|s| s.id() == follower).unwrap();
    servers.remove(index).shutdown();
    assert_eq!(on_follower.status().wait(), Err(ServerError::ShuttingDown));
    let rest: Vec<(u64, RaftHandle)> = handles
        .iter()
        .filter(|(id, _)| *id != follower)
        .cloned()
        .collect();
    let third = leader(&rest);
    assert_ne!(third, follower);
    let on_third = handle_of(&rest, third);
    assert_eq!(on_third.propose(b"c".to_vec()).wait().unwrap(), b"3");
    assert_eq!(on_third.read(Vec::new()).wait().unwrap(), b"a,b,c");
}

#[test]
fn a_leader_without_a_quorum_times_out_and_shutdown_answers_what_is_pending() {
    let dir = tempfile::tempdir().unwrap();
    let addrs = free_addrs(3);
    let slow_step_down = |config: &mut ServerConfig| {
        // Long elections: the lone leader keeps leading while we test it.
        config.election_timeout_ticks = (100, 200);
        config.request_timeout = Duration::from_millis(300);
    };
    let mut servers: Vec<RaftServer> = (1..=3)
        .map(|id| start(id, &addrs, dir.path(), slow_step_down))
        .collect();
    let handles: Vec<(u64, RaftHandle)> = servers.iter().map(|s| (s.id(), s.handle())).collect();
    let first = leader(&handles);
    let on_leader = handle_of(&handles, first).clone();
    assert_eq!(on_leader.propose(b"x".to_vec()).wait().unwrap(), b"1");

    let leader_server = servers.iter().position(|s| s.id() == first).unwrap();
    let leader_server = servers.remove(leader_server);
    for server in servers {
        server.shutdown();
    }
    let started = Instant::now();
    assert_eq!(
        on_leader.propose(b"y".to_vec()).wait(),
        Err(ServerError::Timeout)
    );
    assert!(started.elapsed() >= Duration::from_millis(250));

    let pending = on_leader.propose(b"z".to_vec());
    leader_server.shutdown();
    assert_eq!(pending.wait(), Err(ServerError::ShuttingDown));
    assert_eq!(
        on_leader.propose(b"w".to_vec()).wait(),
        Err(ServerError::ShuttingDown)
    );
}

#[test]
fn a_node_that_was_down_catches_up_from_a_snapshot_and_restarts_from_its_own() {
    catch_up_from_a_snapshot_and_restart::<Journal>();
}

// A state larger than a snapshot piece: the leader's apply thread writes it
// in 1 MiB pieces, the follower restores it from its snapshot file on its
// apply thread, 64 KiB at a time; neither side holds it as one `Vec`.
#[test]
fn a_state_larger_than_a_piece_is_snapshotted_and_restored_in_pieces() {
    catch_up_from_a_snapshot_and_restart::<Bulky>();
}

fn catch_up_from_a_snapshot_and_restart<M: StateMachine + Default>() {
    let dir = tempfile::tempdir().unwrap();
    let addrs = free_addrs(3);
    let compact_often = |config: &mut ServerConfig| config.snapshot_threshold = 10;
    let mut servers: Vec<Option<RaftServer>> = (1..=3)
        .map(|id| Some(start_with::<M>(id, &addrs, dir.path(), compact_often)))
        .collect();
    let handles: Vec<(u64, RaftHandle)> = servers
        .iter()
        .flatten()
        .map(|s| (s.id(), s.handle()))
        .collect();
    let first = leader(&handles);
    let down = if first == 3 { 2 } else { 3 };
    servers[usize::try_from(down).unwrap() - 1]
        .take()
        .unwrap()
        .shutdown();

    let on_leader = handle_of(&handles, first);
    let mut expected = Vec::new();
    for n in 0..60 {
        let command = format!("c{n}");
        on_leader
            .propose(command.clone().into_bytes())
            .wait()
            .unwrap();
        expected.push(command);
    }
    let status = on_leader.status().wait().unwrap();
    assert!(
        status.raft.snapshot_index > 0,
        "the leader never compacted: {status:?}"
    );

    // The node comes back; the entries it missed are gone from the
    // leader's log, so it must install a snapshot.
    let back = start_with::<M>(down, &addrs, dir.path(), compact_often);
    let back_handle = back.handle();
    let deadline = Instant::now() + Duration::from_secs(10);
    while back_handle.status().wait().unwrap().raft.last_applied < status.raft.last_applied {
        assert!(Instant::now() < deadline, "node {down} never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
    on_leader.transfer_leadership(down).wait().unwrap();
    let mut all = vec![(down, back_handle.clone())];
    all.extend(handles.iter().filter(|(id, _)| *id != down).cloned());
    await_leader(&all, down);
    assert_eq!(
        back_handle.read(Vec::new()).wait().unwrap(),
        expected.join(",").into_bytes()
    );

    // Restarted over its own directory, it restores its snapshot first.
    back.shutdown();
    let again = start_with::<M>(down, &addrs, dir.path(), compact_often);
    let status = again.handle().status().wait().unwrap();
    assert!(status.raft.snapshot_index > 0, "{status:?}");
}

// Raft's configuration entries carry node ids only: the address of a node
// added at run time travels in the log (a host entry before the change),
// so a later leader that never heard of it can reach it. Here the node
// that added node 4 stops; with four voters, no leader can be elected,
// nor anything committed, unless node 4 and the others reach each other
// (node 4 itself may win: the founders must answer it).
#[test]
fn a_node_added_at_run_time_is_reached_by_a_later_leader() {
    let dir = tempfile::tempdir().unwrap();
    let addrs = free_addrs(4);
    let founders = &addrs[..3];
    let mut servers: Vec<Option<RaftServer>> = (1..=3)
        .map(|id| {
            let config = config(id, founders);
            let root = dir.path().join(format!("node-{id}"));
            Some(RaftServer::start_with_wal(config, &root, Journal::default()).unwrap())
        })
        .collect();
    let handles: Vec<(u64, RaftHandle)> = servers
        .iter()
        .flatten()
        .map(|s| (s.id(), s.handle()))
        .collect();
    let first = leader(&handles);
    let mut joiner_config = config(4, &addrs);
    joiner_config.joining = true;
    let joiner = RaftServer::start_with_wal(
        joiner_config,
        &dir.path().join("node-4"),
        Journal::default(),
    )
    .unwrap();
    let on_first = handle_of(&handles, first);
    on_first
        .change_membership(raft_server::MembershipChange::AddServer {
            id: 4,
            addr: addrs[3],
        })
        .wait()
        .unwrap();
    on_first.propose(b"before".to_vec()).wait().unwrap();

    servers[usize::try_from(first).unwrap() - 1]
        .take()
        .unwrap()
        .shutdown();
    let mut rest: Vec<(u64, RaftHandle)> = handles
        .iter()
        .filter(|(id, _)| *id != first)
        .cloned()
        .collect();
    rest.push((4, joiner.handle()));
    let second = leader(&rest);
    assert_ne!(second, first);
    let on_second = handle_of(&rest, second);
    on_second.propose(b"after".to_vec()).wait().unwrap();
    assert_eq!(
        on_second.read(Vec::new()).wait().unwrap(),
        b"before,after".to_vec()
    );
    for (id, handle) in rest.iter().filter(|(id, _)| *id != 4) {
        let status = handle.status().wait().unwrap();
        assert_eq!(
            status.peer_addrs.get(&4),
            Some(&addrs[3]),
            "node {id}: {status:?}"
        );
    }
}
