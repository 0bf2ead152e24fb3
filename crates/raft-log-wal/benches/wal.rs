//! WalLog benchmarks: durable append rate (against raw wal-db on the same
//! disk), batched append, and recovery of a million-entry log.
//!
//! Run with `cargo bench -p raft-log-wal --bench wal`; numbers measured on
//! the project machine are in `BENCHMARKS.md`.

// Benchmarks unwrap like tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use raft_core::{LogEntry, RaftLog};
use raft_log_wal::WalLog;

const PAYLOAD: usize = 64;
const PAYLOAD_LEN_FIELD: u32 = 64;

/// The record `WalLog` writes for one 64-byte entry (record version 2):
/// version, tag, sync mark, first index, count, then term, kind, length,
/// checksum and the command.
fn equivalent_record() -> Vec<u8> {
    let mut record = vec![2u8, 1];
    record.extend_from_slice(&0u64.to_le_bytes());
    record.extend_from_slice(&1u64.to_le_bytes());
    record.extend_from_slice(&1u32.to_le_bytes());
    record.extend_from_slice(&1u64.to_le_bytes());
    record.push(0);
    record.extend_from_slice(&PAYLOAD_LEN_FIELD.to_le_bytes());
    record.extend_from_slice(&0u32.to_le_bytes());
    record.extend_from_slice(&[0xab; PAYLOAD]);
    record
}

fn durable_appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("append+sync 1 x 64 B");
    group.throughput(Throughput::Elements(1));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));

    let mut log = WalLog::open(dir.path().join("wal-log")).unwrap();
    group.bench_function("WalLog", |b| {
        b.iter(|| {
            let next = log.last_index() + 1;
            log.append(&[LogEntry::new(1, next, vec![0xab; PAYLOAD])])
                .unwrap();
            log.sync().unwrap();
        })
    });

    let raw = wal_db::Wal::open(dir.path().join("raw.wal")).unwrap();
    let record = equivalent_record();
    group.bench_function("raw wal-db", |b| {
        b.iter(|| {
            let _ = raw.append(black_box(&record)).unwrap();
            raw.sync().unwrap();
        })
    });
    group.finish();

    let mut group = c.benchmark_group("append+sync 64 x 64 B");
    group.throughput(Throughput::Elements(64));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("WalLog", |b| {
        b.iter(|| {
            let first = log.last_index() + 1;
            let batch: Vec<_> = (first..first + 64)
                .map(|i| LogEntry::new(1, i, vec![0xab; PAYLOAD]))
                .collect();
            log.append(&batch).unwrap();
            log.sync().unwrap();
        })
    });
    group.finish();
}

/// Builds a log of `total` 64-byte entries, `per_record` per append.
fn build(path: &Path, total: u64, per_record: u64) {
    let mut log = WalLog::open(path).unwrap();
    let mut first = 1;
    while first <= total {
        let last = (first + per_record - 1).min(total);
        let batch: Vec<_> = (first..=last)
            .map(|i| LogEntry::new(1 + i / 100_000, i, vec![(i % 251) as u8; PAYLOAD]))
            .collect();
        log.append(&batch).unwrap();
        first = last + 1;
    }
    log.sync().unwrap();
}

fn recovery(c: &mut Criterion) {
    const TOTAL: u64 = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("recover 1M x 64 B");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for per_record in [64u64, 1] {
        let path = dir.path().join(format!("per-{per_record}"));
        build(&path, TOTAL, per_record);
        let name = format!("{per_record} entries per record");
        group.bench_function(name, |b| {
            b.iter(|| {
                let log = WalLog::open(&path).unwrap();
                assert_eq!(log.last_index(), TOTAL);
                black_box(log)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, durable_appends, recovery);
criterion_main!(benches);
