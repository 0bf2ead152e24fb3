//! `raft-bench`: the comparative suite behind `cargo xtask bench`.
//!
//! Our `RaftNode` against the raft-io 1.0 crate (the same API, so the same
//! workload code drives both) and against raft-rs (`raft` 0.7, through an
//! adapter over `RawNode`), alternating A B A B in one process run.
//!
//! ```text
//! raft-bench suite [--quick] [--only LIST] [--docs PATH]
//!                       everything (or the sections in LIST: shapes, clusters,
//!                       cluster-instructions, wal, recovery, memory, snapshot); prints the
//!                       tables with ratios; --docs rewrites them in PATH (not with --only)
//! raft-bench shape NAME ours|peer ITERATIONS        one shape, one implementation
//!                       (what callgrind runs; prints its allocations)
//! raft-bench cluster ours|ours-fast|peer|raft-rs NODES IN_FLIGHT COMMANDS   one in-memory cluster run
//! raft-bench wal rounds|threads step|step-many|step-flush|step-many-flush IN_FLIGHT MILLIS
//!                       one run of our 3-node WalLog cluster
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark aborts on a broken setup, like a test"
)]

mod alloc_counter;
mod callgrind;
mod cluster;
mod docs;
mod fast_cluster;
mod leader_memory;
mod raftrs;
mod shapes;
mod snapshot_stream;
mod stats;
mod suite;
mod wal;
mod wal_rounds;
mod wal_threads;

#[global_allocator]
static GLOBAL: alloc_counter::CountingAllocator = alloc_counter::CountingAllocator;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["suite", options @ ..] => {
            let plan = if options.contains(&"--quick") {
                suite::Plan::QUICK
            } else {
                suite::Plan::FULL
            };
            // `--only shapes,clusters`: those sections alone, for a quick
            // look while optimising (the docs are then left alone).
            let only: Option<Vec<&str>> = options
                .iter()
                .position(|&option| option == "--only")
                .and_then(|i| options.get(i + 1))
                .map(|list| list.split(',').collect());
            if let Some(names) = &only
                && let Some(unknown) = names
                    .iter()
                    .find(|name| !suite::SECTIONS.iter().any(|(known, _)| known == *name))
            {
                let known: Vec<&str> = suite::SECTIONS.iter().map(|(name, _)| *name).collect();
                panic!("unknown section {unknown}; sections: {}", known.join(", "));
            }
            let machine = docs::machine();
            let tables = suite::run(plan, |name| {
                only.as_ref().is_none_or(|names| names.contains(&name))
            });
            let section = format!(
                "## Comparative suite (`cargo xtask bench`)\n\n\
                 {machine}; plan: {plan:?}. Ratios are ours / the other's medians \
                 (for instructions, time and memory lower is better; for \
                 throughput higher is better); ± is half the min-max spread \
                 over the rounds, as a percentage of the median.\n\n{tables}"
            );
            println!("{section}");
            let docs_path = options
                .iter()
                .position(|&option| option == "--docs")
                .and_then(|i| options.get(i + 1));
            if only.is_some() {
                eprintln!("--only: the docs are not rewritten");
            } else if let Some(path) = docs_path {
                let document = std::fs::read_to_string(path).unwrap_or_default();
                std::fs::write(path, docs::rewrite(&document, &section)).unwrap();
                eprintln!("rewrote the tables in {path}");
            }
        }
        // The children of the snapshot catch-up (`snapshot_stream`).
        ["snapshot-follower"] => snapshot_stream::follower(None),
        ["snapshot-follower", dir] => snapshot_stream::follower(Some(dir)),
        ["pipe-sink"] => snapshot_stream::pipe_sink(),
        ["wal", driver, style, window, millis] => {
            let calling = wal_rounds::Calling::parse(style).expect("unknown calling style");
            let (window, budget) = (
                window.parse().unwrap(),
                std::time::Duration::from_millis(millis.parse().unwrap()),
            );
            let sample = match *driver {
                "rounds" => wal_rounds::run(calling, window, budget),
                "threads" => wal_threads::run(calling, window, budget),
                other => panic!("unknown driver {other}"),
            };
            println!(
                "{driver} {style}: {} applied in {:?}: {:.0}/s",
                sample.applied,
                sample.elapsed,
                sample.per_second()
            );
        }
        ["shape", name, which, iterations] => {
            let shape = shapes::Shape::parse(name).expect("unknown shape");
            let iterations: u64 = iterations.parse().expect("iterations");
            let counts = match *which {
                "ours" => shapes::ours::run(shape, 200, iterations),
                "peer" => shapes::peer::run(shape, 200, iterations),
                other => panic!("unknown implementation {other}"),
            };
            println!("allocations {} bytes {}", counts.allocations, counts.bytes);
        }
        ["cluster", which, count, window, commands] => {
            let (count, window, commands) = (
                count.parse().unwrap(),
                window.parse().unwrap(),
                commands.parse().unwrap(),
            );
            // Generous: under callgrind a run is ~50 times slower.
            let budget = std::time::Duration::from_secs(300);
            let sample = match *which {
                "ours" => cluster::ours::run(count, window, commands, budget),
                "ours-fast" => fast_cluster::run(count, window, commands, budget),
                "peer" => cluster::peer::run(count, window, commands, budget),
                "raft-rs" => raftrs::run(count, window, commands, budget),
                other => panic!("unknown implementation {other}"),
            };
            println!(
                "{which}: {} applied in {:?}: {:.0}/s, {:.1} allocations/command, {:.0} B/command",
                sample.applied,
                sample.elapsed,
                sample.per_second(),
                sample.allocations_per_command(),
                sample.bytes_per_command()
            );
        }
        _ => eprintln!(
            "usage: raft-bench suite [--quick] [--only LIST] [--docs PATH] \
             | shape NAME ours|peer N | cluster ours|ours-fast|peer|raft-rs NODES IN_FLIGHT COMMANDS"
        ),
    }
}
