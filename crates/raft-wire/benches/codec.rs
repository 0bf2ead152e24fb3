//! Criterion benchmarks of the frame codec: a replication-sized
//! `AppendEntries` (64 entries of 64 bytes) and an empty heartbeat.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use raft_core::{AppendEntries, LogEntry, Message};

fn append_entries(entries: u64, payload: usize) -> Message {
    Message::AppendEntries(AppendEntries {
        term: 42,
        leader: 1,
        prev_log_index: 100_000,
        prev_log_term: 41,
        entries: (1..=entries)
            .map(|i| LogEntry::new(42, 100_000 + i, vec![0x5a; payload]))
            .collect(),
        leader_commit: 99_990,
    })
}

fn bench_message(c: &mut Criterion, name: &str, message: &Message) {
    let bytes = raft_wire::encode(message).unwrap();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode", |b| {
        b.iter(|| raft_wire::encode(black_box(message)).unwrap())
    });
    let mut buf = Vec::with_capacity(bytes.len());
    group.bench_function("encode_into", |b| {
        b.iter(|| {
            buf.clear();
            raft_wire::encode_into(black_box(message), &mut buf).unwrap();
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| raft_wire::decode(black_box(&bytes)).unwrap())
    });
    group.finish();
}

fn codec(c: &mut Criterion) {
    bench_message(c, "append_entries_64x64", &append_entries(64, 64));
    bench_message(c, "heartbeat", &append_entries(0, 0));
}

criterion_group!(benches, codec);
criterion_main!(benches);
