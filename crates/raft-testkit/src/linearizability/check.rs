//! The checker: partitions a history, searches each part, gathers the verdict.

use super::budget::{Budget, Meter};
use super::explain::explain;
use super::history::{History, op_id};
use super::model::{Model, Partition};
use super::search::{Outcome, search};
use super::verdict::{Inconclusive, Verdict};

/// Checks histories for linearizability against a [`Model`].
///
/// The search is Wing & Gong's (1993), with Lowe's (2017) just-in-time
/// linearization and memoisation of (linearized set, model state) pairs, as
/// described for Porcupine (Athalye, 2017): iterative, so no history is too
/// deep, and bounded by a [`Budget`], so it answers
/// [`Verdict::Unknown`] rather than running forever. Each
/// [`Partition`] of the model is checked on its own.
///
/// ```
/// use raft_testkit::{History, KvInput, KvModel, KvOutput, LinearizabilityChecker, Verdict};
///
/// type Kv = KvModel<&'static str, String>;
/// let v = |s: &str| Some(s.to_string());
///
/// // Client 1 writes x=a then x=b; client 2 reads during the second write.
/// let mut history = History::new();
/// history.record(1, KvInput::Put("x", "a".into()), KvOutput::Done, 0, 10)?;
/// let put_b = history.invoke(1, KvInput::Put("x", "b".into()), 20);
/// let get = history.invoke(2, KvInput::Get("x"), 25);
/// history.complete(get, KvOutput::Value(v("a")), 30)?; // before or after b: both fine
/// history.complete(put_b, KvOutput::Done, 40)?;
/// // A client that timed out: its CAS may or may not have happened.
/// history.invoke(3, KvInput::Cas { key: "x", expected: v("b"), new: "c".into() }, 45);
/// history.record(2, KvInput::Get("x"), KvOutput::Value(v("c")), 50, 55)?;
///
/// let checker = LinearizabilityChecker::new(Kv::new());
/// assert_eq!(checker.check(&history), Verdict::Ok);
///
/// // A later read of the first value is stale: `b` was written before it began.
/// history.record(2, KvInput::Get("x"), KvOutput::Value(v("a")), 60, 65)?;
/// let verdict = checker.check(&history);
/// let violation = verdict.violation().unwrap();
/// assert_eq!(violation.partition, "key \"x\"");
/// println!("{violation}"); // names the key, the operations and their times
/// # Ok::<(), raft_testkit::HistoryError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LinearizabilityChecker<M> {
    model: M,
    budget: Budget,
    partitioned: bool,
}

impl<M: Model> LinearizabilityChecker<M> {
    /// A checker for `model` with the default [`Budget`].
    #[must_use]
    pub fn new(model: M) -> Self {
        Self {
            model,
            budget: Budget::default(),
            partitioned: true,
        }
    }

    /// Uses `budget` instead.
    #[must_use]
    pub fn with_budget(self, budget: Budget) -> Self {
        Self { budget, ..self }
    }

    /// Ignores [`Model::partition`] and checks every operation as one
    /// history: slower, and the same verdict (linearizability is
    /// compositional), which tests of a model's partitioning can rely on.
    #[must_use]
    pub fn unpartitioned(self) -> Self {
        Self {
            partitioned: false,
            ..self
        }
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The budget.
    #[must_use]
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Checks `history`: [`Verdict::Ok`] if it is linearizable,
    /// [`Verdict::Violation`] (the first violated partition) if not, and
    /// [`Verdict::Unknown`] if some partition was undecided within the
    /// budget and none was found violated.
    pub fn check(&self, history: &History<M::Input, M::Output>) -> Verdict {
        let operations = history.operations();
        let partitions = if self.partitioned {
            self.model.partition(operations)
        } else {
            vec![Partition::new(
                "history",
                (0..operations.len()).map(op_id).collect(),
            )]
        };
        let mut meter = Meter::start(self.budget);
        let mut undecided: Option<Inconclusive> = None;
        for partition in partitions {
            let mut ids = partition.ops;
            ids.sort_unstable();
            ids.dedup();
            let ops: Vec<_> = ids
                .into_iter()
                .filter_map(|id| history.get(id).map(|op| (id, op)))
                .collect();
            if let Some(limit) = meter.out_of_time() {
                undecided
                    .get_or_insert(Inconclusive {
                        partitions: Vec::new(),
                        limit,
                    })
                    .partitions
                    .push(partition.label);
                continue;
            }
            meter.next_partition();
            let just_ops: Vec<_> = ops.iter().map(|&(_, op)| op).collect();
            match search(&self.model, &just_ops, &mut meter) {
                Outcome::Linearizable => {}
                Outcome::Violation(witness) => {
                    return Verdict::Violation(Box::new(explain(
                        &self.model,
                        &partition.label,
                        &ops,
                        &witness,
                    )));
                }
                Outcome::Exhausted(limit) => undecided
                    .get_or_insert(Inconclusive {
                        partitions: Vec::new(),
                        limit,
                    })
                    .partitions
                    .push(partition.label),
            }
        }
        undecided.map_or(Verdict::Ok, Verdict::Unknown)
    }
}

/// Checks `history` against `model` with the default [`Budget`]: shorthand
/// for [`LinearizabilityChecker::new`]`(model).check(history)`.
///
/// ```
/// use raft_testkit::{History, KvInput, KvModel, KvOutput, check_linearizable};
///
/// let mut history = History::new();
/// history.record(1, KvInput::Put(7_u32, vec![1_u8]), KvOutput::Done, 0, 1)?;
/// history.record(2, KvInput::Get(7), KvOutput::Value(None), 2, 3)?; // lost write
/// assert!(check_linearizable(KvModel::new(), &history).is_violation());
/// # Ok::<(), raft_testkit::HistoryError>(())
/// ```
pub fn check_linearizable<M: Model>(model: M, history: &History<M::Input, M::Output>) -> Verdict {
    LinearizabilityChecker::new(model).check(history)
}
