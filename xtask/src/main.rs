//! `cargo xtask`: the one entry point for checks and long runs.
//!
//! ```text
//! cargo xtask ci                      fmt check, clippy, tests per feature set, doc tests,
//!                                     examples, simulator seeds (what .ci/run calls)
//! cargo xtask fmt                     format everything
//! cargo xtask test [--rewrite]        the test suites (--rewrite regenerates golden files)
//! cargo xtask sim --seed 0x2a [--trace] [--wal] [--ticks T]   replay one simulator seed
//! cargo xtask soak [--seeds N] [--minutes M] [--from S] [--ticks T] [--wal]   long simulator runs
//!                                     (--wal: over real WalLog files, crashes and restarts)
//! cargo xtask bench [--quick]         comparative suite vs raft-io 1.0 and raft-rs; rewrites
//!                                     its tables in docs/BENCHMARKS.md
//! cargo xtask bench criterion [ARGS..]   criterion benchmarks
//! cargo xtask fuzz [TARGET]           run a cargo-fuzz target (needs nightly + cargo-fuzz)
//! cargo xtask cluster [DIR]           start 3 kv_server nodes on 127.0.0.1, leave them running
//! cargo xtask bench-cluster [ARGS..]  3-process cluster: writes/s, p50/p99 at 1/16/256 clients
//! cargo xtask mutants [core|wal] [--in-diff [BASE]]   cargo-mutants over the protocol files
//!                                     (or the WAL's recovery path); prints the survivors
//! ```

mod mutants;

use std::process::{Command, ExitCode};
use std::time::Instant;

/// Simulator seeds every CI run checks, every fault on at once.
const CI_SIM_SEEDS: &str = "5000";

/// Durable simulator seeds every CI run checks: the same faults, every node
/// on a real `WalLog` directory, crashes cutting the files back to what was
/// synced (`raft-sim --wal`, 300 faulty ticks per seed).
const CI_DURABLE_SIM_SEEDS: &str = "500";

/// Feature sets of the facade that CI tests one by one.
const FACADE_FEATURE_SETS: &[&str] = &[
    "",
    "persistence",
    "framing",
    "persistence,framing",
    "server",
];

/// Examples CI runs to completion, with the features each needs.
const EXAMPLES: &[(&str, &str)] = &[
    ("single_node", ""),
    ("in_memory_cluster", ""),
    ("replicated_log", ""),
    ("partition_recovery", ""),
    ("snapshot_catchup", ""),
    ("membership", ""),
    ("learner", ""),
    ("kv_store", ""),
    ("shared_commands", ""),
    ("persistent_node", "persistence"),
    ("large_snapshot", "persistence"),
    // Three kv_server processes: write, kill the leader, fail over.
    ("cluster_demo", ""),
];

type Outcome = Result<(), String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "ci" => ci(),
        "fmt" => cargo(&["fmt", "--all"]),
        "test" => test(rest),
        "sim" => sim(rest),
        "soak" => soak(rest),
        "bench" => bench(rest),
        "fuzz" => fuzz(rest),
        "cluster" => cluster(rest),
        "bench-cluster" => bench_cluster(rest),
        "mutants" => mutants::mutants(rest),
        _ => {
            eprintln!("{}", include_str!("usage.txt"));
            return if task == "help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn ci() -> Outcome {
    let started = Instant::now();
    step("format", &["fmt", "--all", "--check"])?;
    step(
        "clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    step(
        "tests (all features)",
        &["test", "--workspace", "--all-features"],
    )?;
    for features in FACADE_FEATURE_SETS {
        let label = format!("facade tests (features: [{features}])");
        step(
            &label,
            &[
                "test",
                "-p",
                "raft-io",
                "--no-default-features",
                "--features",
                features,
            ],
        )?;
    }
    for (example, features) in EXAMPLES {
        step(
            &format!("example {example}"),
            &[
                "run",
                "-q",
                "-p",
                "raft-io",
                "--features",
                features,
                "--example",
                example,
            ],
        )?;
    }
    step(
        &format!("simulator: {CI_SIM_SEEDS} seeds, every fault on"),
        &[
            "run",
            "-q",
            "--release",
            "-p",
            "raft-testkit",
            "--bin",
            "raft-sim",
            "--",
            "--seeds",
            CI_SIM_SEEDS,
        ],
    )?;
    step(
        &format!("durable simulator: {CI_DURABLE_SIM_SEEDS} seeds over WalLog files"),
        &[
            "run",
            "-q",
            "--release",
            "-p",
            "raft-testkit",
            "--features",
            "wal",
            "--bin",
            "raft-sim",
            "--",
            "--seeds",
            CI_DURABLE_SIM_SEEDS,
            "--wal",
        ],
    )?;
    eprintln!(
        "xtask ci: all green in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn test(args: &[String]) -> Outcome {
    let mut command = Command::new(cargo_bin());
    command.args(["test", "--workspace", "--all-features"]);
    if args.iter().any(|arg| arg == "--rewrite") {
        // Golden files (insta snapshots, transcripts) are rewritten in place.
        command
            .env("INSTA_UPDATE", "always")
            .env("RAFT_REWRITE", "1");
    }
    run(command)
}

fn sim(args: &[String]) -> Outcome {
    let seed = flag(args, "--seed")
        .ok_or("usage: cargo xtask sim --seed 0x2a [--trace] [--wal] [--ticks T]")?;
    let mut command = Command::new(cargo_bin());
    command.args(raft_sim_args(args));
    command.args(["--seed", &seed]);
    if let Some(ticks) = flag(args, "--ticks") {
        command.args(["--ticks", &ticks]);
    }
    if args.iter().any(|arg| arg == "--trace") {
        command.env("RAFT_SIM_TRACE", "1");
    }
    run(command)
}

/// `cargo run` of the release `raft-sim`, with `--wal` (and the feature it
/// needs) when asked for; the simulator's own arguments follow.
fn raft_sim_args(args: &[String]) -> Vec<&'static str> {
    let wal = args.iter().any(|arg| arg == "--wal");
    let mut forwarded = vec!["run", "-q", "--release", "-p", "raft-testkit"];
    if wal {
        forwarded.extend(["--features", "wal"]);
    }
    forwarded.extend(["--bin", "raft-sim", "--"]);
    if wal {
        forwarded.push("--wal");
    }
    forwarded
}

