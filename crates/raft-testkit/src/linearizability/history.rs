//! Recording a concurrent history: invocations and completions in simulated time.

use std::fmt;

/// Names one operation of a [`History`]: its position in recording order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(usize);

impl OpId {
    /// The operation's position in the history, from 0, in invocation-recording order.
    #[must_use]
    pub fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op#{}", self.0)
    }
}

/// One operation: who invoked what, when, and (if it completed) what it
/// returned and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    client: u64,
    input: I,
    invoked_at: u64,
    completion: Option<(O, u64)>,
}

impl<I, O> Operation<I, O> {
    /// The client that invoked the operation (informational only: the
    /// checker orders operations by time, not by client).
    #[must_use]
    pub fn client(&self) -> u64 {
        self.client
    }

    /// What was asked.
    #[must_use]
    pub fn input(&self) -> &I {
        &self.input
    }

    /// What was answered, or `None` for an operation that never completed.
    #[must_use]
    pub fn output(&self) -> Option<&O> {
        self.completion.as_ref().map(|(output, _)| output)
    }

    /// When the operation was invoked.
    #[must_use]
    pub fn invoked_at(&self) -> u64 {
        self.invoked_at
    }

    /// When the answer was received, or `None` for an operation that never
    /// completed (its return time is unbounded).
    #[must_use]
    pub fn returned_at(&self) -> Option<u64> {
        self.completion.as_ref().map(|&(_, time)| time)
    }

    /// Whether the operation never completed.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        self.completion.is_none()
    }

    /// Whether `self` returned strictly before `other` was invoked, so that
    /// every linearization must order `self` first. Equal times overlap.
    #[must_use]
    pub fn precedes<I2, O2>(&self, other: &Operation<I2, O2>) -> bool {
        self.returned_at().is_some_and(|ret| ret < other.invoked_at)
    }
}

/// Why a [`History`] refused a recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    /// No operation has this id in this history.
    UnknownOp(OpId),
    /// The operation was already completed.
    AlreadyCompleted(OpId),
    /// The completion is earlier than the invocation.
    ReturnBeforeInvoke {
        /// The operation.
        op: OpId,
        /// When it was invoked.
        invoked_at: u64,
        /// The (earlier) completion time given.
        returned_at: u64,
    },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOp(op) => write!(f, "{op} is not in this history"),
            Self::AlreadyCompleted(op) => write!(f, "{op} was already completed"),
            Self::ReturnBeforeInvoke {
                op,
                invoked_at,
                returned_at,
            } => write!(
                f,
                "{op} invoked at {invoked_at} cannot return earlier, at {returned_at}"
            ),
        }
    }
}

impl std::error::Error for HistoryError {}

/// A concurrent history of operations on one object, in simulated time.
///
/// Record each operation with [`invoke`](Self::invoke) when a client sends
/// it and [`complete`](Self::complete) when the client gets its answer.
/// Operations never completed (the client timed out or crashed) stay
/// pending: the checker lets each of them take effect at any point after
/// its invocation, or never.
///
/// Operation `a` precedes `b` in real time only if `a` returned strictly
/// before `b` was invoked; equal times count as overlapping. Times need not
/// be recorded in order.
///
/// ```
/// use raft_testkit::{History, KvInput, KvOutput};
///
/// let mut history = History::new();
/// let put = history.invoke(1, KvInput::Put("x", 1), 0);
/// let get = history.invoke(2, KvInput::Get("x"), 2);
/// history.complete(put, KvOutput::Done, 5)?;
/// history.complete(get, KvOutput::Value(Some(1)), 6)?;
/// let _timed_out = history.invoke(3, KvInput::Put("x", 2), 7); // never completes
/// assert_eq!(history.len(), 3);
/// assert!(history.get(put).is_some_and(|op| op.returned_at() == Some(5)));
/// # Ok::<(), raft_testkit::HistoryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<I, O> {
    ops: Vec<Operation<I, O>>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I, O> History<I, O> {
    /// An empty history.
    #[must_use]
    pub fn new() -> Self {
        Self { ops: Vec::new() }
    }

    /// Records that `client` invoked `input` at `time`; the operation is
    /// pending until [`complete`](Self::complete)d.
    pub fn invoke(&mut self, client: u64, input: I, time: u64) -> OpId {
        self.ops.push(Operation {
            client,
            input,
            invoked_at: time,
            completion: None,
        });
        OpId(self.ops.len() - 1)
    }

    /// Records that `op` returned `output` at `time`.
    ///
    /// # Errors
    ///
    /// If `op` is not in this history, was already completed, or `time` is
    /// before its invocation. The history is then unchanged.
    pub fn complete(&mut self, op: OpId, output: O, time: u64) -> Result<(), HistoryError> {
        let operation = self.ops.get_mut(op.0).ok_or(HistoryError::UnknownOp(op))?;
        if operation.completion.is_some() {
            return Err(HistoryError::AlreadyCompleted(op));
        }
        if time < operation.invoked_at {
            return Err(HistoryError::ReturnBeforeInvoke {
                op,
                invoked_at: operation.invoked_at,
                returned_at: time,
            });
        }
        operation.completion = Some((output, time));
        Ok(())
    }

    /// Records a completed operation at once: [`invoke`](Self::invoke) then
    /// [`complete`](Self::complete).
    ///
    /// # Errors
    ///
    /// If `returned_at < invoked_at`; nothing is recorded then.
    pub fn record(
        &mut self,
        client: u64,
        input: I,
        output: O,
        invoked_at: u64,
        returned_at: u64,
    ) -> Result<OpId, HistoryError> {
        if returned_at < invoked_at {
            return Err(HistoryError::ReturnBeforeInvoke {
                op: OpId(self.ops.len()),
                invoked_at,
                returned_at,
            });
        }
        let op = self.invoke(client, input, invoked_at);
        self.complete(op, output, returned_at)?;
        Ok(op)
    }

    /// The operation named `op`, if it is in this history.
    #[must_use]
    pub fn get(&self, op: OpId) -> Option<&Operation<I, O>> {
        self.ops.get(op.0)
    }

    /// Mutable access to the operation named `op`'s recorded output, to
    /// build altered histories in tests. `None` if `op` is unknown or pending.
    pub fn output_mut(&mut self, op: OpId) -> Option<&mut O> {
        self.ops
            .get_mut(op.0)
            .and_then(|operation| operation.completion.as_mut().map(|(output, _)| output))
    }

    /// Every operation, in recording order (an operation's index is its [`OpId`]).
    #[must_use]
    pub fn operations(&self) -> &[Operation<I, O>] {
        &self.ops
    }

    /// The operations with their ids, in recording order.
    pub fn iter(&self) -> impl Iterator<Item = (OpId, &Operation<I, O>)> {
        self.ops.iter().enumerate().map(|(i, op)| (OpId(i), op))
    }

    /// The number of operations recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Builds an [`OpId`] from an index (crate-internal: ids come from histories).
pub(crate) fn op_id(index: usize) -> OpId {
    OpId(index)
}
