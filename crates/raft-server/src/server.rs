//! `RaftServer`: starts the threads of one node (consensus, apply, inbox
//! forwarder) and stops them cleanly.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use raft_core::{NodeId, RaftLog, RaftNode};
use raft_log_wal::WalLog;
use raft_wire::{TcpInbox, TcpTransport};

use crate::applier;
use crate::config::ServerConfig;
use crate::consensus::Consensus;
use crate::handle::RaftHandle;
use crate::host_entry::{self, AddressBook};
use crate::observer::Observer;
use crate::request::{Input, Request};
use crate::state_machine::StateMachine;

/// One running node. Dropping it shuts it down (like
/// [`shutdown`](Self::shutdown)).
///
/// ```
/// use raft_server::{RaftServer, ServerConfig, StateMachine};
///
/// #[derive(Default)]
/// struct Log(Vec<Vec<u8>>);
/// impl StateMachine for Log {
///     fn apply(&mut self, _index: u64, command: &[u8]) -> Vec<u8> {
///         self.0.push(command.to_vec());
///         (self.0.len() as u64).to_le_bytes().to_vec()
///     }
///     fn query(&self, _query: &[u8]) -> Vec<u8> { (self.0.len() as u64).to_le_bytes().to_vec() }
///     fn snapshot(&self) -> Vec<u8> { Vec::new() }
///     fn restore(&mut self, _snapshot: &[u8]) {}
/// }
///
/// let dir = tempfile::tempdir()?;
/// let config = ServerConfig::new(1, "127.0.0.1:0".parse()?);
/// let server = RaftServer::start_with_wal(config, dir.path(), Log::default())?;
/// let node = server.handle();
/// // A single node elects itself within an election timeout.
/// let answer = loop {
///     match node.propose(b"hello".to_vec()).wait() {
///         Err(raft_server::ServerError::NotLeader { .. }) => std::thread::sleep(std::time::Duration::from_millis(20)),
///         other => break other?,
///     }
/// };
/// assert_eq!(answer, 1u64.to_le_bytes());
/// assert_eq!(node.read(Vec::new()).wait()?, 1u64.to_le_bytes());
/// server.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RaftServer {
    id: NodeId,
    local_addr: SocketAddr,
    handle: RaftHandle,
    inputs: SyncSender<Input>,
    stop_forwarder: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl RaftServer {
    /// Starts node `config.id` over a [`WalLog`] in `dir` (created if
    /// needed; a node restarted over the same directory resumes).
    ///
    /// # Errors
    ///
    /// The log cannot be opened (say, another process holds it), or the
    /// listen address cannot be bound.
    pub fn start_with_wal<S: StateMachine>(
        config: ServerConfig,
        dir: &Path,
        machine: S,
    ) -> io::Result<Self> {
        let log = WalLog::open(dir).map_err(io::Error::other)?;
        Self::start(config, log, machine)
    }

    /// Starts node `config.id` over any durable `log`. If the log holds a
    /// snapshot, `machine` is restored from it first; entries after it are
    /// applied again as the node learns they are committed.
    ///
    /// # Errors
    ///
    /// The listen address cannot be bound, or a thread cannot start.
    pub fn start<L, S>(config: ServerConfig, log: L, mut machine: S) -> io::Result<Self>
    where
        L: RaftLog + Send + 'static,
        S: StateMachine,
    {
        // The snapshot holds the peers added at run time (their addresses
        // lead it, see `host_entry`), then the machine's state.
        let mut book = AddressBook::new();
        if let Some(mut snapshot) = log.detached_snapshot_reader().map_err(io::Error::other)? {
            book = host_entry::read_book(&mut snapshot)?;
            machine.restore_from(&mut snapshot)?;
        }
        let node = RaftNode::with_log(config.raft_config(), log);
        let id = node.id();
        let inbox = bind_inbox(&config)?;
        let local_addr = inbox.local_addr();
        let transport = new_transport(&config);
        let (inputs, input_rx) = mpsc::sync_channel(config.queue_capacity.max(16));
        let (applier_tx, applier_rx) = mpsc::channel();
        tracing::info!(node = id, %local_addr, peers = ?config.peers, "node starting");

        let mut threads = Vec::new();
        let stop_forwarder = Arc::new(AtomicBool::new(false));
        let inbox = Arc::new(inbox);
        let mut consensus = Consensus {
            observer: Observer::new(&node),
            node,
            transport,
            inbox: Arc::clone(&inbox),
            applier: applier_tx,
            tick_interval: config.tick_interval,
            addrs: config.peers.clone(),
            proposing: HashMap::new(),
            reads: HashMap::new(),
            next_id: 0,
            failed: false,
        };
        for (&peer, &addr) in &book {
            consensus.learn_peer(peer, addr);
        }
        let applier_inputs = inputs.clone();
        threads.push(
            thread::Builder::new()
                .name(format!("raft-apply-{id}"))
                .spawn(move || applier::run(machine, book, &applier_rx, &applier_inputs))?,
        );
        // Peer messages reach the consensus thread through a forwarder, so
        // the consensus loop waits on one channel only.
        let forwarder_inbox = Arc::clone(&inbox);
        let forwarder_inputs = inputs.clone();
        let stop = Arc::clone(&stop_forwarder);
        threads.push(
            thread::Builder::new()
                .name(format!("raft-inbox-{id}"))
                .spawn(move || forward_messages(&forwarder_inbox, &forwarder_inputs, &stop))?,
        );
        threads.push(
            thread::Builder::new()
                .name(format!("raft-consensus-{id}"))
                .spawn(move || consensus.run(&input_rx))?,
        );
        Ok(Self {
            id,
            local_addr,
            handle: RaftHandle::new(inputs.clone(), config.request_timeout),
            inputs,
            stop_forwarder,
            threads,
        })
    }

    /// The node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The address the node listens on for peers (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to use the node with; clone it freely.
    pub fn handle(&self) -> RaftHandle {
        self.handle.clone()
    }

    /// Stops the node and waits for its threads. Requests still pending
    /// answer `ShuttingDown`; everything acknowledged is on disk.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.stop_forwarder.store(true, Ordering::SeqCst);
        // Blocks while the queue is full: the consensus thread is draining
        // it, so the shutdown gets in.
        let _ = self.inputs.send(Input::Request(Request::Shutdown));
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for RaftServer {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.stop();
        }
    }
}

/// How long the forwarder waits for a message before it looks at the stop
/// flag again.
const FORWARD_POLL: Duration = Duration::from_millis(50);

fn forward_messages(inbox: &TcpInbox, inputs: &SyncSender<Input>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        if let Some(message) = inbox.recv_timeout(FORWARD_POLL) {
            // Blocks while the queue is full: back-pressure onto the peer
            // connections. Fails once the consensus thread has stopped.
            if inputs.send(Input::Message(message)).is_err() {
                return;
            }
        }
    }
}

fn bind_inbox(config: &ServerConfig) -> io::Result<TcpInbox> {
    let peers = config.peers.keys().copied();
    #[cfg(feature = "tls")]
    if let Some(identity) = &config.tls {
        return TcpInbox::bind_tls(config.listen, &config.tcp, peers, Arc::clone(identity));
    }
    TcpInbox::bind(config.listen, &config.tcp, peers)
}

fn new_transport(config: &ServerConfig) -> TcpTransport {
    let transport = TcpTransport::new(
        config.id,
        config.peers.iter().map(|(&id, &addr)| (id, addr)),
        config.tcp.clone(),
    );
    #[cfg(feature = "tls")]
    if let Some(identity) = &config.tls {
        return transport.with_tls(Arc::clone(identity));
    }
    transport
}
