//! One KV node: parses its command line, starts the Raft host over a
//! `WalLog` directory and serves the HTTP API until the process ends.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use raft_core::NodeId;
use raft_server::{RaftServer, ServerConfig};

use crate::http::{Api, router};
use crate::machine::KvStore;

/// How to run one node, from its command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeArgs {
    /// This node's id.
    pub id: NodeId,
    /// Where it listens for peers.
    pub raft: SocketAddr,
    /// Where it serves HTTP.
    pub http: SocketAddr,
    /// Its `WalLog` directory.
    pub data: PathBuf,
    /// The other nodes: id → (peer address, HTTP address).
    pub peers: BTreeMap<NodeId, (SocketAddr, SocketAddr)>,
    /// The cluster id every peer connection must carry.
    pub cluster_id: u64,
    /// Wall-clock time per Raft tick.
    pub tick: Duration,
    /// Join a running cluster (start with no configuration; the leader
    /// adds this node with `POST /members/ID`).
    pub join: bool,
    /// Mutual TLS between nodes: a directory holding `ca.pem`,
    /// `node-ID.pem` and `node-ID.key` (feature `tls`).
    pub tls_dir: Option<PathBuf>,
}

/// How to call the binary.
pub const USAGE: &str = "\
usage: kv_server --id N --raft HOST:PORT --http HOST:PORT --data DIR
                 [--peer ID=RAFT_HOST:PORT,HTTP_HOST:PORT]... [--cluster-id N] [--tick-ms N] [--join]

  --peer      another node's peer and HTTP addresses (repeat for each)
  --join      start empty, as a node the leader will add (POST /members/ID)
  --tick-ms   wall-clock milliseconds per Raft tick (default 10; elections
              after 15-30 ticks of silence, heartbeats every 5)
  --tls-dir   mutual TLS between nodes (built with feature tls): DIR holds
              ca.pem, node-ID.pem (SAN node-ID.raft) and node-ID.key";

impl NodeArgs {
    /// Parses the arguments after the program name.
    ///
    /// ```
    /// let args = kv_server::NodeArgs::parse(
    ///     ["--id", "1", "--raft", "127.0.0.1:7001", "--http", "127.0.0.1:8001", "--data", "/tmp/n1",
    ///      "--peer", "2=127.0.0.1:7002,127.0.0.1:8002"].map(String::from),
    /// ).unwrap();
    /// assert_eq!(args.peers[&2].1.port(), 8002);
    /// assert!(kv_server::NodeArgs::parse(["--id".to_string()]).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// A message naming the argument that is missing or malformed.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut args = args.into_iter();
        let (mut id, mut raft, mut http, mut data) = (None, None, None, None);
        let mut peers = BTreeMap::new();
        let mut cluster_id = 1;
        let mut tick = Duration::from_millis(10);
        let mut join = false;
        let mut tls_dir = None;
        while let Some(flag) = args.next() {
            if flag == "--join" {
                join = true;
                continue;
            }
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--id" => id = Some(parse_number(&flag, &value()?)?),
                "--raft" => raft = Some(parse_addr(&flag, &value()?)?),
                "--http" => http = Some(parse_addr(&flag, &value()?)?),
                "--data" => data = Some(PathBuf::from(value()?)),
                "--tls-dir" => tls_dir = Some(PathBuf::from(value()?)),
                "--cluster-id" => cluster_id = parse_number(&flag, &value()?)?,
                "--tick-ms" => tick = Duration::from_millis(parse_number(&flag, &value()?)?.max(1)),
                "--peer" => {
                    let spec = value()?;
                    let (peer, addrs) = spec
                        .split_once('=')
                        .and_then(|(peer, addrs)| Some((peer, addrs.split_once(',')?)))
                        .ok_or_else(|| {
                            format!("--peer {spec:?}: expected ID=RAFT_ADDR,HTTP_ADDR")
                        })?;
                    let peer = parse_number(&flag, peer)?;
                    peers.insert(
                        peer,
                        (parse_addr(&flag, addrs.0)?, parse_addr(&flag, addrs.1)?),
                    );
                }
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        let missing = |what: &str| format!("{what} is required\n{USAGE}");
        let id = id
            .filter(|&id| id != 0)
            .ok_or_else(|| missing("--id (non-zero)"))?;
        peers.remove(&id);
        Ok(Self {
            id,
            raft: raft.ok_or_else(|| missing("--raft"))?,
            http: http.ok_or_else(|| missing("--http"))?,
            data: data.ok_or_else(|| missing("--data"))?,
            peers,
            cluster_id,
            tick,
            join,
            tls_dir,
        })
    }

