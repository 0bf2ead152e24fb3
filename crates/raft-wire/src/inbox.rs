//! `TcpInbox`: the receiving half. Accepts connections, checks each one's
//! hello (cluster and node), and decodes their frames into one channel of
//! messages, one reader thread per connection.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufReader, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use raft_core::{Message, NodeId};

use crate::config::TcpConfig;
use crate::decode::decode;
use crate::handshake::Hello;
use crate::secure::{Inbound, Security};
use crate::stream::read_frame;

/// Listens for peers' connections and yields the messages they send.
///
/// Every connection must open with a [`Hello`] naming this inbox's
/// cluster (`TcpConfig::cluster_id`) and a node of its peer set, and every
/// message on it must name that node as its sender. A connection that
/// breaks any of these rules, or sends a frame that does not decode (or is
/// too large), is closed and counted in [`InboxStats`]; the others carry
/// on, and nothing it sent reaches [`recv_timeout`](Self::recv_timeout).
/// Dropping the inbox stops the listener and closes every connection.
///
/// ```
/// use std::time::Duration;
/// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), [2, 3]).unwrap();
/// assert_ne!(inbox.local_addr().port(), 0);
/// assert_eq!(inbox.recv_timeout(Duration::from_millis(1)), None);
/// ```
#[derive(Debug)]
pub struct TcpInbox {
    local_addr: SocketAddr,
    /// Behind a mutex so the inbox is `Sync`: one thread can wait for
    /// messages while another admits peers or reads the counters.
    messages: Mutex<Receiver<Message>>,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// Running totals of a [`TcpInbox`]: what it accepted and what it refused.
///
/// ```
/// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), [2]).unwrap();
/// assert_eq!(inbox.stats(), raft_wire::InboxStats::default());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboxStats {
    /// Connections whose hello was accepted.
    pub authenticated: u64,
    /// Connections refused at the start: no hello, a hello of another
    /// cluster or of a node outside the peer set, or (with TLS) a failed
    /// TLS handshake or a certificate of another node.
    pub refused_handshakes: u64,
    /// Connections closed because a message named a sender other than the
    /// node the connection authenticated as (or one since removed).
    pub forged_frames: u64,
    /// Connections closed because a frame did not decode or was too large.
    pub malformed_frames: u64,
}

/// What the acceptor, the readers and the inbox handle share.
#[derive(Debug)]
struct Shared {
    closing: AtomicBool,
    /// A clone of every live connection, so `drop` can shut them down and
    /// wake their blocked readers.
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    /// The nodes allowed to connect.
    peers: RwLock<BTreeSet<NodeId>>,
    authenticated: AtomicU64,
    refused_handshakes: AtomicU64,
    forged_frames: AtomicU64,
    malformed_frames: AtomicU64,
    config: TcpConfig,
    security: Security,
}

