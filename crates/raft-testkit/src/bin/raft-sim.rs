//! `raft-sim`: run randomised cluster simulations by seed.
//!
//! ```text
//! raft-sim --seed 0x2a            replay one seed, verbosely
//! raft-sim --seeds 2000 [--from N] run N seeds, stop at the first failure
//! raft-sim --minutes 10           run seeds until the time is up
//! raft-sim --wal ...              the same over real WalLog files (feature `wal`)
//! raft-sim --ticks 3000 ...       longer histories: faulty ticks per seed
//! ```
//!
//! A seed's run depends on `--ticks` too: replay a failure with the same.
//!
//! With `--wal` every node runs on a `WalDisk` (crashes on, snapshots every
//! `DURABLE_SNAPSHOT_EVERY` entries, `DURABLE_TICKS` faulty ticks).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use raft_testkit::{FuzzOptions, FuzzReport, SimResult, run_seed};

/// Faulty ticks of a durable run (`--wal`): fewer than the in-memory
/// default, because every step with a write pays a real `fsync`.
#[cfg(feature = "wal")]
const DURABLE_TICKS: u64 = 300;

/// Durable runs snapshot (and so compact and install) this often.
#[cfg(feature = "wal")]
const DURABLE_SNAPSHOT_EVERY: usize = 25;

fn parse_number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The run to make for each seed, and a label for the summary.
type Runner = fn(u64, &FuzzOptions) -> SimResult<FuzzReport>;

fn choose(wal: bool) -> Result<(Runner, FuzzOptions, &'static str), String> {
    if !wal {
        return Ok((run_seed, FuzzOptions::default(), "in memory"));
    }
    #[cfg(feature = "wal")]
    {
        let options = FuzzOptions {
            ticks: DURABLE_TICKS,
            snapshot_every: DURABLE_SNAPSHOT_EVERY,
            ..FuzzOptions::default()
        };
        Ok((raft_testkit::run_seed_durable, options, "over WalLog files"))
    }
    #[cfg(not(feature = "wal"))]
    Err(
        "--wal needs the `wal` feature: cargo run -p raft-testkit --features wal --bin raft-sim"
            .into(),
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| parse_number(v))
    };
    let (run, mut options, label) = match choose(args.iter().any(|arg| arg == "--wal")) {
        Ok(chosen) => chosen,
        Err(message) => {
            eprintln!("raft-sim: {message}");
            return ExitCode::FAILURE;
        }
    };
    let ticks = value("--ticks");
    if let Some(ticks) = ticks {
        options.ticks = ticks;
    }
    // The failure's own replay line names the seed only.
    let report_failure = |failure: &dyn std::fmt::Display| {
        eprintln!("{failure}");
        if let Some(ticks) = ticks {
            eprintln!("  (this run had --ticks {ticks}: replay with it)");
        }
        ExitCode::FAILURE
    };
    if let Some(seed) = value("--seed") {
        return match run(seed, &options) {
            Ok(report) => {
                println!("seed {seed:#x} ({label}): ok {report:?}");
                ExitCode::SUCCESS
            }
            Err(failure) => report_failure(&failure),
        };
    }
    let from = value("--from").unwrap_or(0);
    let deadline = value("--minutes").map(|m| Instant::now() + Duration::from_secs(m * 60));
    let count = value("--seeds").unwrap_or(if deadline.is_some() { u64::MAX } else { 1000 });
    let started = Instant::now();
    let mut delivered = 0u64;
    let mut crashes = 0u64;
    let mut membership_changes = 0u64;
    let mut snapshot_chunks = 0u64;
    let mut shared_appends = 0u64;
    let mut ops = 0u64;
    let mut undecided = 0u64;
    let mut slowest_heal = 0u64;
    let mut ran = 0u64;
    for seed in from..from.saturating_add(count) {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        match run(seed, &options) {
            Ok(report) => {
                delivered += report.delivered;
                crashes += report.crashes;
                membership_changes += report.membership_changes;
                snapshot_chunks += report.snapshot_chunks;
                shared_appends += report.shared_appends;
                ops += report.client_ops;
                undecided += u64::from(!report.linearizable);
                slowest_heal = slowest_heal.max(report.liveness_ticks);
            }
            Err(failure) => return report_failure(&failure),
        }
        ran += 1;
        if ran.is_multiple_of(1000) {
            eprintln!(
                "  {ran} seeds ok ({:.1}s, {delivered} messages delivered)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{ran} seeds from {from} ok ({label}) in {secs:.1}s: {delivered} messages delivered \
         ({:.0}/s), {crashes} crashes and recoveries, {membership_changes} membership changes, \
         {snapshot_chunks} snapshot chunks and {shared_appends} shared-command appends \
         delivered, \
         every fault on, no violation",
        delivered as f64 / secs.max(1e-9)
    );
    println!(
        "  {ops} client operations, linearizable in {} seeds ({undecided} undecided within \
         the budget); liveness after healing took at most {slowest_heal} ticks",
        ran - undecided
    );
    ExitCode::SUCCESS
}
