//! `TcpTransport`: the sending half. One writer thread per peer drains a
//! bounded queue of encoded frames onto a lazily opened connection, which
//! it opens with a hello naming the cluster and this node.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread;
use std::time::Duration;
use std::time::Instant;

use raft_core::{Error, Message, NodeId, RaftTransport, Result};

use crate::config::TcpConfig;
use crate::handshake::Hello;
use crate::secure::Security;
use crate::stream::encode_length_prefixed;

/// Sends Raft messages to peers over TCP, never blocking the caller.
///
/// `send` encodes the message on the calling thread (so a message that
/// cannot be framed is reported there) and queues the bytes for the peer's
/// writer thread, started on the first send. The writer connects when it
/// has something to send and reconnects after any failure. A full queue or
/// an unreachable peer drops messages, counted in [`TcpStats::dropped`]:
/// Raft already tolerates loss. Every connection opens with a
/// [`Hello`] naming `TcpConfig::cluster_id` and this node, which the
/// receiving [`TcpInbox`](crate::TcpInbox) checks.
///
/// ```
/// use std::time::Duration;
/// use raft_core::{Message, RaftTransport, TimeoutNow};
/// use raft_wire::{TcpConfig, TcpInbox, TcpTransport};
///
/// let inbox = TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &TcpConfig::default(), [1]).unwrap();
/// let mut transport = TcpTransport::new(1, [(2, inbox.local_addr())], TcpConfig::default());
///
/// let message = Message::TimeoutNow(TimeoutNow { term: 4, leader: 1 });
/// transport.send(2, message.clone()).unwrap();
/// assert_eq!(inbox.recv_timeout(Duration::from_secs(5)), Some(message));
/// ```
#[derive(Debug)]
pub struct TcpTransport {
    local: NodeId,
    config: TcpConfig,
    security: Security,
    addrs: HashMap<NodeId, SocketAddr>,
    writers: HashMap<NodeId, SyncSender<Vec<u8>>>,
    counters: Arc<Counters>,
}

