//! A replicated KV store across three processes, start to finish: start
//! three `kv_server` nodes on 127.0.0.1, write and read over HTTP, kill the
//! leader with SIGKILL, watch a new leader take over with every
//! acknowledged write intact, restart the old leader, stop everything.
//!
//! Run with `cargo run --example cluster_demo`. The nodes are this same
//! program re-executed with `--node` (so it needs no other binary); their
//! logs are printed if anything goes wrong.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kv_server::{KvClient, LocalCluster};

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--node") {
        return kv_server::main_with_args(args.collect());
    }
    match demo() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cluster_demo failed: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn demo() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let program = std::env::current_exe()?;
    let mut cluster = LocalCluster::start(program, &["--node"], 3, dir.path())?;
    let outcome = run(&mut cluster);
    if outcome.is_err() {
        for id in cluster.nodes().keys() {
            let log = std::fs::read_to_string(cluster.log_path(*id)).unwrap_or_default();
            eprintln!("--- node {id} log ---\n{log}");
        }
    }
    cluster.stop();
    println!("stopped all nodes");
    outcome
}

fn leader(cluster: &LocalCluster) -> Result<u64> {
    cluster
        .leader(Duration::from_secs(10))
        .ok_or_else(|| "no leader within 10 s".into())
}

fn run(cluster: &mut LocalCluster) -> Result<()> {
    for (id, node) in cluster.nodes() {
        println!(
            "node {id}: pid {}, http://{}, peers on {}",
            node.pid().unwrap_or(0),
            node.args.http,
            node.args.raft
        );
    }
    let first = leader(cluster)?;
    println!("leader: node {first}");

    let mut kv: KvClient = cluster.client(first);
    let mut acknowledged = BTreeMap::new();
    for n in 0..20 {
        let (key, value) = (format!("key-{n:02}"), format!("value-{n}"));
        kv.put(&key, &value)?;
        acknowledged.insert(key, value);
    }
    println!("wrote 20 keys; key-07 = {:?}", kv.get("key-07")?);
    let swapped = kv.cas("key-07", Some("value-7"), "seven")?;
    println!("compare-and-swap key-07 value-7 -> seven: {swapped}");
    acknowledged.insert("key-07".into(), "seven".into());

    cluster.kill(first)?;
    println!("killed node {first} (SIGKILL)");
    let started = Instant::now();
    let second = leader(cluster)?;
    println!(
        "new leader: node {second}, {} ms after the kill",
        started.elapsed().as_millis()
    );

    let mut kv = cluster.client(second);
    for (key, value) in &acknowledged {
        let read = kv.get(key)?;
        if read.as_deref() != Some(value.as_str()) {
            return Err(format!("acknowledged {key} = {value} but read {read:?}").into());
        }
    }
    println!(
        "all {} acknowledged writes read back through node {second}",
        acknowledged.len()
    );
    kv.put("after-failover", "yes")?;

    cluster.restart(first)?;
    println!("restarted node {first}");
    let target = cluster
        .status(second)
        .and_then(|status| status["last_applied"].as_u64())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let applied = cluster
            .status(first)
            .and_then(|status| status["last_applied"].as_u64())
            .unwrap_or(0);
        if applied >= target {
            println!("node {first} caught up to index {applied}");
            break;
        }
        if Instant::now() >= deadline {
            return Err(format!("node {first} stuck at index {applied} of {target}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
