//! Criterion benchmarks of the linearizability checker.
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]
use criterion::{Criterion, criterion_group, criterion_main};
fn bench(_c: &mut Criterion) {}
criterion_group!(benches, bench);
criterion_main!(benches);
