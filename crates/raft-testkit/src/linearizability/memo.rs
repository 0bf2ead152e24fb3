//! The memo of configurations (linearized operations, model state) known to
//! lead nowhere.
//!
//! A configuration is the set of completed operations linearized, the set
//! of pending ones linearized, and the model state. If one has no
//! completion, neither has any configuration with the same completed set
//! and state but more pending operations linearized: every completion of
//! the latter completes the former too (a pending operation may stay out
//! for ever, and it precedes nothing in real time). So besides exact
//! repeats, a configuration is pruned when a failed one with a subset of
//! its pending operations is known, which keeps pending operations that
//! never took effect from multiplying the search.
//!
//! Only configurations whose exploration has finished are recorded, so
//! every entry is a proven dead end.

use std::collections::HashMap;
use std::hash::Hash;

use super::bitset::BitSet;

/// The operations linearized so far: completed and pending ones apart.
#[derive(Debug)]
pub(crate) struct Linearized {
    completed: BitSet,
    pending: BitSet,
    /// Per operation: whether it is pending, and its bit in that set.
    slots: Vec<(bool, usize)>,
}

impl Linearized {
    /// None linearized yet, of operations pending or not as `pending` says.
    pub(crate) fn new(pending: impl IntoIterator<Item = bool>) -> Self {
        let (mut completed_count, mut pending_count) = (0, 0);
        let slots: Vec<_> = pending
            .into_iter()
            .map(|is_pending| {
                let count = if is_pending {
                    &mut pending_count
                } else {
                    &mut completed_count
                };
                *count += 1;
                (is_pending, *count - 1)
            })
            .collect();
        Self {
            completed: BitSet::new(completed_count),
            pending: BitSet::new(pending_count),
            slots,
        }
    }

    /// Marks operation `op` linearized.
    pub(crate) fn insert(&mut self, op: usize) {
        match self.slots.get(op) {
            Some(&(true, slot)) => self.pending.set(slot),
            Some(&(false, slot)) => self.completed.set(slot),
            None => {}
        }
    }

    /// Marks operation `op` not linearized.
    pub(crate) fn remove(&mut self, op: usize) {
        match self.slots.get(op) {
            Some(&(true, slot)) => self.pending.clear(slot),
            Some(&(false, slot)) => self.completed.clear(slot),
            None => {}
        }
    }
}

/// Failed configurations: per (completed set, state), the pending sets.
#[derive(Debug)]
pub(crate) struct Memo<S> {
    failed: HashMap<(BitSet, S), Vec<BitSet>>,
}

impl<S: Eq + Hash> Memo<S> {
    pub(crate) fn new() -> Self {
        Self {
            failed: HashMap::new(),
        }
    }

    /// Whether the configuration is known to have no completion.
    pub(crate) fn is_dead_end(&self, linearized: &Linearized, state: &S) -> bool
    where
        S: Clone,
    {
        // `HashMap::get` needs the owned key type; the clones are the price
        // of a tuple key (and of no unsafe code).
        self.failed
            .get(&(linearized.completed.clone(), state.clone()))
            .is_some_and(|sets| {
                sets.iter()
                    .any(|known| known.is_subset(&linearized.pending))
            })
    }

    /// Records a configuration whose exploration found no completion.
    pub(crate) fn record_dead_end(&mut self, linearized: &Linearized, state: S) {
        let pending = linearized.pending.clone();
        let sets = self
            .failed
            .entry((linearized.completed.clone(), state))
            .or_default();
        if sets.iter().any(|known| known.is_subset(&pending)) {
            return;
        }
        // Keep an antichain: the new set subsumes its supersets.
        sets.retain(|known| !pending.is_subset(known));
        sets.push(pending);
    }
}