    /// The arguments that [`parse`](Self::parse) reads back as `self`.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            "--id".into(),
            self.id.to_string(),
            "--raft".into(),
            self.raft.to_string(),
            "--http".into(),
            self.http.to_string(),
            "--data".into(),
            self.data.display().to_string(),
            "--cluster-id".into(),
            self.cluster_id.to_string(),
            "--tick-ms".into(),
            self.tick.as_millis().to_string(),
        ];
        for (id, (raft, http)) in &self.peers {
            args.push("--peer".into());
            args.push(format!("{id}={raft},{http}"));
        }
        if self.join {
            args.push("--join".into());
        }
        if let Some(dir) = &self.tls_dir {
            args.push("--tls-dir".into());
            args.push(dir.display().to_string());
        }
        args
    }
}

fn parse_number(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} {value:?}: expected a non-negative integer"))
}

fn parse_addr(flag: &str, value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} {value:?}: expected HOST:PORT, like 127.0.0.1:7001"))
}

#[cfg(feature = "tls")]
fn with_tls(mut config: ServerConfig, dir: &std::path::Path) -> io::Result<ServerConfig> {
    let identity = raft_server::TlsIdentity::from_pem_files(
        &dir.join("ca.pem"),
        &dir.join(format!("node-{}.pem", config.id)),
        &dir.join(format!("node-{}.key", config.id)),
    )?;
    config.tls = Some(std::sync::Arc::new(identity));
    Ok(config)
}

#[cfg(not(feature = "tls"))]
fn with_tls(_config: ServerConfig, _dir: &std::path::Path) -> io::Result<ServerConfig> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "--tls-dir needs kv_server built with the tls feature",
    ))
}

/// Runs the node until the process is killed.
///
/// # Errors
///
/// The log cannot be opened, a port cannot be bound, or the runtime
/// cannot start.
pub fn run(args: &NodeArgs) -> io::Result<()> {
    let mut config = ServerConfig::new(args.id, args.raft).with_cluster_id(args.cluster_id);
    config.tick_interval = args.tick;
    config.joining = args.join;
    if let Some(dir) = &args.tls_dir {
        config = with_tls(config, dir)?;
    }
    for (&peer, &(raft, _)) in &args.peers {
        config = config.with_peer(peer, raft);
    }
    let server = RaftServer::start_with_wal(config, &args.data, KvStore::default())?;
    let mut http_addrs: BTreeMap<NodeId, SocketAddr> = args
        .peers
        .iter()
        .map(|(&id, &(_, http))| (id, http))
        .collect();
    http_addrs.insert(args.id, args.http);
    let api = Api::new(server.handle(), http_addrs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .thread_name("kv-http")
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.http).await?;
        let mut out = io::stdout();
        writeln!(
            out,
            "kv_server node {} ready: http://{} (peers on {})",
            args.id,
            listener.local_addr()?,
            server.local_addr()
        )?;
        out.flush()?;
        axum::serve(listener, router(api)).await
    })?;
    server.shutdown();
    Ok(())
}

/// The whole `kv_server` program: parses `args` (after the program
/// name), logs to stderr through `tracing`, runs the node. The demo calls
/// it too, re-executing itself as a node.
pub fn main_with_args(args: Vec<String>) -> ExitCode {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match NodeArgs::parse(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("kv_server: {message}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&io::stderr()))
        .with_max_level(tracing::Level::INFO)
        .init();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kv_server node {}: {error}", args.id);
            ExitCode::FAILURE
        }
    }
}
