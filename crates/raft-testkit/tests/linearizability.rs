//! The linearizability checker accepts linearizable key-value histories
//! (sequential, overlapping, with pending operations) and rejects the
//! classic anomalies; property tests check it against generated histories
//! and a brute-force oracle.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use raft_testkit::{
    Budget, History, HistoryError, KvInput, KvModel, KvOutput, Limit, LinearizabilityChecker,
    Model, OpId, Verdict, check_linearizable,
};

type Kv = KvModel<&'static str, String>;
type KvHistory = History<KvInput<&'static str, String>, KvOutput<String>>;

fn put(key: &'static str, value: &str) -> KvInput<&'static str, String> {
    KvInput::Put(key, value.to_string())
}

fn append(key: &'static str, value: &str) -> KvInput<&'static str, String> {
    KvInput::Append(key, value.to_string())
}

fn cas(key: &'static str, expected: Option<&str>, new: &str) -> KvInput<&'static str, String> {
    KvInput::Cas {
        key,
        expected: expected.map(str::to_string),
        new: new.to_string(),
    }
}

fn read(value: Option<&str>) -> KvOutput<String> {
    KvOutput::Value(value.map(str::to_string))
}

/// Records a completed operation.
fn op(
    history: &mut KvHistory,
    client: u64,
    input: KvInput<&'static str, String>,
    output: KvOutput<String>,
    invoked: u64,
    returned: u64,
) -> OpId {
    history
        .record(client, input, output, invoked, returned)
        .unwrap()
}

fn check(history: &KvHistory) -> Verdict {
    check_linearizable(Kv::new(), history)
}

fn assert_ok(history: &KvHistory) {
    let verdict = check(history);
    assert_eq!(verdict, Verdict::Ok, "{verdict}");
    let whole = LinearizabilityChecker::new(Kv::new())
        .unpartitioned()
        .check(history);
    assert_eq!(whole, Verdict::Ok, "unpartitioned: {whole}");
}

fn assert_violation(history: &KvHistory) -> raft_testkit::NonLinearizable {
    let whole = LinearizabilityChecker::new(Kv::new())
        .unpartitioned()
        .check(history);
    assert!(whole.is_violation(), "unpartitioned: {whole}");
    match check(history) {
        Verdict::Violation(violation) => *violation,
        other => panic!("expected a violation, got {other}"),
    }
}

// ---------------------------------------------------------------- accepted

#[test]
fn empty_history_is_linearizable() {
    assert_ok(&History::new());
}

#[test]
fn sequential_history_is_linearizable() {
    let mut h = History::new();
    op(&mut h, 1, KvInput::Get("x"), read(None), 0, 1);
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 2, 3);
    op(&mut h, 2, KvInput::Get("x"), read(Some("a")), 4, 5);
    op(&mut h, 2, append("x", "b"), KvOutput::Done, 6, 7);
    op(&mut h, 1, KvInput::Get("x"), read(Some("ab")), 8, 9);
    op(
        &mut h,
        3,
        cas("x", Some("ab"), "c"),
        KvOutput::Cas(true),
        10,
        11,
    );
    op(
        &mut h,
        3,
        cas("x", Some("ab"), "d"),
        KvOutput::Cas(false),
        12,
        13,
    );
    op(&mut h, 3, cas("y", None, "e"), KvOutput::Cas(true), 14, 15);
    op(&mut h, 1, KvInput::Get("x"), read(Some("c")), 16, 17);
    op(&mut h, 1, KvInput::Get("y"), read(Some("e")), 18, 19);
    assert_ok(&h);
}

#[test]
fn overlapping_writes_allow_either_order() {
    for last in ["a", "b"] {
        let mut h = History::new();
        op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 10);
        op(&mut h, 2, put("x", "b"), KvOutput::Done, 2, 12);
        // During both writes a reader may see nothing, a or b...
        op(&mut h, 3, KvInput::Get("x"), read(None), 1, 3);
        op(
            &mut h,
            4,
            KvInput::Get("x"),
            read(Some(if last == "a" { "b" } else { "a" })),
            4,
            5,
        );
        // ...and afterwards whichever write was linearized last.
        op(&mut h, 3, KvInput::Get("x"), read(Some(last)), 13, 14);
        op(&mut h, 4, KvInput::Get("x"), read(Some(last)), 15, 16);
        assert_ok(&h);
    }
}

#[test]
fn equal_times_count_as_overlapping() {
    // The put returns at 5 and the read starts at 5: they overlap, so the
    // read may precede the put.
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 5);
    op(&mut h, 2, KvInput::Get("x"), read(None), 5, 6);
    assert_ok(&h);
}

