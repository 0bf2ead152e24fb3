//! `TcpInbox`: the receiving half. Accepts connections and decodes their
//! frames into one channel of messages, one reader thread per connection.

use std::collections::HashMap;
use std::io::{self, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use raft_core::Message;

use crate::config::TcpConfig;
use crate::decode::decode;
use crate::stream::read_frame;

/// Listens for peers' connections and yields the messages they send.
///
/// A connection that sends a frame that does not decode (or is too large)
/// is closed and counted in [`TcpInbox::rejected_connections`]; the others
/// carry on. Dropping the inbox stops the listener and closes every
/// connection.
///
/// ```
/// use std::time::Duration;
/// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default()).unwrap();
/// assert_ne!(inbox.local_addr().port(), 0);
/// assert_eq!(inbox.recv_timeout(Duration::from_millis(1)), None);
/// ```
#[derive(Debug)]
pub struct TcpInbox {
    local_addr: SocketAddr,
    messages: Receiver<Message>,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the acceptor, the readers and the inbox handle share.
#[derive(Debug)]
struct Shared {
    closing: AtomicBool,
    /// A clone of every live connection, so `drop` can shut them down and
    /// wake their blocked readers.
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    rejected: AtomicU64,
    config: TcpConfig,
}

impl Shared {
    fn conns(&self) -> std::sync::MutexGuard<'_, HashMap<u64, TcpStream>> {
        // A reader that panicked cannot leave the map inconsistent (every
        // update is a single insert or remove), so poison is harmless.
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TcpInbox {
    /// Listen on `addr` (port `0` picks a free one; see [`local_addr`]).
    ///
    /// [`local_addr`]: TcpInbox::local_addr
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default()).unwrap();
    /// assert!(inbox.local_addr().ip().is_loopback());
    /// ```
    ///
    /// # Errors
    ///
    /// Any error binding the socket or starting the accept thread.
    pub fn bind(addr: SocketAddr, config: &TcpConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        let (tx, messages) = sync_channel(config.inbox_capacity.max(1));
        let shared = Arc::new(Shared {
            closing: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            config: config.clone(),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("raft-wire-accept-{}", local_addr.port()))
                .spawn(move || accept_loop(&listener, &shared, &tx))?
        };
        Ok(Self {
            local_addr,
            messages,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The address the inbox listens on.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default()).unwrap();
    /// println!("listening on {}", inbox.local_addr());
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The next message, waiting at most `timeout`; `None` if none came.
    ///
    /// ```
    /// use std::time::Duration;
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default()).unwrap();
    /// assert_eq!(inbox.recv_timeout(Duration::ZERO), None);
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Message> {
        self.messages.recv_timeout(timeout).ok()
    }

    /// The next message if one is already waiting.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default()).unwrap();
    /// assert_eq!(inbox.try_recv(), None);
    /// ```
    pub fn try_recv(&self) -> Option<Message> {
        self.messages.try_recv().ok()
    }

    /// Connections closed because they sent a bad frame.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default()).unwrap();
    /// assert_eq!(inbox.rejected_connections(), 0);
    /// ```
    pub fn rejected_connections(&self) -> u64 {
        self.shared.rejected.load(Ordering::Relaxed)
    }

    /// Inbound connections currently open.
    ///
    /// ```
    /// let inbox = raft_wire::TcpInbox::bind("127.0.0.1:0".parse().unwrap(), &raft_wire::TcpConfig::default()).unwrap();
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
                read_loop(&stream, &reader_shared, &reader_tx);
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

/// Decodes frames from one connection until it ends, fails, or sends
/// something invalid.
fn read_loop(stream: &TcpStream, shared: &Shared, tx: &SyncSender<Message>) {
    let max = shared.config.max_frame_len;
    if stream.set_read_timeout(shared.config.idle_timeout).is_err() {
        return;
    }
    let mut reader = BufReader::new(stream);
    let mut frame = Vec::new();
    loop {
        match read_frame(&mut reader, &mut frame, max) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    shared.rejected.fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
        }
        let Ok(message) = decode(&frame) else {
            shared.rejected.fetch_add(1, Ordering::Relaxed);
            return;
        };
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
