//! `kv_cluster`: starts a 3-node KV cluster on 127.0.0.1 (HTTP on ports
//! 8001-8003, peers on 7001-7003), leaves it running, and prints how to
//! talk to it. What `cargo xtask cluster` runs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use kv_server::LocalCluster;

fn main() -> ExitCode {
    match start() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kv_cluster: {error}");
            ExitCode::FAILURE
        }
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn start() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/cluster".into()),
    );
    let program = std::env::current_exe()?.with_file_name("kv_server");
    if !program.exists() {
        return Err(format!(
            "{} is missing: build it with cargo build -p kv-server --bins",
            program.display()
        )
        .into());
    }
    let addrs: BTreeMap<u64, (SocketAddr, SocketAddr)> = (1..=3u16)
        .map(|i| (u64::from(i), (addr(7000 + i), addr(8000 + i))))
        .collect();
    let cluster = LocalCluster::start_at(&program, &[], &addrs, &dir)?;
    let leader = cluster.leader(Duration::from_secs(10)).unwrap_or(1);
    let nodes = cluster.detach();
    let pids: Vec<String> = nodes
        .values()
        .filter_map(|node| node.pid().map(|pid| pid.to_string()))
        .collect();
    let peers: Vec<String> = addrs
        .iter()
        .map(|(id, (raft, http))| format!("--peer {id}={raft},{http}"))
        .collect();
    println!(
        "3 kv_server nodes running (pids {}); node {leader} leads.
Data and logs (node-N.log) are in {dir}.

  curl -X PUT 127.0.0.1:8001/kv/greeting -d hello     # write (a follower answers 421 + the leader's address)
  curl 127.0.0.1:800{leader}/kv/greeting                   # linearizable read
  curl -X POST 127.0.0.1:800{leader}/cas/greeting -d '{{\"expected\": \"hello\", \"new\": \"bye\"}}'
  curl -X DELETE 127.0.0.1:800{leader}/kv/greeting
  curl 127.0.0.1:8002/status                          # role, term, leader, indexes, members

Kill the leader and watch another take over:
  kill -9 {leader_pid}; sleep 1; curl 127.0.0.1:800{other}/status

Add a fourth node:
  {program} --id 4 --raft 127.0.0.1:7004 --http 127.0.0.1:8004 --data {dir}/node-4 --join {peers} &
  curl -X POST 127.0.0.1:800{leader}/members/4 -d '{{\"raft\": \"127.0.0.1:7004\", \"http\": \"127.0.0.1:8004\"}}'

Stop everything:
  kill {all}",
        pids.join(", "),
        dir = dir.display(),
        leader_pid = nodes.get(&leader).and_then(|node| node.pid()).unwrap_or(0),
        other = if leader == 1 { 2 } else { 1 },
        program = program.display(),
        peers = peers.join(" "),
        all = pids.join(" "),
    );
    Ok(())
}
