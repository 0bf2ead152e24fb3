//! The sequential specification a history is checked against.

use std::fmt::Debug;
use std::hash::Hash;

use super::history::{OpId, Operation, op_id};

/// One independent sub-history: the operations it holds and a label naming
/// it in reports (for a key-value store, the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Names the partition in reports, e.g. `key "x"`.
    pub label: String,
    /// The operations of the partition.
    pub ops: Vec<OpId>,
}

impl Partition {
    /// A partition labelled `label` holding `ops`.
    #[must_use]
    pub fn new(label: impl Into<String>, ops: Vec<OpId>) -> Self {
        Self {
            label: label.into(),
            ops,
        }
    }
}

/// A sequential object: the specification that a concurrent history must
/// match in some order consistent with real time.
///
/// The model must be deterministic given the output: from one state, one
/// input with one output leads to at most one next state.
///
/// ```
/// use raft_testkit::{History, LinearizabilityChecker, Model};
///
/// /// A counter: `true` increments and returns nothing, `false` reads.
/// struct Counter;
///
/// impl Model for Counter {
///     type State = u64;
///     type Input = bool;
///     type Output = Option<u64>;
///
///     fn init(&self) -> u64 {
///         0
///     }
///
///     fn step(&self, state: &u64, increment: &bool, output: Option<&Option<u64>>) -> Option<u64> {
///         match (increment, output) {
///             (true, None | Some(None)) => Some(state + 1),
///             (false, None) => Some(*state),
///             (false, Some(Some(read))) if read == state => Some(*state),
///             _ => None,
///         }
///     }
/// }
///
/// let mut history = History::new();
/// history.record(1, true, None, 0, 10)?;
/// history.record(2, false, Some(1), 5, 6)?; // overlaps the increment: fine
/// history.record(2, false, Some(0), 11, 12)?; // after it: stale
/// assert!(LinearizabilityChecker::new(Counter).check(&history).is_violation());
/// # Ok::<(), raft_testkit::HistoryError>(())
/// ```
pub trait Model {
    /// The object's state. Hashed and compared to remember explored
    /// (linearized set, state) pairs, so keep it small.
    type State: Clone + Eq + Hash + Debug;
    /// An operation's request.
    type Input: Debug;
    /// An operation's response.
    type Output: Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies `input` to `state`. `output` is what the operation returned,
    /// or `None` for an operation that never completed (any output is
    /// acceptable then). Returns the next state, or `None` if this output is
    /// impossible from `state`.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// Whether an operation with this input and output never changes the
    /// state, from any state where it is possible (a read; a
    /// compare-and-set that failed). Optional, default `false`; answering
    /// `true` lets the search linearize such an operation as soon as it may
    /// and never try it elsewhere, which prunes the orderings of concurrent
    /// reads. Answering `true` wrongly makes the checker unsound.
    fn is_read_only(&self, input: &Self::Input, output: Option<&Self::Output>) -> bool {
        let _ = (input, output);
        false
    }

    /// Splits a history into independent sub-histories, each checked on its
    /// own from [`init`](Self::init): the whole history is linearizable iff
    /// every part is (linearizability is compositional). Every operation
    /// should be in exactly one partition; operations left out are not
    /// checked. The default is one partition holding everything.
    fn partition(&self, ops: &[Operation<Self::Input, Self::Output>]) -> Vec<Partition> {
        vec![Partition::new(
            "history",
            (0..ops.len()).map(op_id).collect(),
        )]
    }
}
