//! `LocalCluster`: KV nodes as child processes on 127.0.0.1 (for the demo,
//! the integration tests, the benchmark and `cargo xtask cluster`), and
//! `KvClient`, which follows the leader and says whether a failed write
//! may still have happened.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use raft_core::NodeId;

use crate::client::{HttpClient, HttpResponse};
use crate::http::LEADER_HEADER;
use crate::node::NodeArgs;

/// A free port on 127.0.0.1: bound, then released for the child to bind.
fn free_addr() -> io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// One node process (running or not).
#[derive(Debug)]
pub struct NodeProcess {
    /// How it is (re)started.
    pub args: NodeArgs,
    child: Option<Child>,
}

impl NodeProcess {
    /// Whether the process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

/// Nodes of one cluster, each a child process running `program`.
///
/// Dropping it kills every node it started, unless
/// [`detach`](Self::detach) was called.
#[derive(Debug)]
pub struct LocalCluster {
    program: PathBuf,
    prefix_args: Vec<String>,
    dir: PathBuf,
    nodes: BTreeMap<NodeId, NodeProcess>,
    detached: bool,
}

impl LocalCluster {
    /// Starts nodes `1..=size` of a new cluster, each running `program`
    /// with `prefix_args` then its node arguments, with data and logs in
    /// `dir`, and waits until every node answers HTTP.
    ///
    /// # Errors
    ///
    /// A process cannot start or a node does not answer within 20 s.
    pub fn start(
        program: impl Into<PathBuf>,
        prefix_args: &[&str],
        size: u64,
        dir: &Path,
    ) -> io::Result<Self> {
        let mut addrs = BTreeMap::new();
        for id in 1..=size {
            addrs.insert(id, (free_addr()?, free_addr()?));
        }
        Self::start_at(program, prefix_args, &addrs, dir)
    }

    /// Like [`start`](Self::start), with the nodes' (peer, HTTP) addresses
    /// given.
    ///
    /// # Errors
    ///
    /// As `start`.
    pub fn start_at(
        program: impl Into<PathBuf>,
        prefix_args: &[&str],
        addrs: &BTreeMap<NodeId, (SocketAddr, SocketAddr)>,
        dir: &Path,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut cluster = Self {
            program: program.into(),
            prefix_args: prefix_args.iter().map(|s| (*s).to_owned()).collect(),
            dir: dir.to_path_buf(),
            nodes: BTreeMap::new(),
            detached: false,
        };
        for (&id, &(raft, http)) in addrs {
            let args = NodeArgs {
                id,
                raft,
                http,
                data: dir.join(format!("node-{id}")),
                peers: addrs.clone(),
                cluster_id: 1,
                tick: Duration::from_millis(10),
                join: false,
                tls_dir: None,
            };
            cluster.nodes.insert(
                id,
                NodeProcess {
                    args: NodeArgs {
                        peers: args
                            .peers
                            .into_iter()
                            .filter(|(peer, _)| *peer != id)
                            .collect(),
                        ..args
                    },
                    child: None,
                },
            );
        }
        let ids: Vec<NodeId> = cluster.nodes.keys().copied().collect();
        for &id in &ids {
            cluster.spawn(id)?;
        }
        for id in ids {
            cluster.wait_ready(id, Duration::from_secs(20))?;
        }
        Ok(cluster)
    }

    /// The nodes.
    pub fn nodes(&self) -> &BTreeMap<NodeId, NodeProcess> {
        &self.nodes
    }

    /// Node `id`'s HTTP address.
    pub fn http_addr(&self, id: NodeId) -> Option<SocketAddr> {
        self.nodes.get(&id).map(|node| node.args.http)
    }

    /// Where node `id`'s stderr (its operator log) goes.
    pub fn log_path(&self, id: NodeId) -> PathBuf {
        self.dir.join(format!("node-{id}.log"))
    }

    fn spawn(&mut self, id: NodeId) -> io::Result<()> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path(id))?;
        let node = self
            .nodes
            .get_mut(&id)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no node {id}")))?;
        if node.child.is_some() {
            return Ok(());
        }
        let child = Command::new(&self.program)
            .args(&self.prefix_args)
            .args(node.args.to_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        node.child = Some(child);
        Ok(())
    }