/// Running totals of a [`TcpTransport`], across all peers.
///
/// ```
/// let transport = raft_wire::TcpTransport::new(1, [], raft_wire::TcpConfig::default());
/// assert_eq!(transport.stats(), raft_wire::TcpStats::default());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// Frames written to a connection (not necessarily delivered).
    pub sent: u64,
    /// Messages dropped: queue full, peer unreachable, or write failed.
    pub dropped: u64,
    /// Connections opened, reconnections included.
    pub connects: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    connects: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        // Statistics only: no other memory is ordered by these.
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl TcpTransport {
    /// The transport of node `local`, which knows `peers` (node → address).
    /// No connection is opened and no thread started until the first send
    /// to a peer.
    ///
    /// ```
    /// use raft_wire::{TcpConfig, TcpTransport};
    /// let transport = TcpTransport::new(
    ///     1,
    ///     [(2, "127.0.0.1:7002".parse().unwrap()), (3, "127.0.0.1:7003".parse().unwrap())],
    ///     TcpConfig::default(),
    /// );
    /// assert_eq!(transport.peer_addr(3), Some("127.0.0.1:7003".parse().unwrap()));
    /// ```
    pub fn new(
        local: NodeId,
        peers: impl IntoIterator<Item = (NodeId, SocketAddr)>,
        config: TcpConfig,
    ) -> Self {
        Self {
            local,
            config,
            security: Security::Plain,
            addrs: peers.into_iter().collect(),
            writers: HashMap::new(),
            counters: Arc::default(),
        }
    }

    /// Open every connection over mutual TLS with `identity`: the peer
    /// must present a certificate of the cluster's CA naming it
    /// ([`node_dns_name`](crate::node_dns_name)). Connections already open
    /// are replaced.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn with_tls(mut self, identity: Arc<crate::TlsIdentity>) -> Self {
        self.security = Security::Tls(identity);
        self.writers.clear();
        self
    }

    /// Add a peer, or move one to a new address. Its current connection,
    /// if any, is closed once its queue drains.
    ///
    /// ```
    /// let mut transport = raft_wire::TcpTransport::new(1, [], raft_wire::TcpConfig::default());
    /// transport.set_peer(4, "127.0.0.1:7004".parse().unwrap());
    /// assert!(transport.peer_addr(4).is_some());
    /// ```
    pub fn set_peer(&mut self, id: NodeId, addr: SocketAddr) {
        if self.addrs.insert(id, addr) != Some(addr) {
            // Dropping the sender ends the old writer after its queue.
            self.writers.remove(&id);
        }
    }

    /// Forget a peer; returns its address if it was known.
    ///
    /// ```
    /// let mut transport = raft_wire::TcpTransport::new(
    ///     1, [(2, "127.0.0.1:7002".parse().unwrap())], raft_wire::TcpConfig::default());
    /// assert!(transport.remove_peer(2).is_some());
    /// assert!(transport.peer_addr(2).is_none());
    /// ```
    pub fn remove_peer(&mut self, id: NodeId) -> Option<SocketAddr> {
        self.writers.remove(&id);
        self.addrs.remove(&id)
    }

    /// The address configured for `id`.
    ///
    /// ```
    /// let transport = raft_wire::TcpTransport::new(1, [], raft_wire::TcpConfig::default());
    /// assert_eq!(transport.peer_addr(9), None);
    /// ```
    pub fn peer_addr(&self, id: NodeId) -> Option<SocketAddr> {
        self.addrs.get(&id).copied()
    }

    /// A snapshot of the transport's counters.
    ///
    /// ```
    /// let transport = raft_wire::TcpTransport::new(1, [], raft_wire::TcpConfig::default());
    /// assert_eq!(transport.stats().dropped, 0);
    /// ```
    pub fn stats(&self) -> TcpStats {
        TcpStats {
            sent: self.counters.sent.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            connects: self.counters.connects.load(Ordering::Relaxed),
        }
    }

    /// The queue of `id`'s writer, starting the writer if there is none.
    fn writer(&mut self, id: NodeId, addr: SocketAddr) -> Option<&SyncSender<Vec<u8>>> {
        if !self.writers.contains_key(&id) {
            let (tx, rx) = sync_channel(self.config.queue_capacity.max(1));
            let writer = Writer {
                addr,
                peer: id,
                hello: Hello {
                    cluster_id: self.config.cluster_id,
                    node_id: self.local,
                },
                security: self.security.clone(),
                config: self.config.clone(),
                counters: Arc::clone(&self.counters),
                conn: None,
                retry_at: None,
                failures: 0,
            };
            // A thread that cannot be spawned is a lost message, like any
            // other transport failure; the next send tries again.
            thread::Builder::new()
                .name(format!("raft-wire-writer-{id}"))
                .spawn(move || writer.run(rx))
                .ok()?;
            self.writers.insert(id, tx);
        }
        self.writers.get(&id)
    }
}

impl RaftTransport for TcpTransport {
    /// Queue `message` for `to`. Never blocks on the network.
    ///
    /// # Errors
    ///
    /// `Error::Unsupported` if `to` has no configured address;
    /// `Error::Encoding` if the message exceeds `max_frame_len`. Delivery
    /// failures are not errors: they are counted in [`TcpStats::dropped`].
    fn send(&mut self, to: NodeId, message: Message) -> Result<()> {
        let addr = self.addrs.get(&to).copied().ok_or(Error::Unsupported {
            what: "sending to a node the transport has no address for",
        })?;
        let mut frame = Vec::new();
        encode_length_prefixed(&message, &mut frame, self.config.max_frame_len)?;
        let Some(queue) = self.writer(to, addr) else {
            Counters::bump(&self.counters.dropped);
            return Ok(());
        };
        match queue.try_send(frame) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => Counters::bump(&self.counters.dropped),
            Err(TrySendError::Disconnected(_)) => {
                // The writer is gone (it only exits if its thread died);
                // start afresh on the next send.
                self.writers.remove(&to);
                Counters::bump(&self.counters.dropped);
            }
        }
        Ok(())
    }
}

