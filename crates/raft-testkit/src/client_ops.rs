//! The bookkeeping of client operations on a simulated cluster: their
//! history, which are still pending, to which leader each was last sent,
//! and which ReadIndex read stands for which client read.

use std::collections::BTreeMap;

use raft_core::{NodeId, Term};

use crate::linearizability::{History, OpId, op_id};
use crate::state_machine::StateMachine;

/// Where and when a pending operation was last sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sent {
    leader: NodeId,
    term: Term,
    at: u64,
}

/// An operation not answered yet.
#[derive(Clone, Copy, Debug)]
struct Pending {
    /// A read (served by ReadIndex), or a write (through the log).
    read: bool,
    sent: Option<Sent>,
}

/// Every client operation of a cluster.
#[derive(Debug, Default)]
pub(crate) struct ClientOps {
    history: History<Vec<u8>, Vec<u8>>,
    /// Pending operations, by op id (the history index).
    pending: BTreeMap<u64, Pending>,
    /// ReadIndex read id -> the client read it serves.
    reads: BTreeMap<u64, u64>,
    /// Whether each operation (by op id) is a read.
    is_read: Vec<bool>,
}

/// An operation id as carried in the log.
fn wire(op: OpId) -> u64 {
    op.index() as u64
}

impl ClientOps {
    /// Records a client write, invoked at `now`.
    pub(crate) fn write(&mut self, client: u64, command: Vec<u8>, now: u64) -> OpId {
        self.invoke(client, command, now, false)
    }

    /// Records a client read, invoked at `now`.
    pub(crate) fn read(&mut self, client: u64, query: Vec<u8>, now: u64) -> OpId {
        self.invoke(client, query, now, true)
    }

    fn invoke(&mut self, client: u64, input: Vec<u8>, now: u64, read: bool) -> OpId {
        let op = self.history.invoke(client, input, now);
        self.pending.insert(wire(op), Pending { read, sent: None });
        self.is_read.push(read);
        op
    }

    /// The writes that completed (were acknowledged), by op id.
    pub(crate) fn acknowledged_writes(&self) -> impl Iterator<Item = u64> + '_ {
        self.history
            .iter()
            .zip(&self.is_read)
            .filter(|((_, operation), read)| !**read && !operation.is_pending())
            .map(|((id, _), _)| wire(id))
    }

    /// The history's id for the wire id `op`, if the history has it.
    fn id(&self, op: u64) -> Option<OpId> {
        let index = usize::try_from(op).ok()?;
        (index < self.history.len()).then(|| op_id(index))
    }

    /// The recorded history.
    pub(crate) fn history(&self) -> &History<Vec<u8>, Vec<u8>> {
        &self.history
    }

    /// How many operations are pending.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The pending operations to send to `leader` of `term` now: those
    /// never sent, sent to another leader or term, or sent `retry_after`
    /// ticks ago or more and still unanswered. With, for each, its input
    /// and whether it is a read.
    pub(crate) fn due(
        &self,
        leader: NodeId,
        term: Term,
        now: u64,
        retry_after: u64,
    ) -> Vec<(u64, Vec<u8>, bool)> {
        self.pending
            .iter()
            .filter(|(_, pending)| {
                pending.sent.is_none_or(|sent| {
                    (sent.leader, sent.term) != (leader, term) || now >= sent.at + retry_after
                })
            })
            .filter_map(|(&op, pending)| {
                let operation = self.history.get(self.id(op)?)?;
                Some((op, operation.input().clone(), pending.read))
            })
            .collect()
    }

    /// Notes that `op` was sent to `leader` of `term` at `now`.
    pub(crate) fn sent(&mut self, op: u64, leader: NodeId, term: Term, now: u64) {
        if let Some(pending) = self.pending.get_mut(&op) {
            pending.sent = Some(Sent {
                leader,
                term,
                at: now,
            });
        }
    }

    /// The ReadIndex read `read_id` serves the client read `op`.
    pub(crate) fn expect_read(&mut self, read_id: u64, op: u64) {
        self.reads.insert(read_id, op);
    }

    /// Node `node` applied write `op` for the first time, answering
    /// `response`: completes the operation if it is pending; otherwise the
    /// answer must be the one the client got (replicas agree).
    pub(crate) fn applied(
        &mut self,
        op: u64,
        response: Vec<u8>,
        node: NodeId,
        now: u64,
    ) -> Result<(), String> {
        let Some(id) = self.id(op) else {
            return Ok(()); // not one of ours
        };
        if self.pending.remove(&op).is_some() {
            return self
                .history
                .complete(id, response, now)
                .map_err(|error| error.to_string());
        }
        match self
            .history
            .get(id)
            .and_then(|operation| operation.output())
        {
            Some(answered) if *answered != response => Err(format!(
                "state machine determinism violated: node {node} answered client write {id} \
                 ({:?}) with {:?}, but the client was answered {:?}",
                String::from_utf8_lossy(self.history.get(id).map_or(&[], |o| o.input())),
                String::from_utf8_lossy(&response),
                String::from_utf8_lossy(answered),
            )),
            _ => Ok(()),
        }
    }

    /// The leader confirmed ReadIndex read `read_id` and applied through
    /// its index: if it serves a pending client read, `machine` answers it.
    pub(crate) fn read_ready(&mut self, read_id: u64, now: u64, machine: &dyn StateMachine) {
        let Some(op) = self.reads.remove(&read_id) else {
            return;
        };
        if self.pending.remove(&op).is_none() {
            return; // answered by an earlier attempt
        }
        self.reads.retain(|_, other| *other != op);
        let Some((id, operation)) = self
            .id(op)
            .and_then(|id| self.history.get(id).map(|operation| (id, operation)))
        else {
            return;
        };
        let response = machine.query(operation.input());
        // Cannot fail: the op is in the history, pending, invoked earlier.
        self.history.complete(id, response, now).ok();
    }
}
