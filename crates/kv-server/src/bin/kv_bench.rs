//! `kv_bench`: throughput and latency of a 3-process `kv_server` cluster
//! on loopback, with 1, 16 and 256 concurrent clients writing through
//! HTTP, against the raw fsync rate of the same disk measured in the same
//! run. Not part of CI: run it with `cargo xtask bench-cluster`.
//!
//! Usage: `kv_bench [--seconds N] [--dir DIR] [--clients 1,16,256]`

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kv_server::{KvClient, LocalCluster};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> std::process::ExitCode {
    match bench() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kv_bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Small sequential writes each followed by `fdatasync`, for `duration`,
/// into a file allocated (and synced) beforehand so no sync also has to
/// commit a size change: the most durable writes per second this disk
/// allows one writer.
fn fsyncs_per_second(dir: &Path, duration: Duration) -> Result<(f64, Duration)> {
    let path = dir.join("fsync-probe");
    let mut file = File::create(&path)?;
    let span = 8u64 << 20;
    file.write_all(&vec![0u8; usize::try_from(span)?])?;
    file.sync_all()?;
    file.seek(SeekFrom::Start(0))?;
    let started = Instant::now();
    let mut count = 0u32;
    let mut written = 0u64;
    let mut latencies = Vec::new();
    while started.elapsed() < duration {
        if written + 64 > span {
            file.seek(SeekFrom::Start(0))?;
            written = 0;
        }
        let began = Instant::now();
        file.write_all(&[1u8; 64])?;
        file.sync_data()?;
        latencies.push(began.elapsed());
        written += 64;
        count += 1;
    }
    let rate = f64::from(count) / started.elapsed().as_secs_f64();
    std::fs::remove_file(path)?;
    latencies.sort_unstable();
    let median = latencies
        .get(latencies.len() / 2)
        .copied()
        .unwrap_or_default();
    Ok((rate, median))
}

/// What one load level measured.
struct Level {
    clients: usize,
    writes: usize,
    failed: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

fn run_level(cluster: &LocalCluster, leader: u64, clients: usize, duration: Duration) -> Level {
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(Mutex::new(0usize));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let mut kv: KvClient = cluster.client(leader);
            let (stop, latencies, failed) = (
                Arc::clone(&stop),
                Arc::clone(&latencies),
                Arc::clone(&failed),
            );
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let began = Instant::now();
                    match kv.put(&format!("c{c}-{}", n % 1000), "0123456789abcdef") {
                        Ok(()) => mine.push(began.elapsed()),
                        Err(_) => {
                            *failed
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) += 1
                        }
                    }
                }
                latencies
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(mine);
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = std::mem::take(
        &mut *latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    latencies.sort_unstable();
    // Nearest rank: the smallest latency at least `percent`% of writes
    // did not exceed.
    let at = |percent: usize| {
        let rank = (latencies.len() * percent).div_ceil(100).max(1);
        latencies.get(rank - 1).copied().unwrap_or_default()
    };
    let failed = *failed
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Level {
        clients,
        writes: latencies.len(),
        failed,
        seconds,
        p50: at(50),
        p99: at(99),
    }
}

fn bench() -> Result<()> {
    let seconds: u64 = flag("--seconds").map_or(Ok(5), |s| s.parse())?;
    let levels: Vec<usize> = flag("--clients")
        .unwrap_or_else(|| "1,16,256".into())
        .split(',')
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()?;
    let dir = PathBuf::from(flag("--dir").unwrap_or_else(|| "target/kv-bench".into()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let program = std::env::current_exe()?.with_file_name("kv_server");

    let (fsync, fsync_p50) = fsyncs_per_second(&dir, Duration::from_secs(2))?;
    println!(
        "raw fsync limit on {}: {fsync:.0} syncs/s, p50 {:.2} ms (one writer, 64-byte writes + fdatasync, preallocated file)",
        dir.display(),
        fsync_p50.as_secs_f64() * 1e3
    );
    let cluster = LocalCluster::start(&program, &[], 3, &dir)?;
    let leader = cluster.leader(Duration::from_secs(10)).ok_or("no leader")?;
    // Warm up connections and the leader's first term.
    let mut warm = cluster.client(leader);
    for n in 0..50 {
        warm.put(&format!("warm-{n}"), "x")?;
    }
    println!();
    println!("| clients | writes/s | p50 latency | p99 latency | writes/s ÷ fsyncs/s | failed |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for clients in levels {
        let level = run_level(&cluster, leader, clients, Duration::from_secs(seconds));
        let rate = level.writes as f64 / level.seconds;
        println!(
            "| {} | {rate:.0} | {:.2} ms | {:.2} ms | {:.2} | {} |",
            level.clients,
            level.p50.as_secs_f64() * 1e3,
            level.p99.as_secs_f64() * 1e3,
            rate / fsync,
            level.failed
        );
    }
    drop(cluster);
    // The disk is shared: measure it again, so a change in its speed
    // during the run shows.
    let (after, after_p50) = fsyncs_per_second(&dir, Duration::from_secs(2))?;
    println!(
        "\nraw fsync rate after the run: {after:.0} syncs/s, p50 {:.2} ms",
        after_p50.as_secs_f64() * 1e3
    );
    Ok(())
}