fn soak(args: &[String]) -> Outcome {
    let mut forwarded = raft_sim_args(args);
    let mut values = Vec::new();
    for name in ["--seeds", "--minutes", "--from", "--ticks"] {
        if let Some(value) = flag(args, name) {
            values.push((name, value));
        }
    }
    if !values
        .iter()
        .any(|(name, _)| ["--seeds", "--minutes"].contains(name))
    {
        let default = if args.iter().any(|arg| arg == "--wal") {
            "5000"
        } else {
            "100000"
        };
        values.push(("--seeds", default.to_owned()));
    }
    for (name, value) in &values {
        forwarded.push(name);
        forwarded.push(value);
    }
    cargo(&forwarded)
}

/// `bench [--quick]`: the comparative suite (crates/raft-bench), which
/// rewrites its tables in docs/BENCHMARKS.md; `bench criterion [ARGS..]`:
/// the criterion benches, arguments passed to criterion.
fn bench(args: &[String]) -> Outcome {
    if args.first().is_some_and(|arg| arg == "criterion") {
        let mut forwarded = vec!["bench", "--workspace"];
        if args.len() > 1 {
            forwarded.push("--");
            forwarded.extend(args[1..].iter().map(String::as_str));
        }
        return cargo(&forwarded);
    }
    // The `suite` profile: release with one codegen unit per crate, so
    // instruction counts compare code, not codegen partitioning.
    let mut forwarded = vec![
        "run",
        "-q",
        "--profile",
        "suite",
        "-p",
        "raft-bench",
        "--",
        "suite",
    ];
    forwarded.extend(args.iter().map(String::as_str));
    forwarded.extend(["--docs", "docs/BENCHMARKS.md"]);
    cargo(&forwarded)
}

/// Starts three `kv_server` processes on 127.0.0.1 and leaves them
/// running (`kv_cluster` prints the curl commands to use them).
fn cluster(args: &[String]) -> Outcome {
    cargo(&["build", "-q", "-p", "kv-server", "--bins"])?;
    let mut command = Command::new(workspace_root().join("target/debug/kv_cluster"));
    command.args(args);
    run(command)
}

/// The 3-process cluster benchmark (release build): writes/s and p50/p99
/// latency at 1, 16 and 256 clients against the disk's raw fsync rate.
fn bench_cluster(args: &[String]) -> Outcome {
    cargo(&["build", "-q", "--release", "-p", "kv-server", "--bins"])?;
    let mut command = Command::new(workspace_root().join("target/release/kv_bench"));
    command.args(args);
    run(command)
}

fn fuzz(args: &[String]) -> Outcome {
    let target = args.first().map_or("decode", String::as_str);
    let mut command = Command::new(cargo_bin());
    command
        .args([
            "+nightly",
            "fuzz",
            "run",
            target,
            "--",
            "-max_total_time=300",
        ])
        .current_dir(workspace_root().join("fuzz"));
    run(command).map_err(|error| {
        format!("{error}\n  cargo fuzz needs a nightly toolchain and `cargo install cargo-fuzz`")
    })
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn step(label: &str, args: &[&str]) -> Outcome {
    let started = Instant::now();
    eprintln!("==> {label}");
    cargo(args).map_err(|error| format!("{label} failed: {error}"))?;
    eprintln!("    {label}: ok ({:.0}s)", started.elapsed().as_secs_f64());
    Ok(())
}

fn cargo(args: &[&str]) -> Outcome {
    let mut command = Command::new(cargo_bin());
    command.args(args);
    run(command)
}

fn run(mut command: Command) -> Outcome {
    command.current_dir(workspace_root());
    let status = command
        .status()
        .map_err(|error| format!("could not start {command:?}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} exited with {status}"))
    }
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn workspace_root() -> std::path::PathBuf {
    let manifest_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or(manifest_dir.clone(), std::path::Path::to_path_buf)
}
