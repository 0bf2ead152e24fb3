//! `raft-sim`: run randomised cluster simulations by seed.
//!
//! ```text
//! raft-sim --seed 0x2a            replay one seed, verbosely
//! raft-sim --seeds 2000 [--from N] run N seeds, stop at the first failure
//! raft-sim --minutes 10           run seeds until the time is up
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use raft_testkit::{FuzzOptions, run_seed};

fn parse_number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| parse_number(v))
    };
    let options = FuzzOptions::default();
    if let Some(seed) = value("--seed") {
        return match run_seed(seed, &options) {
            Ok(report) => {
                println!("seed {seed:#x}: ok {report:?}");
                ExitCode::SUCCESS
            }
            Err(failure) => {
                eprintln!("{failure}");
                ExitCode::FAILURE
            }
        };
    }
    let from = value("--from").unwrap_or(0);
    let deadline = value("--minutes").map(|m| Instant::now() + Duration::from_secs(m * 60));
    let count = value("--seeds").unwrap_or(if deadline.is_some() { u64::MAX } else { 1000 });
    let started = Instant::now();
    let mut delivered = 0u64;
    let mut ran = 0u64;
    for seed in from..from.saturating_add(count) {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        match run_seed(seed, &options) {
            Ok(report) => delivered += report.delivered,
            Err(failure) => {
                eprintln!("{failure}");
                return ExitCode::FAILURE;
            }
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
        "{ran} seeds from {from} ok in {secs:.1}s: {delivered} messages delivered ({:.0}/s), \
         every fault on, no violation",
        delivered as f64 / secs.max(1e-9)
    );
    ExitCode::SUCCESS
}