/// The state of one peer's writer thread.
struct Writer {
    addr: SocketAddr,
    peer: NodeId,
    hello: Hello,
    security: Security,
    config: TcpConfig,
    counters: Arc<Counters>,
    conn: Option<BufWriter<Box<dyn Write + Send>>>,
    /// While set and in the future, the peer is presumed down.
    retry_at: Option<Instant>,
    /// Connects failed in a row: the backoff doubles with each.
    failures: u32,
}

impl Writer {
    /// Runs until the transport drops the queue's sender.
    fn run(mut self, queue: Receiver<Vec<u8>>) {
        while let Ok(frame) = queue.recv() {
            self.write(&frame);
            // Batch whatever else is already queued into one flush: fewer
            // syscalls and packets under load, no added latency when idle.
            while let Ok(frame) = queue.try_recv() {
                self.write(&frame);
            }
            if let Some(conn) = self.conn.as_mut()
                && conn.flush().is_err()
            {
                self.conn = None;
            }
        }
    }

    fn write(&mut self, frame: &[u8]) {
        let Some(conn) = self.connection() else {
            Counters::bump(&self.counters.dropped);
            return;
        };
        if conn.write_all(frame).is_ok() {
            Counters::bump(&self.counters.sent);
        } else {
            // A half-written frame poisons the stream: never reuse it.
            self.conn = None;
            Counters::bump(&self.counters.dropped);
        }
    }

    fn connection(&mut self) -> Option<&mut BufWriter<Box<dyn Write + Send>>> {
        if self.conn.is_none() {
            if self.retry_at.is_some_and(|at| Instant::now() < at) {
                return None;
            }
            match self.connect() {
                Ok(stream) => {
                    self.retry_at = None;
                    self.failures = 0;
                    Counters::bump(&self.counters.connects);
                    self.conn = Some(stream);
                }
                Err(_) => {
                    self.retry_at = Some(Instant::now() + self.backoff());
                    self.failures = self.failures.saturating_add(1);
                    return None;
                }
            }
        }
        self.conn.as_mut()
    }

    /// The wait after the current run of failed connects: the base backoff
    /// doubled per failure, capped, so a long-dead peer costs one connect
    /// attempt every `reconnect_backoff_max`.
    fn backoff(&self) -> Duration {
        backoff_after(
            self.failures,
            self.config.reconnect_backoff,
            self.config.reconnect_backoff_max,
        )
    }

    fn connect(&self) -> std::io::Result<BufWriter<Box<dyn Write + Send>>> {
        let stream = TcpStream::connect_timeout(&self.addr, self.config.connect_timeout)?;
        // Raft messages are small and latency-bound: do not wait for Nagle.
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(self.config.write_timeout))?;
        // The handshake's replies (TLS) must not hang the writer either.
        stream.set_read_timeout(Some(self.config.write_timeout))?;
        let mut conn = BufWriter::new(self.security.connect(stream, self.peer)?);
        self.hello.write_to(&mut conn)?;
        Ok(conn)
    }
}

/// The wait after `failures` earlier failed connects in a row (plus the
/// one that just failed): `base`, doubled per earlier failure, at most
/// `cap` (and never below `base`).
fn backoff_after(failures: u32, base: Duration, cap: Duration) -> Duration {
    let cap = cap.max(base);
    base.checked_mul(1u32 << failures.min(16))
        .map_or(cap, |wait| wait.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reconnect_backoff_doubles_up_to_its_cap() {
        let ms = Duration::from_millis;
        let waits: Vec<Duration> = (0..7)
            .map(|n| backoff_after(n, ms(100), ms(2000)))
            .collect();
        assert_eq!(
            waits,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(800),
                ms(1600),
                ms(2000),
                ms(2000)
            ]
        );
        assert_eq!(backoff_after(u32::MAX, ms(100), ms(2000)), ms(2000));
        // A cap below the base means no doubling, never a shorter wait.
        assert_eq!(backoff_after(3, ms(100), ms(10)), ms(100));
        assert_eq!(
            backoff_after(40, Duration::MAX, Duration::MAX),
            Duration::MAX
        );
    }
}