#[test]
fn concurrent_appends_in_either_order() {
    for seen in ["ab", "ba"] {
        let mut h = History::new();
        op(&mut h, 1, append("x", "a"), KvOutput::Done, 0, 10);
        op(&mut h, 2, append("x", "b"), KvOutput::Done, 0, 10);
        op(&mut h, 3, KvInput::Get("x"), read(Some(seen)), 11, 12);
        assert_ok(&h);
    }
}

#[test]
fn pending_write_that_took_effect() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 1);
    h.invoke(2, put("x", "b"), 2); // the client timed out
    op(&mut h, 3, KvInput::Get("x"), read(Some("a")), 3, 4); // not yet applied
    op(&mut h, 3, KvInput::Get("x"), read(Some("b")), 100, 101); // applied late
    op(&mut h, 3, KvInput::Get("x"), read(Some("b")), 200, 201);
    assert_ok(&h);
}

#[test]
fn pending_write_that_never_took_effect() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 1);
    h.invoke(2, put("x", "b"), 2);
    h.invoke(2, cas("x", Some("a"), "c"), 3);
    h.invoke(2, KvInput::Get("x"), 4); // a pending read constrains nothing
    op(&mut h, 3, KvInput::Get("x"), read(Some("a")), 100, 101);
    op(&mut h, 3, KvInput::Get("x"), read(Some("a")), 200, 201);
    assert_ok(&h);
}

#[test]
fn pending_cas_that_took_effect_after_a_later_write() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 1);
    h.invoke(2, cas("x", Some("b"), "c"), 2); // pending: may apply much later
    op(&mut h, 3, put("x", "b"), KvOutput::Done, 10, 11);
    op(&mut h, 3, KvInput::Get("x"), read(Some("c")), 20, 21);
    assert_ok(&h);
}

#[test]
fn keys_are_checked_independently() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 10);
    op(&mut h, 2, put("y", "b"), KvOutput::Done, 0, 10);
    op(&mut h, 3, KvInput::Get("y"), read(Some("b")), 5, 6);
    op(&mut h, 3, KvInput::Get("x"), read(None), 7, 8);
    assert_ok(&h);
}

/// A semaphore: `Acquire` is impossible without a permit, whatever it returned.
struct Semaphore;

#[derive(Debug)]
enum Permit {
    Acquire,
    Release,
}

impl Model for Semaphore {
    type State = u32;
    type Input = Permit;
    type Output = ();

    fn init(&self) -> u32 {
        1
    }

    fn step(&self, permits: &u32, input: &Permit, _output: Option<&()>) -> Option<u32> {
        match input {
            Permit::Acquire => permits.checked_sub(1),
            Permit::Release => Some(permits + 1),
        }
    }
}

#[test]
fn a_pending_operation_may_never_take_effect_even_where_it_is_impossible() {
    let mut h = History::new();
    h.record(1, Permit::Acquire, (), 0, 1).unwrap();
    h.invoke(2, Permit::Acquire, 2); // waits forever: no permit is ever released
    assert_eq!(
        LinearizabilityChecker::new(Semaphore).check(&h),
        Verdict::Ok
    );
    h.record(3, Permit::Acquire, (), 3, 4).unwrap();
    let violation = LinearizabilityChecker::new(Semaphore).check(&h);
    assert_eq!(violation.violation().unwrap().partition, "history");
}

#[test]
fn a_pending_operation_may_be_the_only_explanation() {
    let mut h = History::new();
    h.record(1, Permit::Acquire, (), 0, 1).unwrap();
    h.invoke(2, Permit::Release, 2); // the client crashed, but the release happened:
    h.record(3, Permit::Acquire, (), 10, 11).unwrap(); // this acquire needed it
    assert_eq!(
        LinearizabilityChecker::new(Semaphore).check(&h),
        Verdict::Ok
    );
    h.record(3, Permit::Acquire, (), 20, 21).unwrap(); // one release, not two
    assert!(
        LinearizabilityChecker::new(Semaphore)
            .check(&h)
            .is_violation()
    );
}

// ---------------------------------------------------------------- rejected

