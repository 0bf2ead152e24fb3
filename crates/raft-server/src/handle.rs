//! `RaftHandle`: what the application holds to use its node. Cheap to
//! clone; every method returns at once with a [`Pending`] answer.

use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

use raft_core::NodeId;

use crate::error::ServerError;
use crate::pending::{Pending, pending};
use crate::request::{Input, MembershipChange, Request};
use crate::status::ServerStatus;

/// A handle on a running node. Clone it freely; it is `Send + Sync`.
///
/// Every method queues a request for the consensus thread and returns a
/// [`Pending`] that `wait()`s (synchronous code) or `.await`s (async code).
#[derive(Clone, Debug)]
pub struct RaftHandle {
    inputs: SyncSender<Input>,
    request_timeout: Duration,
}

impl RaftHandle {
    pub(crate) fn new(inputs: SyncSender<Input>, request_timeout: Duration) -> Self {
        Self {
            inputs,
            request_timeout,
        }
    }

    /// Replicates `command` and answers with the state machine's response
    /// once it is applied on this node.
    ///
    /// Errors: `NotLeader` (naming the leader) on a follower; `Lost` if
    /// another leader's entry took its place; `Timeout` after the request
    /// timeout (it may still apply); `ShuttingDown`. An empty command is
    /// refused (the core applies only non-empty entries).
    pub fn propose(&self, command: Vec<u8>) -> Pending<Vec<u8>> {
        if command.is_empty() {
            return Pending::ready(Err(ServerError::Refused(
                raft_core::Error::InvalidRequest {
                    what: "an empty command",
                },
            )));
        }
        let (reply, answer) = pending();
        let deadline = self.deadline();
        self.submit(
            Request::Propose {
                command,
                deadline,
                reply,
            },
            answer,
        )
    }

    /// A linearizable read (ReadIndex, Raft thesis 6.4): `query` is
    /// answered by the state machine once it reflects every write
    /// acknowledged before the read was made. Leader only (`NotLeader`
    /// elsewhere).
    pub fn read(&self, query: Vec<u8>) -> Pending<Vec<u8>> {
        let (reply, answer) = pending();
        let deadline = self.deadline();
        self.submit(
            Request::Read {
                query,
                deadline,
                reply,
            },
            answer,
        )
    }

    /// Proposes a membership change. Answers once the leader has accepted
    /// it (appended it to its log); watch [`status`](Self::status) for the
    /// new configuration.
    pub fn change_membership(&self, change: MembershipChange) -> Pending<()> {
        let (reply, answer) = pending();
        self.submit(Request::Membership { change, reply }, answer)
    }

    /// Asks the leader to hand leadership to voter `to` (Raft thesis
    /// 3.10). Answers once the transfer has started.
    pub fn transfer_leadership(&self, to: NodeId) -> Pending<()> {
        let (reply, answer) = pending();
        self.submit(Request::Transfer { to, reply }, answer)
    }

    /// The node's current status.
    pub fn status(&self) -> Pending<ServerStatus> {
        let (reply, answer) = pending();
        self.submit(Request::Status { reply }, answer)
    }

    /// Asks the node to stop; [`RaftServer::shutdown`](crate::RaftServer)
    /// also waits for it. Pending requests answer `ShuttingDown`.
    pub fn shutdown(&self) {
        // A full queue or a stopped node: it is stopping anyway or will
        // see the shutdown when the server is dropped.
        let _ = self.inputs.try_send(Input::Request(Request::Shutdown));
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.request_timeout
    }

    fn submit<T>(&self, request: Request, answer: Pending<T>) -> Pending<T> {
        match self.inputs.try_send(Input::Request(request)) {
            Ok(()) => answer,
            // The refused request's responder is dropped with the error
            // (answering a `Pending` nobody holds); say what happened.
            Err(TrySendError::Full(_)) => Pending::ready(Err(ServerError::Overloaded)),
            // The node stopped: the dropped responder answered `ShuttingDown`.
            Err(TrySendError::Disconnected(_)) => answer,
        }
    }
}