    /// Waits until node `id` answers `GET /status`.
    ///
    /// # Errors
    ///
    /// `TimedOut` if it does not within `timeout`.
    pub fn wait_ready(&self, id: NodeId, timeout: Duration) -> io::Result<()> {
        let addr = self
            .http_addr(id)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no node {id}")))?;
        let deadline = Instant::now() + timeout;
        let mut client = HttpClient::new(addr, Duration::from_millis(500));
        while Instant::now() < deadline {
            if client
                .request("GET", "/status", b"")
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "node {id} did not answer on {addr} (see {})",
                self.log_path(id).display()
            ),
        ))
    }

    /// Kills node `id` with SIGKILL (no chance to clean up) and reaps it.
    ///
    /// # Errors
    ///
    /// The kill failed.
    pub fn kill(&mut self, id: NodeId) -> io::Result<()> {
        if let Some(mut child) = self.nodes.get_mut(&id).and_then(|node| node.child.take()) {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts node `id` again over its data directory and waits until it
    /// answers.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn restart(&mut self, id: NodeId) -> io::Result<()> {
        self.spawn(id)?;
        self.wait_ready(id, Duration::from_secs(20))
    }

    /// Deletes node `id`'s data directory (the node must be stopped).
    ///
    /// # Errors
    ///
    /// The directory could not be removed.
    pub fn wipe(&mut self, id: NodeId) -> io::Result<()> {
        if let Some(node) = self.nodes.get(&id) {
            match std::fs::remove_dir_all(&node.args.data) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Starts node `id` afresh as a joining node (empty, no configuration:
    /// it waits for the leader to add it), over a wiped data directory.
    /// `id` may be a node of this cluster (stopped first) or a new one;
    /// either way it knows every other node's addresses.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start), or the wipe failed.
    pub fn start_joining(&mut self, id: NodeId) -> io::Result<()> {
        self.kill(id)?;
        if !self.nodes.contains_key(&id) {
            let args = NodeArgs {
                id,
                raft: free_addr()?,
                http: free_addr()?,
                data: self.dir.join(format!("node-{id}")),
                peers: BTreeMap::new(),
                cluster_id: 1,
                tick: Duration::from_millis(10),
                join: true,
                tls_dir: None,
            };
            self.nodes.insert(id, NodeProcess { args, child: None });
        }
        self.wipe(id)?;
        let everyone: BTreeMap<NodeId, (SocketAddr, SocketAddr)> = self
            .nodes
            .iter()
            .map(|(&peer, node)| (peer, (node.args.raft, node.args.http)))
            .collect();
        if let Some(node) = self.nodes.get_mut(&id) {
            node.args.join = true;
            node.args.peers = everyone
                .into_iter()
                .filter(|(peer, _)| *peer != id)
                .collect();
        }
        self.spawn(id)?;
        self.wait_ready(id, Duration::from_secs(20))
    }

    /// The node that says it leads, with the highest term among those that
    /// answer, polling until `timeout`.
    pub fn leader(&self, timeout: Duration) -> Option<NodeId> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut best: Option<(u64, NodeId)> = None;
            for (&id, node) in &self.nodes {
                if !node.is_running() {
                    continue;
                }
                if let Some(status) = self.status(id)
                    && status["role"] == "Leader"
                {
                    let term = status["term"].as_u64().unwrap_or(0);
                    if best.is_none_or(|(best_term, _)| term > best_term) {
                        best = Some((term, id));
                    }
                }
            }
            if let Some((_, id)) = best {
                return Some(id);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Node `id`'s `/status`, if it answers.
    pub fn status(&self, id: NodeId) -> Option<serde_json::Value> {
        let mut client = HttpClient::new(self.http_addr(id)?, Duration::from_millis(500));
        let response = client.request("GET", "/status", b"").ok()?;
        serde_json::from_slice(&response.body).ok()
    }

    /// A client that tries the nodes in order, starting at `first`, and
    /// follows redirects to the leader.
    pub fn client(&self, first: NodeId) -> KvClient {
        let mut addrs: Vec<SocketAddr> = self.nodes.values().map(|node| node.args.http).collect();
        if let Some(at) = self
            .http_addr(first)
            .and_then(|addr| addrs.iter().position(|a| *a == addr))
        {
            addrs.rotate_left(at);
        }
        KvClient::new(addrs)
    }

    /// Leaves the nodes running when this value is dropped.
    pub fn detach(mut self) -> BTreeMap<NodeId, NodeProcess> {
        self.detached = true;
        std::mem::take(&mut self.nodes)
    }

    /// Kills every node.
    pub fn stop(&mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            let _ = self.kill(id);
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if !self.detached {
            self.stop();
        }
    }
}

/// Why a KV operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvError {
    /// It certainly did not take effect (refused, or never sent).
    NotApplied(String),
    /// It may or may not have taken effect (timeout, lost connection).
    Indeterminate(String),
}

impl std::fmt::Display for KvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KvError::NotApplied(why) => write!(f, "not applied: {why}"),
            KvError::Indeterminate(why) => write!(f, "outcome unknown: {why}"),
        }
    }
}