#[test]
fn rejects_a_stale_read() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 5);
    let put_b = op(&mut h, 1, put("x", "b"), KvOutput::Done, 10, 20);
    let stale = op(&mut h, 2, KvInput::Get("x"), read(Some("a")), 30, 40);
    let violation = assert_violation(&h);
    assert_eq!(violation.partition, "key \"x\"");
    assert_eq!(violation.blocked, Some(stale));
    assert!(violation.longest_prefix.contains(&put_b));
    let text = violation.to_string();
    assert!(text.contains("key \"x\""), "{text}");
    assert!(
        text.contains("op#2 client 2 [30, 40] Get(\"x\") -> Value(Some(\"a\"))"),
        "{text}"
    );
    assert!(
        text.contains("op#1 client 1 [10, 20] Put(\"x\", \"b\") -> Done"),
        "{text}"
    );
    assert!(text.contains("impossible in this state"), "{text}");
}

#[test]
fn rejects_a_lost_write() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 5);
    op(&mut h, 2, put("x", "b"), KvOutput::Done, 10, 20); // acknowledged...
    op(&mut h, 3, KvInput::Get("x"), read(Some("a")), 30, 31); // ...never seen
    op(&mut h, 3, KvInput::Get("x"), read(Some("a")), 40, 41);
    assert_violation(&h);
}

#[test]
fn rejects_an_unacknowledged_value_that_disappears() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 5);
    h.invoke(2, put("x", "b"), 10); // never completes
    op(&mut h, 3, KvInput::Get("x"), read(Some("b")), 20, 21);
    op(&mut h, 3, KvInput::Get("x"), read(Some("a")), 30, 31);
    assert_violation(&h);
}

#[test]
fn rejects_a_cas_that_succeeds_twice_from_the_same_value() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 5);
    op(
        &mut h,
        2,
        cas("x", Some("a"), "b"),
        KvOutput::Cas(true),
        10,
        20,
    );
    op(
        &mut h,
        3,
        cas("x", Some("a"), "c"),
        KvOutput::Cas(true),
        10,
        20,
    );
    assert_violation(&h);
}

#[test]
fn rejects_a_read_of_a_value_never_written() {
    let mut h = History::new();
    op(&mut h, 1, put("x", "a"), KvOutput::Done, 0, 5);
    op(&mut h, 2, KvInput::Get("x"), read(Some("z")), 0, 10);
    let violation = assert_violation(&h);
    assert!(violation.to_string().contains("impossible in this state"));
}

#[test]
fn rejects_a_wrong_kind_of_answer() {
    let mut h = History::new();
    op(&mut h, 1, KvInput::Get("x"), KvOutput::Done, 0, 5);
    assert_violation(&h);
}

#[test]
fn rejects_appends_seen_out_of_order() {
    let mut h = History::new();
    op(&mut h, 1, append("x", "a"), KvOutput::Done, 0, 1);
    op(&mut h, 1, append("x", "b"), KvOutput::Done, 2, 3);
    op(&mut h, 2, KvInput::Get("x"), read(Some("ba")), 4, 5);
    assert_violation(&h);
}

#[test]
fn the_violated_key_is_named_among_healthy_ones() {
    let mut h = History::new();
    for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
        let t = 100 * i as u64;
        op(&mut h, 1, put(key, "1"), KvOutput::Done, t, t + 1);
        let seen = if key == "b" { None } else { Some("1") };
        op(&mut h, 2, KvInput::Get(key), read(seen), t + 2, t + 3);
    }
    let violation = assert_violation(&h);
    assert_eq!(violation.partition, "key \"b\"");
    assert_eq!(violation.operations, vec![OpId_of(&h, 2), OpId_of(&h, 3)]);
}

#[allow(non_snake_case, reason = "reads as the type it builds")]
fn OpId_of(h: &KvHistory, index: usize) -> OpId {
    h.iter().nth(index).unwrap().0
}

// ---------------------------------------------------------------- budget

fn sequential_puts(
    key: &'static str,
    count: u64,
    start: u64,
) -> Vec<(KvInput<&'static str, String>, u64)> {
    (0..count)
        .map(|i| (put(key, &i.to_string()), start + 2 * i))
        .collect()
}

#[test]
fn an_exhausted_budget_answers_unknown() {
    let mut h = History::new();
    for (input, t) in sequential_puts("a", 10, 0) {
        op(&mut h, 1, input, KvOutput::Done, t, t + 1);
    }
    let verdict = LinearizabilityChecker::new(Kv::new())
        .with_budget(Budget::steps(5))
        .check(&h);
    match verdict {
        Verdict::Unknown(inconclusive) => {
            assert_eq!(inconclusive.partitions, vec!["key \"a\"".to_string()]);
            assert_eq!(inconclusive.limit, Limit::Steps(5));
        }
        other => panic!("expected unknown, got {other}"),
    }
}

