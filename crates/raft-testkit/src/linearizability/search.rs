//! The search itself: Wing & Gong's backtracking with Lowe's just-in-time
//! linearization and memoised (linearized set, state) pairs.
//!
//! Every operation gives a call entry at its invocation time and (if it
//! completed) a return entry at its return time, sorted by time with calls
//! before returns at equal times, in a doubly linked list. Scanning from the
//! head, any call met before the first return entry may be linearized next
//! (nothing returned before it was invoked); linearizing it lifts both its
//! entries out of the list and restarts the scan. Meeting a return entry
//! means that operation was due and not linearized: undo the last choice
//! (re-link its entries, restore the state) and try the next call after it.
//! A configuration (linearized set, state) known to fail is never explored
//! again (see [`Memo`]).
//! Pending operations have no return entry: they may be linearized or not,
//! and the search succeeds once every completed operation is linearized.

use super::budget::{Limit, Meter};
use super::history::Operation;
use super::memo::{Linearized, Memo};
use super::model::Model;

/// No node: the end of the list.
const NIL: usize = usize::MAX;
/// The list's sentinel head node.
const HEAD: usize = 0;

/// What the search concluded about one partition.
#[derive(Debug)]
pub(crate) enum Outcome<S> {
    /// Some order of the operations is legal.
    Linearizable,
    /// No order is: the deepest point the search reached.
    Violation(Witness<S>),
    /// A limit ran out first.
    Exhausted(Limit),
}

/// The deepest dead end: operations are local indices into the partition.
#[derive(Debug)]
pub(crate) struct Witness<S> {
    /// A linearizable prefix of greatest length, in order.
    pub(crate) prefix: Vec<usize>,
    /// The model state after `prefix`.
    pub(crate) state: S,
    /// The operation whose return came before it could be linearized.
    pub(crate) blocked: Option<usize>,
    /// The operations that could have come next after `prefix`.
    pub(crate) candidates: Vec<usize>,
}

/// One list node past the head: an operation's call or return.
#[derive(Clone, Copy, Debug)]
enum Entry {
    Call(usize),
    Return(usize),
}

/// The doubly linked list of entries, with O(1) unlink and re-link.
struct Entries {
    /// `nodes[0]` is the head sentinel; `nodes[i]` for `i > 0` an entry.
    nodes: Vec<Option<Entry>>,
    next: Vec<usize>,
    prev: Vec<usize>,
    /// Per operation: its call node and its return node (if it completed).
    of_op: Vec<(usize, Option<usize>)>,
}

impl Entries {
    fn new<I, O>(ops: &[&Operation<I, O>]) -> Self {
        // (time, calls before returns, op) keeps the order deterministic.
        let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * ops.len());
        for (i, op) in ops.iter().enumerate() {
            events.push((op.invoked_at(), 0, i));
            if let Some(ret) = op.returned_at() {
                events.push((ret, 1, i));
            }
        }
        events.sort_unstable();
        let len = events.len() + 1;
        let mut nodes = Vec::with_capacity(len);
        nodes.push(None);
        let mut of_op = vec![(NIL, None); ops.len()];
        for (position, &(_, kind, op)) in events.iter().enumerate() {
            let node = position + 1;
            if let Some(slot) = of_op.get_mut(op) {
                if kind == 0 {
                    slot.0 = node;
                } else {
                    slot.1 = Some(node);
                }
            }
            nodes.push(Some(if kind == 0 {
                Entry::Call(op)
            } else {
                Entry::Return(op)
            }));
        }
        let next = (0..len)
            .map(|i| if i + 1 < len { i + 1 } else { NIL })
            .collect();
        let prev = (0..len).map(|i| i.wrapping_sub(1)).collect();
        Self {
            nodes,
            next,
            prev,
            of_op,
        }
    }

    fn first(&self) -> usize {
        self.next_of(HEAD)
    }

    fn next_of(&self, node: usize) -> usize {
        self.next.get(node).copied().unwrap_or(NIL)
    }

    fn entry(&self, node: usize) -> Option<Entry> {
        self.nodes.get(node).copied().flatten()
    }

    fn call_node(&self, op: usize) -> usize {
        self.of_op.get(op).map_or(NIL, |&(call, _)| call)
    }

    fn unlink(&mut self, node: usize) {
        let (Some(&prev), Some(&next)) = (self.prev.get(node), self.next.get(node)) else {
            return;
        };
        if let Some(slot) = self.next.get_mut(prev) {
            *slot = next;
        }
        if let Some(slot) = self.prev.get_mut(next) {
            *slot = prev;
        }
    }

    /// Re-links a node unlinked last among those still unlinked around it.
    fn relink(&mut self, node: usize) {
        let (Some(&prev), Some(&next)) = (self.prev.get(node), self.next.get(node)) else {
            return;
        };
        if let Some(slot) = self.next.get_mut(prev) {
            *slot = node;
        }
        if let Some(slot) = self.prev.get_mut(next) {
            *slot = node;
        }
    }

    /// Takes an operation's entries out of the list.
    fn lift(&mut self, op: usize) {
        if let Some(&(call, ret)) = self.of_op.get(op) {
            self.unlink(call);
            if let Some(ret) = ret {
                self.unlink(ret);
            }
        }
    }

    /// Undoes the latest [`lift`](Self::lift) still in force.
    fn unlift(&mut self, op: usize) {
        if let Some(&(call, ret)) = self.of_op.get(op) {
            if let Some(ret) = ret {
                self.relink(ret);
            }
            self.relink(call);
        }
    }

    /// The operations whose calls come before `stop` (or the end) in the list.
    fn calls_before(&self, stop: usize) -> Vec<usize> {
        let mut calls = Vec::new();
        let mut node = self.first();
        while node != NIL && node != stop {
            if let Some(Entry::Call(op)) = self.entry(node) {
                calls.push(op);
            }
            node = self.next_of(node);
        }
        calls
    }
}