impl Shared {
    fn conns(&self) -> std::sync::MutexGuard<'_, HashMap<u64, TcpStream>> {
        // A reader that panicked cannot leave the map inconsistent (every
        // update is a single insert or remove), so poison is harmless.
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_peer(&self, id: NodeId) -> bool {
        // Same argument: every update is one insert or remove.
        self.peers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&id)
    }

    fn peers_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeSet<NodeId>> {
        self.peers.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TcpInbox {
    /// Listen on `addr` (port `0` picks a free one; see [`local_addr`]),
    /// accepting connections from the nodes in `peers` only.
    ///
    /// [`local_addr`]: TcpInbox::local_addr
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), [2, 3]).unwrap();
    /// assert!(inbox.local_addr().ip().is_loopback());
    /// ```
    ///
    /// # Errors
    ///
    /// Any error binding the socket or starting the accept thread.
    pub fn bind(
        addr: SocketAddr,
        config: &TcpConfig,
        peers: impl IntoIterator<Item = NodeId>,
    ) -> io::Result<Self> {
        Self::bind_secured(addr, config, peers, Security::Plain)
    }

    /// [`bind`](Self::bind), accepting only mutual-TLS connections whose
    /// client certificate (signed by the cluster's CA) names the node the
    /// hello claims to be.
    ///
    /// # Errors
    ///
    /// As `bind`.
    #[cfg(feature = "tls")]
    pub fn bind_tls(
        addr: SocketAddr,
        config: &TcpConfig,
        peers: impl IntoIterator<Item = NodeId>,
        identity: Arc<crate::TlsIdentity>,
    ) -> io::Result<Self> {
        Self::bind_secured(addr, config, peers, Security::Tls(identity))
    }

    fn bind_secured(
        addr: SocketAddr,
        config: &TcpConfig,
        peers: impl IntoIterator<Item = NodeId>,
        security: Security,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        let (tx, messages) = sync_channel(config.inbox_capacity.max(1));
        let shared = Arc::new(Shared {
            closing: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            peers: RwLock::new(peers.into_iter().collect()),
            authenticated: AtomicU64::new(0),
            refused_handshakes: AtomicU64::new(0),
            forged_frames: AtomicU64::new(0),
            malformed_frames: AtomicU64::new(0),
            config: config.clone(),
            security,
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("raft-wire-accept-{}", local_addr.port()))
                .spawn(move || accept_loop(&listener, &shared, &tx))?
        };
        Ok(Self {
            local_addr,
            messages: Mutex::new(messages),
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The address the inbox listens on.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), []).unwrap();
    /// println!("listening on {}", inbox.local_addr());
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Let node `id` connect from now on (say, once it is added to the
    /// cluster).
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), [2]).unwrap();
    /// inbox.allow_peer(4);
    /// assert_eq!(inbox.peers(), vec![2, 4]);
    /// ```
    pub fn allow_peer(&self, id: NodeId) {
        self.shared.peers_mut().insert(id);
    }

    /// Refuse node `id` from now on: new connections at their hello, open
    /// ones at their next message.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), [2, 3]).unwrap();
    /// assert!(inbox.remove_peer(3));
    /// assert!(!inbox.remove_peer(3));
    /// assert_eq!(inbox.peers(), vec![2]);
    /// ```
    pub fn remove_peer(&self, id: NodeId) -> bool {
        self.shared.peers_mut().remove(&id)
    }

    /// The nodes allowed to connect, sorted.
    pub fn peers(&self) -> Vec<NodeId> {
        self.shared
            .peers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }

    /// The next message, waiting at most `timeout`; `None` if none came.
    ///
    /// ```
    /// use std::time::Duration;
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), []).unwrap();
    /// assert_eq!(inbox.recv_timeout(Duration::ZERO), None);
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Message> {
        self.receiver().recv_timeout(timeout).ok()
    }

    /// The next message if one is already waiting.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), []).unwrap();
    /// assert_eq!(inbox.try_recv(), None);
    /// ```
    pub fn try_recv(&self) -> Option<Message> {
        self.receiver().try_recv().ok()
    }

    fn receiver(&self) -> std::sync::MutexGuard<'_, Receiver<Message>> {
        // A receiver has no state a panic could leave half-updated.
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connections closed for breaking a rule: the sum of the refusals in
    /// [`stats`](Self::stats).
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), []).unwrap();
    /// assert_eq!(inbox.rejected_connections(), 0);
    /// ```
    pub fn rejected_connections(&self) -> u64 {
        let stats = self.stats();
        stats.refused_handshakes + stats.forged_frames + stats.malformed_frames
    }

    /// A snapshot of the inbox's counters.
    pub fn stats(&self) -> InboxStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        InboxStats {
            authenticated: load(&self.shared.authenticated),
            refused_handshakes: load(&self.shared.refused_handshakes),
            forged_frames: load(&self.shared.forged_frames),
            malformed_frames: load(&self.shared.malformed_frames),
        }
    }

    /// Inbound connections currently open.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default(), []).unwrap();
    /// assert_eq!(inbox.open_connections(), 0);
    /// ```
    pub fn open_connections(&self) -> usize {
        self.shared.conns().len()
    }
}