#[test]
fn a_violation_outranks_an_undecided_partition() {
    let mut h = History::new();
    // Key "a" needs at least a step per operation; key "b" a handful.
    for (input, t) in sequential_puts("a", 1_000, 0) {
        op(&mut h, 1, input, KvOutput::Done, t, t + 1);
    }
    op(&mut h, 2, put("b", "1"), KvOutput::Done, 0, 1);
    op(&mut h, 2, KvInput::Get("b"), read(None), 2, 3);
    let verdict = LinearizabilityChecker::new(Kv::new())
        .with_budget(Budget::steps(100))
        .check(&h);
    assert_eq!(verdict.violation().unwrap().partition, "key \"b\"");
}

#[test]
fn a_deep_history_needs_no_recursion() {
    let mut h = History::new();
    for (input, t) in sequential_puts("x", 10_000, 0) {
        op(&mut h, 1, input, KvOutput::Done, t, t + 1);
    }
    op(
        &mut h,
        2,
        KvInput::Get("x"),
        read(Some("9999")),
        30_000,
        30_001,
    );
    assert_eq!(check(&h), Verdict::Ok);
    op(
        &mut h,
        2,
        KvInput::Get("x"),
        read(Some("9998")),
        30_002,
        30_003,
    );
    assert!(check(&h).is_violation());
}

// ---------------------------------------------------------------- recording

#[test]
fn history_refuses_bad_completions() {
    let mut h: KvHistory = History::new();
    let a = h.invoke(1, put("x", "a"), 10);
    assert_eq!(
        h.complete(a, KvOutput::Done, 9),
        Err(HistoryError::ReturnBeforeInvoke {
            op: a,
            invoked_at: 10,
            returned_at: 9
        })
    );
    h.complete(a, KvOutput::Done, 10).unwrap();
    assert_eq!(
        h.complete(a, KvOutput::Done, 11),
        Err(HistoryError::AlreadyCompleted(a))
    );
    let mut other: KvHistory = History::new();
    assert_eq!(
        other.complete(a, KvOutput::Done, 11),
        Err(HistoryError::UnknownOp(a))
    );
    assert!(
        other
            .record(1, put("x", "a"), KvOutput::Done, 5, 4)
            .is_err()
    );
    assert!(other.is_empty());
    let op = h.get(a).unwrap();
    assert_eq!(
        (op.client(), op.invoked_at(), op.returned_at()),
        (1, 10, Some(10))
    );
    assert!(!op.is_pending());
}

// ---------------------------------------------------------------- properties

/// One planned operation: what it does and where its interval lies around
/// its linearization point.
#[derive(Clone, Debug)]
struct Planned {
    kind: u8,
    key: u8,
    value: u8,
    cas_expects_current: bool,
    before: u64,
    after: u64,
    /// 0: pending and never applied; 1: pending and applied; else completed.
    fate: u8,
}

fn planned() -> impl Strategy<Value = Planned> {
    (
        0..4u8,
        0..3u8,
        0..4u8,
        any::<bool>(),
        0..40u64,
        0..40u64,
        0..12u8,
    )
        .prop_map(
            |(kind, key, value, cas_expects_current, before, after, fate)| Planned {
                kind,
                key,
                value,
                cas_expects_current,
                before,
                after,
                fate,
            },
        )
}

type GenHistory = History<KvInput<u8, String>, KvOutput<String>>;

/// Runs `plan` sequentially (operation `i` takes effect at time `100 + 10 i`,
/// inside its interval) and records what each client saw: linearizable by
/// construction, with real-time overlaps of up to 40 ticks either side.
fn execute(plan: &[Planned]) -> GenHistory {
    let mut store: BTreeMap<u8, String> = BTreeMap::new();
    let mut history = History::new();
    for (i, p) in plan.iter().enumerate() {
        let at = 100 + 10 * i as u64;
        let value = format!("v{}", p.value);
        let current = store.get(&p.key).cloned();
        let input = match p.kind {
            0 => KvInput::Get(p.key),
            1 => KvInput::Put(p.key, value),
            2 => KvInput::Append(p.key, value),
            _ => KvInput::Cas {
                key: p.key,
                expected: if p.cas_expects_current {
                    current.clone()
                } else {
                    Some(value.clone())
                },
                new: format!("c{}", p.value),
            },
        };
        let applied = p.fate != 0;
        let output = match &input {
            KvInput::Get(_) => KvOutput::Value(current.clone()),
            KvInput::Put(key, value) => {
                if applied {
                    store.insert(*key, value.clone());
                }
                KvOutput::Done
            }
            KvInput::Append(key, value) => {
                if applied {
                    store.entry(*key).or_default().push_str(value);
                }
                KvOutput::Done
            }
            KvInput::Cas { key, expected, new } => {
                let swaps = current == *expected;
                if swaps && applied {
                    store.insert(*key, new.clone());
                }
                KvOutput::Cas(swaps)
            }
        };
        let client = i as u64 % 5;
        let id = history.invoke(client, input, at - p.before);
        if p.fate > 1 {
            history.complete(id, output, at + p.after).unwrap();
        }
    }
    history
}