/// One linearized operation on the search stack.
struct Frame<S> {
    op: usize,
    /// The state before it.
    before: S,
    /// Whether it is read-only ([`Model::is_read_only`]). Such a candidate
    /// can always go first: moved ahead of the operations linearized after
    /// it, it changes none of their states, and everything that must
    /// precede it in real time is already linearized (or it would not be a
    /// candidate). So if no linearization follows it, none follows any
    /// alternative to it either.
    read_only: bool,
}

/// Checks one partition's operations against `model`.
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    meter: &mut Meter,
) -> Outcome<M::State> {
    let mut entries = Entries::new(ops);
    let mut state = model.init();
    let mut linearized = Linearized::new(ops.iter().map(|op| op.is_pending()));
    let mut memo = Memo::new();
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut unlinearized_completed = ops.iter().filter(|op| !op.is_pending()).count();
    let mut deepest: Option<Witness<M::State>> = None;
    let mut node = entries.first();
    loop {
        if unlinearized_completed == 0 {
            return Outcome::Linearizable;
        }
        if let Err(limit) = meter.step() {
            return Outcome::Exhausted(limit);
        }
        let entry = entries.entry(node);
        if let Some(Entry::Call(op)) = entry {
            let Some(&operation) = ops.get(op) else {
                node = entries.next_of(node);
                continue;
            };
            let Some(next_state) = model.step(&state, operation.input(), operation.output()) else {
                node = entries.next_of(node);
                continue;
            };
            let read_only = model.is_read_only(operation.input(), operation.output());
            linearized.insert(op);
            if !memo.is_dead_end(&linearized, &next_state) {
                stack.push(Frame {
                    op,
                    before: std::mem::replace(&mut state, next_state),
                    read_only,
                });
                entries.lift(op);
                if !operation.is_pending() {
                    unlinearized_completed -= 1;
                }
                node = entries.first();
                continue;
            }
            linearized.remove(op);
            if !read_only {
                node = entries.next_of(node);
                continue;
            }
            // Going first with `op` fails: so does this configuration.
        } else if deepest
            .as_ref()
            .is_none_or(|witness| stack.len() > witness.prefix.len())
        {
            // A return entry (or, defensively, the end of the list while a
            // completed operation is still out): a dead end.
            let blocked = match entry {
                Some(Entry::Return(op) | Entry::Call(op)) => Some(op),
                None => None,
            };
            deepest = Some(Witness {
                prefix: stack.iter().map(|frame| frame.op).collect(),
                state: state.clone(),
                blocked,
                candidates: entries.calls_before(node),
            });
        }
        // Backtrack: undo choices until one with untried alternatives.
        loop {
            let Some(frame) = stack.pop() else {
                return match deepest {
                    Some(witness) => Outcome::Violation(witness),
                    None => Outcome::Linearizable,
                };
            };
            // This configuration's exploration is over, and failed.
            memo.record_dead_end(&linearized, std::mem::replace(&mut state, frame.before));
            linearized.remove(frame.op);
            entries.unlift(frame.op);
            if ops
                .get(frame.op)
                .is_some_and(|operation| !operation.is_pending())
            {
                unlinearized_completed += 1;
            }
            if !frame.read_only {
                node = entries.next_of(entries.call_node(frame.op));
                break;
            }
        }
    }
}
