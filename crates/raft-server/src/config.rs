//! `ServerConfig`: who this node is, where its peers are, and the clock
//! and timeouts the host runs the protocol on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

use raft_core::{NodeId, RaftConfig};
use raft_wire::TcpConfig;

/// How to run one node.
///
/// Time in the core is counted in ticks; the host ticks every
/// `tick_interval` (default 10 ms). With the default 15..=30 tick election
/// timeout and a heartbeat every 5 ticks, a follower that hears nothing
/// for 150 to 300 ms starts an election, and a leader sends a heartbeat
/// every 50 ms: the election timeout must stay well above both the
/// heartbeat interval and the time a heartbeat takes to arrive (Raft 5.6,
/// "broadcastTime << electionTimeout").
///
/// ```
/// use raft_server::ServerConfig;
/// let config = ServerConfig::new(1, "127.0.0.1:7001".parse().unwrap())
///     .with_peer(2, "127.0.0.1:7002".parse().unwrap())
///     .with_peer(3, "127.0.0.1:7003".parse().unwrap());
/// assert_eq!(config.raft_config().peers(), &[2, 3]);
/// assert_eq!(config.raft_config().election_timeout(), (15, 30));
/// ```
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// This node's id (non-zero, unique in the cluster).
    pub id: NodeId,
    /// Where this node listens for its peers.
    pub listen: SocketAddr,
    /// The other voters' listen addresses.
    pub peers: BTreeMap<NodeId, SocketAddr>,
    /// Wall-clock time per core tick.
    pub tick_interval: Duration,
    /// Election timeout bounds, in ticks (randomised in between).
    pub election_timeout_ticks: (u32, u32),
    /// Ticks between leader heartbeats.
    pub heartbeat_interval_ticks: u32,
    /// Applied entries after which the log is compacted behind a snapshot
    /// of the state machine (`0`: never).
    pub snapshot_threshold: usize,
    /// How long a proposal or read may wait for its answer before it is
    /// answered `Timeout`.
    pub request_timeout: Duration,
    /// Requests queued for the consensus thread before callers get
    /// `Overloaded`.
    pub queue_capacity: usize,
    /// Start as a node joining a running cluster: with no configuration,
    /// so it never campaigns or votes until the leader's configuration
    /// reaches it (`RaftConfig::joining`). `peers` still lists where the
    /// current members listen, so it can answer them. A restarted node
    /// that joined this way may keep the flag: it finds its configuration
    /// in its log.
    pub joining: bool,
    /// Transport limits; its `cluster_id` names the cluster every
    /// connection must belong to.
    pub tcp: TcpConfig,
    /// Mutual TLS between nodes, when set.
    #[cfg(feature = "tls")]
    pub tls: Option<Arc<raft_wire::TlsIdentity>>,
}

impl ServerConfig {
    /// Node `id` listening on `listen`, no peers yet, default timing.
    pub fn new(id: NodeId, listen: SocketAddr) -> Self {
        Self {
            id,
            listen,
            peers: BTreeMap::new(),
            tick_interval: Duration::from_millis(10),
            election_timeout_ticks: (15, 30),
            heartbeat_interval_ticks: 5,
            snapshot_threshold: 10_000,
            request_timeout: Duration::from_secs(5),
            queue_capacity: 65_536,
            joining: false,
            tcp: TcpConfig::default(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Adds peer `id` at `addr`.
    #[must_use]
    pub fn with_peer(mut self, id: NodeId, addr: SocketAddr) -> Self {
        if id != self.id {
            self.peers.insert(id, addr);
        }
        self
    }

    /// Sets the cluster id every connection must carry.
    #[must_use]
    pub fn with_cluster_id(mut self, cluster_id: u64) -> Self {
        self.tcp.cluster_id = cluster_id;
        self
    }

    /// The core configuration this host runs.
    pub fn raft_config(&self) -> RaftConfig {
        let (min, max) = self.election_timeout_ticks;
        let base = if self.joining {
            RaftConfig::joining(self.id)
        } else {
            RaftConfig::new(self.id, self.peers.keys().copied())
        };
        base.with_election_timeout(min, max)
            .with_heartbeat_interval(self.heartbeat_interval_ticks)
            .with_snapshot_threshold(self.snapshot_threshold)
            // The apply thread restores from the log's snapshot file.
            .with_restore_from_log(true)
            // The consensus thread flushes once per batch, after sending
            // what may leave before the sync (the parallel leader write).
            .with_deferred_sync(true)
    }
}