/// Every completed read in `history`.
fn completed_reads(history: &GenHistory) -> Vec<OpId> {
    history
        .iter()
        .filter(|(_, op)| matches!(op.input(), KvInput::Get(_)) && !op.is_pending())
        .map(|(id, _)| id)
        .collect()
}

/// Whether some order of `history`'s operations respecting real time is
/// legal for `model`: plain enumeration, the test's independent oracle.
fn brute_force<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> bool {
    fn extend<M: Model>(
        model: &M,
        ops: &[raft_testkit::Operation<M::Input, M::Output>],
        used: &mut Vec<bool>,
        state: &M::State,
    ) -> bool {
        let done = ops
            .iter()
            .zip(used.iter())
            .all(|(op, &u)| u || op.is_pending());
        if done {
            return true;
        }
        for i in 0..ops.len() {
            let ready =
                !used[i] && (0..ops.len()).all(|j| used[j] || j == i || !ops[j].precedes(&ops[i]));
            if !ready {
                continue;
            }
            if let Some(next) = model.step(state, ops[i].input(), ops[i].output()) {
                used[i] = true;
                if extend(model, ops, used, &next) {
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    let ops = history.operations();
    extend(model, ops, &mut vec![false; ops.len()], &model.init())
}

/// Scrambles the outputs chosen by `noise`: reads of other values, flipped CAS results.
fn corrupt(history: &mut GenHistory, noise: &[(Index, u8)]) {
    for (index, value) in noise {
        let ids: Vec<OpId> = history
            .iter()
            .filter(|(_, op)| !op.is_pending())
            .map(|(id, _)| id)
            .collect();
        if ids.is_empty() {
            return;
        }
        let id = ids[index.index(ids.len())];
        if let Some(output) = history.output_mut(id) {
            *output = match output {
                KvOutput::Value(_) if *value == 0 => KvOutput::Value(None),
                KvOutput::Value(_) => KvOutput::Value(Some(format!("v{}", value % 4))),
                KvOutput::Cas(swapped) => KvOutput::Cas(!*swapped),
                KvOutput::Done => KvOutput::Done,
            };
        }
    }
}

proptest! {
    #[test]
    fn sequential_executions_with_overlaps_are_accepted(plan in prop::collection::vec(planned(), 0..60)) {
        let history = execute(&plan);
        let verdict = LinearizabilityChecker::new(KvModel::new()).check(&history);
        prop_assert_eq!(verdict, Verdict::Ok);
    }

    #[test]
    fn a_read_of_a_value_never_written_is_rejected(
        plan in prop::collection::vec(planned(), 1..60),
        pick in any::<Index>(),
    ) {
        let mut history = execute(&plan);
        let reads = completed_reads(&history);
        if !reads.is_empty() {
            let read = reads[pick.index(reads.len())];
            *history.output_mut(read).unwrap() = KvOutput::Value(Some("never written".to_string()));
            let verdict = LinearizabilityChecker::new(KvModel::new()).check(&history);
            let violation = verdict.violation();
            prop_assert!(violation.is_some(), "accepted: {:?}", history);
            let violation = violation.unwrap();
            let key = history.get(read).unwrap().input().key();
            prop_assert_eq!(&violation.partition, &format!("key {key:?}"));
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_brute_force_and_with_itself_unpartitioned(
        plan in prop::collection::vec(planned(), 0..8),
        noise in prop::collection::vec((any::<Index>(), 0..5u8), 0..3),
    ) {
        let mut history = execute(&plan);
        corrupt(&mut history, &noise);
        let model = KvModel::new();
        let expected = brute_force(&model, &history);
        let partitioned = LinearizabilityChecker::new(KvModel::new()).check(&history);
        let whole = LinearizabilityChecker::new(KvModel::new()).unpartitioned().check(&history);
        prop_assert_eq!(partitioned.is_ok(), expected, "{}", partitioned);
        prop_assert_eq!(whole.is_ok(), expected, "{}", whole);
        prop_assert!(!partitioned.is_unknown() && !whole.is_unknown());
    }
}
