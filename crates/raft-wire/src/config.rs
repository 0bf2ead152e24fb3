//! `TcpConfig`: the limits and timeouts shared by `TcpTransport` and
//! `TcpInbox`.

use std::time::Duration;

use crate::stream::DEFAULT_MAX_FRAME_LEN;

/// Limits and timeouts of the TCP transport. Every wait is bounded, so no
/// thread can hang forever on a dead or hostile peer.
///
/// ```
/// use std::time::Duration;
/// let config = raft_wire::TcpConfig {
///     queue_capacity: 256,
///     connect_timeout: Duration::from_millis(200),
///     ..raft_wire::TcpConfig::default()
/// };
/// assert_eq!(config.max_frame_len, raft_wire::DEFAULT_MAX_FRAME_LEN);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpConfig {
    /// Largest frame sent or accepted, in bytes. A larger outgoing message
    /// is refused by `send`; a larger incoming prefix closes the connection.
    pub max_frame_len: u32,
    /// Frames queued per peer while its writer is busy. When full, `send`
    /// drops the message rather than block: Raft retransmits.
    pub queue_capacity: usize,
    /// How long a writer waits for a connection to open.
    pub connect_timeout: Duration,
    /// How long a writer waits on one blocked write before it gives the
    /// connection up.
    pub write_timeout: Duration,
    /// After a failed connect, messages for that peer are dropped for this
    /// long instead of each paying `connect_timeout` on a dead host. Each
    /// further failure in a row doubles the wait, up to
    /// `reconnect_backoff_max`; a success resets it.
    pub reconnect_backoff: Duration,
    /// The cap on the doubling reconnect backoff.
    pub reconnect_backoff_max: Duration,
    /// The cluster this node belongs to. Every connection opens with a
    /// [`Hello`](crate::Hello) naming it and the sender; an inbox refuses a
    /// connection that names another cluster.
    pub cluster_id: u64,
    /// How long an inbound connection may take to send its hello (and,
    /// with TLS, to finish the TLS handshake) before it is closed.
    pub handshake_timeout: Duration,
    /// Decoded messages buffered by a `TcpInbox` before its readers stop
    /// reading (which pushes back on the senders through TCP).
    pub inbox_capacity: usize,
    /// Inbound connections served at once; further ones are closed.
    pub max_connections: usize,
    /// An inbound connection silent for this long is closed, so idle or
    /// stalled peers cannot hold reader threads forever. `None` waits
    /// indefinitely.
    pub idle_timeout: Option<Duration>,
}

impl Default for TcpConfig {
    /// 64 MiB frames, 1024 queued frames per peer, 500 ms connect, 2 s
    /// write, reconnect backoff from 100 ms doubling to 2 s, cluster id 0,
    /// 2 s handshake, 4096 buffered inbound messages, 256 connections,
    /// 5 minute idle timeout.
    fn default() -> Self {
        Self {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            queue_capacity: 1024,
            connect_timeout: Duration::from_millis(500),
            write_timeout: Duration::from_secs(2),
            reconnect_backoff: Duration::from_millis(100),
            reconnect_backoff_max: Duration::from_secs(2),
            cluster_id: 0,
            handshake_timeout: Duration::from_secs(2),
            inbox_capacity: 4096,
            max_connections: 256,
            idle_timeout: Some(Duration::from_secs(300)),
        }
    }
}