impl std::error::Error for KvError {}

/// A KV client of a cluster: follows `421` redirects to the leader, moves
/// on from nodes that refuse connections or have no leader, and never
/// retries anything that may have been applied.
#[derive(Debug)]
pub struct KvClient {
    nodes: Vec<HttpClient>,
    current: usize,
    patience: Duration,
}

impl KvClient {
    /// A client of the nodes at `addrs` (HTTP), starting with the first.
    pub fn new(addrs: Vec<SocketAddr>) -> Self {
        Self {
            nodes: addrs
                .into_iter()
                .map(|addr| HttpClient::new(addr, Duration::from_secs(3)))
                .collect(),
            current: 0,
            patience: Duration::from_secs(10),
        }
    }

    /// The node the next request goes to first.
    pub fn current_addr(&self) -> Option<SocketAddr> {
        self.nodes.get(self.current).map(HttpClient::addr)
    }

    fn next_node(&mut self) {
        self.current = (self.current + 1) % self.nodes.len().max(1);
    }

    /// Sends one request until a node answers it definitively.
    ///
    /// # Errors
    ///
    /// `NotApplied` if no node would serve it within the client's
    /// patience; `Indeterminate` on a timeout or a connection lost after
    /// the request was sent.
    pub fn call(&mut self, method: &str, path: &str, body: &[u8]) -> Result<HttpResponse, KvError> {
        let deadline = Instant::now() + self.patience;
        let mut last = String::from("no node to ask");
        while Instant::now() < deadline {
            let Some(node) = self.nodes.get_mut(self.current) else {
                break;
            };
            match node.request(method, path, body) {
                Ok(response) => match response.status {
                    421 => {
                        last = response.text();
                        let leader = response
                            .header(LEADER_HEADER)
                            .and_then(|url| url.strip_prefix("http://"))
                            .and_then(|addr| addr.parse::<SocketAddr>().ok())
                            .and_then(|addr| self.nodes.iter().position(|n| n.addr() == addr));
                        match leader {
                            Some(at) if at != self.current => self.current = at,
                            _ => {
                                self.next_node();
                                std::thread::sleep(Duration::from_millis(10));
                            }
                        }
                    }
                    503 => {
                        last = response.text();
                        self.next_node();
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    500 | 504 => return Err(KvError::Indeterminate(response.text())),
                    _ => return Ok(response),
                },
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                    last = format!("{}: {error}", node.addr());
                    self.next_node();
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(error) => {
                    return Err(KvError::Indeterminate(format!("{}: {error}", node.addr())));
                }
            }
        }
        Err(KvError::NotApplied(last))
    }

    /// `PUT /kv/key`.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call); an unexpected status is `NotApplied`.
    pub fn put(&mut self, key: &str, value: &str) -> Result<(), KvError> {
        let response = self.call("PUT", &format!("/kv/{key}"), value.as_bytes())?;
        expect(&response, &[200]).map(|_| ())
    }

    /// `GET /kv/key`: the value, `None` if absent.
    ///
    /// # Errors
    ///
    /// As [`put`](Self::put).
    pub fn get(&mut self, key: &str) -> Result<Option<String>, KvError> {
        let response = self.call("GET", &format!("/kv/{key}"), b"")?;
        match expect(&response, &[200, 404])? {
            200 => Ok(Some(String::from_utf8_lossy(&response.body).into_owned())),
            _ => Ok(None),
        }
    }

    /// `POST /cas/key`: whether it swapped.
    ///
    /// # Errors
    ///
    /// As [`put`](Self::put).
    pub fn cas(&mut self, key: &str, expected: Option<&str>, new: &str) -> Result<bool, KvError> {
        let body = serde_json::json!({ "expected": expected, "new": new }).to_string();
        let response = self.call("POST", &format!("/cas/{key}"), body.as_bytes())?;
        Ok(expect(&response, &[200, 409])? == 200)
    }
}

fn expect(response: &HttpResponse, statuses: &[u16]) -> Result<u16, KvError> {
    if statuses.contains(&response.status) {
        Ok(response.status)
    } else {
        Err(KvError::NotApplied(format!(
            "unexpected {}: {}",
            response.status,
            response.text()
        )))
    }
}
