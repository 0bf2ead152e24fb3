//! Deferred durability: group commit for a program that steps one event at
//! a time, and the leader's disk write in parallel with replication
//! (thesis 10.2.1).
//!
//! With `RaftConfig::with_deferred_sync(true)`, a step does not `sync`.
//! What may leave before the step's writes are durable leaves at once: a
//! leader's `AppendEntries` (the leader counts its own log toward commit
//! only once it is durable, so its followers may store the entries first),
//! its snapshot chunks, read probes and `TimeoutNow`, and pre-votes (which
//! change nothing). Everything else a step produces (votes and replies that
//! promise durable state, applies, read answers...) is held, in order,
//! until [`RaftNode::flush`] makes every write durable with **one** `sync`
//! and hands it out. Call `flush` whenever the events at hand are stepped:
//! after one, or after a burst of them.

use super::RaftNode;
use crate::error::Result;
use crate::event::Action;
use crate::log::RaftLog;
use crate::message::Message;

/// Whether `action` may be carried out before the step's writes are
/// durable.
fn may_leave_before_sync(action: &Action) -> bool {
    match action {
        Action::Send { message, .. } => matches!(
            message,
            Message::AppendEntries(_)
                | Message::AppendShared(_)
                | Message::SnapshotChunk(_)
                | Message::InstallSnapshot(_)
                | Message::ReadProbe(_)
                | Message::TimeoutNow(_)
                | Message::PreVote(_)
        ),
        _ => false,
    }
}

impl<L: RaftLog> RaftNode<L> {
    /// **(ours)** With deferred sync: makes every write so far durable with
    /// one `sync` and returns what the steps since the last flush held back
    /// (and what the durable writes now allow: commits, applies, reads), in
    /// order. Without deferred sync, every step is already durable and this
    /// returns what a step with nothing to do would.
    ///
    /// # Errors
    /// [`Error::Storage`](crate::Error::Storage) if the `sync` failed; the
    /// node must stop.
    ///
    /// ```
    /// use raft_core::{Action, Event, RaftConfig, RaftNode};
    /// let mut node = RaftNode::new(RaftConfig::single(1).with_deferred_sync(true));
    /// while !node.is_leader() {
    ///     node.step(Event::Tick).unwrap();
    ///     node.flush().unwrap();
    /// }
    /// // Two proposals, one sync: nothing applies until the flush.
    /// assert!(node.step(Event::Propose(b"a".to_vec())).unwrap().is_empty());
    /// assert!(node.step(Event::Propose(b"b".to_vec())).unwrap().is_empty());
    /// let applied = node.flush().unwrap();
    /// assert_eq!(applied.iter().filter(|a| matches!(a, Action::Apply { .. })).count(), 2);
    /// ```
    pub fn flush(&mut self) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        self.flush_into(&mut out)?;
        Ok(out)
    }

    /// [`flush`](Self::flush) into a reused buffer.
    pub fn flush_into(&mut self, out: &mut Vec<Action>) -> Result<()> {
        self.flushing = true;
        let held = std::mem::take(&mut self.held);
        let len_before = out.len();
        out.extend(held);
        let result = self.run_step(out, |_| Ok(()));
        self.flushing = false;
        if result.is_err() {
            out.truncate(len_before);
        }
        result
    }

    /// Whether this step's writes are to be made durable now.
    pub(super) fn sync_now(&self) -> bool {
        !self.config.deferred_sync() || self.flushing
    }

    /// After a deferred step: keeps in `out` (from `from` on) only what may
    /// leave before the writes are durable, and holds the rest, in order.
    /// Allocation-free once warm; a step that wrote nothing and holds
    /// nothing is left as it is.
    #[inline]
    pub(super) fn hold_until_durable(&mut self, out: &mut Vec<Action>, from: usize) {
        if !self.config.deferred_sync() || self.flushing {
            return;
        }
        if !self.unsynced && self.held.is_empty() {
            return;
        }
        self.hold_back(out, from);
    }

    fn hold_back(&mut self, out: &mut Vec<Action>, from: usize) {
        let mut scratch = std::mem::take(&mut self.hold_scratch);
        scratch.extend(out.drain(from..));
        for action in scratch.drain(..) {
            if may_leave_before_sync(&action) {
                out.push(action);
            } else {
                self.held.push(action);
            }
        }
        self.hold_scratch = scratch;
    }
}