impl Drop for TcpInbox {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        for conn in self.shared.conns().values() {
            // Wakes the reader, which then finds the stream at its end.
            let _ = conn.shutdown(Shutdown::Both);
        }
        // `accept` has no timeout: wake it with a connection of our own.
        let mut wake = self.local_addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        if TcpStream::connect_timeout(&wake, Duration::from_secs(1)).is_ok()
            && let Some(acceptor) = self.acceptor.take()
        {
            let _ = acceptor.join();
        }
        // If the wake-up connect failed the acceptor is left detached; it
        // exits at its next accept, seeing `closing`.
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, tx: &SyncSender<Message>) {
    for stream in listener.incoming() {
        if shared.closing.load(Ordering::SeqCst) {
            return;
        }
        // A failed accept (say, out of descriptors) affects that one
        // connection only; keep listening.
        let Ok(stream) = stream else { continue };
        let Ok(registered) = stream.try_clone() else {
            continue;
        };
        let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
        {
            let mut conns = shared.conns();
            // `closing` is read under the lock `drop` takes after setting
            // it, so a connection accepted during shutdown is either shut
            // down by `drop` or refused here, never left running.
            if shared.closing.load(Ordering::SeqCst) || conns.len() >= shared.config.max_connections
            {
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            }
            conns.insert(id, registered);
        }
        let reader_shared = Arc::clone(shared);
        let reader_tx = tx.clone();
        let spawned = thread::Builder::new()
            .name(format!("raft-wire-reader-{id}"))
            .spawn(move || {
                serve_connection(&stream, &reader_shared, &reader_tx);
                let _ = stream.shutdown(Shutdown::Both);
                reader_shared.conns().remove(&id);
            });
        if spawned.is_err()
            && let Some(conn) = shared.conns().remove(&id)
        {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

/// Authenticates one connection, then reads its messages until it ends,
/// fails, or breaks a rule.
fn serve_connection(stream: &TcpStream, shared: &Shared, tx: &SyncSender<Message>) {
    // The handshake has its own, short deadline: a silent connection must
    // not hold a reader thread for the whole idle timeout.
    if stream
        .set_read_timeout(Some(shared.config.handshake_timeout))
        .is_err()
    {
        return;
    }
    let Some((reader, node)) = authenticate(stream, shared) else {
        shared.refused_handshakes.fetch_add(1, Ordering::Relaxed);
        return;
    };
    shared.authenticated.fetch_add(1, Ordering::Relaxed);
    if stream.set_read_timeout(shared.config.idle_timeout).is_err() {
        return;
    }
    read_loop(reader, node, shared, tx);
}

/// The secured stream and the node it belongs to, if its hello (and with
/// TLS, its certificate) is acceptable.
fn authenticate(stream: &TcpStream, shared: &Shared) -> Option<(Box<dyn Read + Send>, NodeId)> {
    let Inbound {
        reader,
        credentials,
    } = shared.security.accept(stream).ok()?;
    let mut reader = BufReader::new(reader);
    let hello = Hello::read_from(&mut reader).ok()?;
    let accepted = hello.cluster_id == shared.config.cluster_id
        && shared.is_peer(hello.node_id)
        && credentials.certifies(hello.node_id);
    accepted.then(|| (Box::new(reader) as Box<dyn Read + Send>, hello.node_id))
}

/// Decodes frames from an authenticated connection of `node`.
fn read_loop(mut reader: impl Read, node: NodeId, shared: &Shared, tx: &SyncSender<Message>) {
    let max = shared.config.max_frame_len;
    let mut frame = Vec::new();
    loop {
        match read_frame(&mut reader, &mut frame, max) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    shared.malformed_frames.fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
        }
        let Ok(message) = decode(&frame) else {
            shared.malformed_frames.fetch_add(1, Ordering::Relaxed);
            return;
        };
        // A node speaks only for itself, and only while it is a peer.
        if message.from() != node || !shared.is_peer(node) {
            shared.forged_frames.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // Blocks while the inbox is full: back-pressure onto the sender,
        // whose own queue then drops. Fails once the inbox is dropped.
        if tx.send(message).is_err() {
            return;
        }
        // Do not keep a frame-sized buffer (up to `max`) alive per idle
        // connection after a rare large message such as a snapshot.
        if frame.capacity() > 64 * 1024 {
            frame = Vec::new();
        }
    }
}
