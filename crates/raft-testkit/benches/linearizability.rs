//! Criterion benchmarks of the linearizability checker on generated
//! key-value histories: 10 clients × 1,000 operations on 10 keys, the same
//! with one corrupted read (a violation to find), and 2,000 operations on a
//! single key.
//!
//! Run: `cargo bench -p raft-testkit --bench linearizability`.

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]
#![allow(clippy::unwrap_used, reason = "a benchmark aborts on a broken setup")]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use raft_testkit::{History, KvInput, KvModel, KvOutput, LinearizabilityChecker, Verdict};

type KvHistory = History<KvInput<u64, String>, KvOutput<String>>;

/// xorshift64*: a fixed, dependency-free stream of numbers.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

/// An operation before its output is known.
struct Planned {
    client: u64,
    input: KvInput<u64, String>,
    invoked: u64,
    returned: u64,
    takes_effect_at: u64,
    /// Never completes (1 in 100); half of those never take effect either.
    pending: bool,
    applied: bool,
}

/// `clients` clients each issuing `per_client` operations back to back on
/// `keys` keys; each takes effect at a random point of its interval, in
/// that order, so the history is linearizable.
fn generate(clients: u64, per_client: u64, keys: u64, seed: u64) -> KvHistory {
    let mut rng = Rng(seed | 1);
    let mut planned = Vec::new();
    for client in 0..clients {
        let mut now = rng.below(10);
        for n in 0..per_client {
            let key = rng.below(keys);
            let value = format!("{client}.{n}");
            let input = match rng.below(20) {
                0..=9 => KvInput::Get(key),
                10..=13 => KvInput::Put(key, value),
                14..=16 => KvInput::Append(key, value),
                _ => KvInput::Cas {
                    key,
                    // A CAS on a random earlier write of this client, or on
                    // an absent key: some swap, most do not.
                    expected: (n > 0).then(|| format!("{client}.{}", rng.below(n))),
                    new: value,
                },
            };
            let returned = now + 1 + rng.below(20);
            let pending = rng.below(100) == 0;
            planned.push(Planned {
                client,
                input,
                invoked: now,
                returned,
                takes_effect_at: now + rng.below(returned - now + 1),
                pending,
                applied: !pending || rng.below(2) == 0,
            });
            now = returned + rng.below(5);
        }
    }
    let mut order: Vec<usize> = (0..planned.len()).collect();
    order.sort_by_key(|&i| (planned[i].takes_effect_at, i));
    let mut store: BTreeMap<u64, String> = BTreeMap::new();
    let mut outputs = vec![KvOutput::Done; planned.len()];
    for i in order {
        let op = &planned[i];
        if !op.applied {
            continue;
        }
        outputs[i] = match &op.input {
            KvInput::Get(key) => KvOutput::Value(store.get(key).cloned()),
            KvInput::Put(key, value) => {
                store.insert(*key, value.clone());
                KvOutput::Done
            }
            KvInput::Append(key, value) => {
                store.entry(*key).or_default().push_str(value);
                KvOutput::Done
            }
            KvInput::Cas { key, expected, new } => {
                let swaps = store.get(key) == expected.as_ref();
                if swaps {
                    store.insert(*key, new.clone());
                }
                KvOutput::Cas(swaps)
            }
        };
    }
    let mut history = History::new();
    for (op, output) in planned.into_iter().zip(outputs) {
        let id = history.invoke(op.client, op.input, op.invoked);
        if !op.pending {
            history.complete(id, output, op.returned).unwrap();
        }
    }
    history
}

/// The same history with its last completed read of an existing value
/// answering a value never written.
fn corrupt(mut history: KvHistory) -> KvHistory {
    let last_read = history
        .iter()
        .filter(|(_, op)| matches!(op.output(), Some(KvOutput::Value(Some(_)))))
        .map(|(id, _)| id)
        .last()
        .unwrap();
    *history.output_mut(last_read).unwrap() = KvOutput::Value(Some("never".to_string()));
    history
}

fn bench(c: &mut Criterion) {
    let checker = LinearizabilityChecker::new(KvModel::<u64, String>::new());
    let ten_keys = generate(10, 1_000, 10, 7);
    assert_eq!(checker.check(&ten_keys), Verdict::Ok);
    c.bench_function("check 10 clients x 1000 ops, 10 keys", |b| {
        b.iter(|| checker.check(black_box(&ten_keys)));
    });

    let violated = corrupt(ten_keys);
    assert!(checker.check(&violated).is_violation());
    c.bench_function("reject 10 clients x 1000 ops, 10 keys, one bad read", |b| {
        b.iter(|| checker.check(black_box(&violated)));
    });

    let one_key = generate(10, 200, 1, 11);
    assert_eq!(checker.check(&one_key), Verdict::Ok);
    c.bench_function("check 10 clients x 200 ops, 1 key", |b| {
        b.iter(|| checker.check(black_box(&one_key)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
