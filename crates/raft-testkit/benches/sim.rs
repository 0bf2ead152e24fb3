//! Simulator throughput: message deliveries per second on one core, each
//! delivery a full `RaftNode::step` followed by every safety check. Soak runs
//! stay cheap only while this stays high (issue target: >= 1,000,000/s).
//!
//! Run: `cargo bench -p raft-testkit --bench sim`.

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]
#![allow(clippy::unwrap_used, reason = "a benchmark aborts on a broken setup")]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use raft_testkit::{FaultPlan, FuzzOptions, run_seed};

fn deliveries(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulator");
    for (name, faults) in [
        ("every fault", FaultPlan::all()),
        ("no faults", FaultPlan::none()),
    ] {
        let options = FuzzOptions {
            faults,
            ..FuzzOptions::default()
        };
        // Runs are deterministic: one seed always delivers the same messages,
        // so the count measured once is every iteration's throughput.
        let seeds = 0..8u64;
        let delivered: u64 = seeds
            .clone()
            .map(|seed| run_seed(seed, &options).unwrap().delivered)
            .sum();
        group.throughput(Throughput::Elements(delivered));
        group.bench_function(format!("8 seeds, {name}, deliveries"), |b| {
            b.iter(|| {
                for seed in seeds.clone() {
                    std::hint::black_box(run_seed(seed, &options).unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, deliveries);
criterion_main!(benches);
