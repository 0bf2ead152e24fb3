//! Client operations on a simulated cluster, as a user's clients would
//! issue them: writes through the log, exactly once, and linearizable
//! reads; each routed to the leader, resent when leadership moves or an
//! answer is late, and recorded in a history to check for
//! linearizability.

use raft_core::{Event, NodeId};

use super::Cluster;
use crate::disk::SimDisk;
use crate::envelope;
use crate::failure::SimResult;
use crate::linearizability::{History, LinearizabilityChecker, Model, OpId, Verdict};
use crate::state_machine::StateMachine;

impl<D: SimDisk> Cluster<D> {
    /// Client `client` writes `command` now. From the next tick on, the
    /// cluster sends it to the leader (wrapped in a small header naming the
    /// operation), and resends it whenever leadership moves, or it is not
    /// applied within two election timeouts, until it is. However often it
    /// reaches the log, each replica's [`StateMachine`] applies it once. It
    /// completes, with the machine's response, at the tick it is first
    /// applied anywhere. Invocation and completion are recorded in the
    /// [`history`](Self::history).
    ///
    /// ```
    /// use raft_testkit::{Cluster, KvInput, KvMachine, KvOutput, kv};
    ///
    /// let mut cluster = Cluster::builder().seed(2).state_machine(KvMachine::default).build();
    /// let put = cluster.client_write(1, kv::encode_input(&KvInput::Put(b"x".to_vec(), b"1".to_vec())));
    /// let get = cluster.client_read(2, kv::encode_input(&KvInput::Get(b"x".to_vec())));
    /// cluster.run_until_complete(&[put, get], 1_000).unwrap();
    /// assert_eq!(kv::decode_output(cluster.response(put).unwrap()), Some(KvOutput::Done));
    /// ```
    pub fn client_write(&mut self, client: u64, command: Vec<u8>) -> OpId {
        self.clients.write(client, command, self.client_time())
    }

    /// Client `client` reads with `query` now. From the next tick on, the
    /// cluster sends a ReadIndex read (`Event::Read`) to the leader, resent
    /// like a write; when a leader answers it (`Action::ReadReady`), that
    /// leader's [`StateMachine::query`] answers `query`, and the read
    /// completes. The cluster also checks that the read index reflects
    /// every write applied before the read was sent.
    pub fn client_read(&mut self, client: u64, query: Vec<u8>) -> OpId {
        self.clients.read(client, query, self.client_time())
    }

    /// Whether operation `op` completed.
    pub fn completed(&self, op: OpId) -> bool {
        self.response(op).is_some()
    }

    /// The response to operation `op`, once it completed.
    pub fn response(&self, op: OpId) -> Option<&[u8]> {
        self.clients
            .history()
            .get(op)
            .and_then(|operation| operation.output())
            .map(Vec::as_slice)
    }

    /// How many client operations have not completed yet.
    pub fn pending_ops(&self) -> usize {
        self.clients.pending()
    }

    /// Every client operation so far, with its invocation and completion
    /// ticks (an operation not completed is pending). An operation invoked
    /// between ticks `t` and `t + 1` is recorded as invoked at `t + 1`, the
    /// tick it is first sent in; one completed during tick `t`, at `t`. So
    /// an operation invoked after another completed is ordered after it,
    /// and operations that overlapped are never ordered.
    pub fn history(&self) -> &History<Vec<u8>, Vec<u8>> {
        self.clients.history()
    }

    /// Retried client writes that reached a replica's log again after it
    /// had applied them, and that its state machine therefore skipped.
    pub fn duplicates_suppressed(&self) -> u64 {
        self.duplicates
    }

    /// Node `id`'s state machine, while the node runs.
    pub fn state_machine(&self, id: NodeId) -> Option<&(dyn StateMachine + Send)> {
        self.machines
            .get(&id)
            .filter(|machine| machine.node.is_some())
            .map(|machine| machine.replica.machine().as_ref())
    }

    /// Ticks until every operation in `ops` completed, for at most
    /// `max_ticks`.
    ///
    /// # Errors
    /// A [`SimFailure`](crate::SimFailure) if a property breaks, or if some
    /// operation is still pending after `max_ticks`.
    pub fn run_until_complete(&mut self, ops: &[OpId], max_ticks: u64) -> SimResult {
        self.run_until(max_ticks, |cluster| {
            ops.iter().all(|&op| cluster.completed(op))
        })
    }

    /// Checks the [`history`](Self::history) against `model`, a sequential
    /// specification over the bytes clients sent and received (see
    /// [`KvBytesModel`](crate::KvBytesModel) for [`KvMachine`](crate::KvMachine)).
    /// Returns the verdict: [`Verdict::Ok`], or [`Verdict::Unknown`] if the
    /// checker's budget ran out.
    ///
    /// # Errors
    /// A [`SimFailure`](crate::SimFailure) explaining the violation if the
    /// history is not linearizable.
    pub fn check_linearizable<M>(&self, model: M) -> SimResult<Verdict>
    where
        M: Model<Input = Vec<u8>, Output = Vec<u8>>,
    {
        self.check_linearizable_with(LinearizabilityChecker::new(model))
    }

    /// [`check_linearizable`](Self::check_linearizable) with a checker of
    /// your own (say, with a smaller [`Budget`](crate::Budget)).
    ///
    /// # Errors
    /// A [`SimFailure`](crate::SimFailure) explaining the violation if the
    /// history is not linearizable.
    pub fn check_linearizable_with<M>(
        &self,
        checker: LinearizabilityChecker<M>,
    ) -> SimResult<Verdict>
    where
        M: Model<Input = Vec<u8>, Output = Vec<u8>>,
    {
        let verdict = checker.check(self.clients.history());
        match verdict.violation() {
            Some(violation) => Err(self.fail(format_args!(
                "linearizability violated by the client history: {violation}"
            ))),
            None => Ok(verdict),
        }
    }

    /// Sends (or resends) the pending client operations to the leader.
    pub(super) fn drive_clients(&mut self) -> SimResult {
        if self.clients.pending() == 0 {
            return Ok(());
        }
        let Some(leader) = self.leader().filter(|&id| !self.is_paused(id)) else {
            return Ok(());
        };
        let Some(term) = self.node(leader).map(|node| node.term()) else {
            return Ok(());
        };
        for (op, input, read) in self.clients.due(leader, term, self.now, self.retry_after) {
            if !self.is_up(leader) {
                break; // the leader died taking an earlier operation
            }
            let read_id = read.then(|| self.register_read());
            let stepped = match read_id {
                Some(id) => {
                    // Before the step: a sole voter answers within it.
                    self.clients.expect_read(id, op);
                    self.step(leader, Event::Read { id })?
                }
                None => self.step_propose(leader, envelope::wrap(op, &input))?,
            };
            if stepped.is_ok() {
                self.clients.sent(op, leader, term, self.now);
            }
        }
        Ok(())
    }
}
