//! What the handle, the transport and the apply thread send to the
//! consensus thread: one channel, so one loop sees every input in order.

use std::net::SocketAddr;
use std::time::Instant;

use raft_core::{Index, Message, NodeId};

use crate::pending::Responder;
use crate::status::ServerStatus;

/// A change of the cluster's membership.
///
/// ```
/// use raft_server::MembershipChange;
/// let change = MembershipChange::AddServer { id: 4, addr: "127.0.0.1:7004".parse().unwrap() };
/// assert_eq!(change.node(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembershipChange {
    /// Add a voter listening at `addr` (Raft thesis 4.1).
    AddServer {
        /// The new node.
        id: NodeId,
        /// Where it listens for peers.
        addr: SocketAddr,
    },
    /// Remove a voter.
    RemoveServer {
        /// The node to remove.
        id: NodeId,
    },
    /// Add a non-voting learner listening at `addr`.
    AddLearner {
        /// The new node.
        id: NodeId,
        /// Where it listens for peers.
        addr: SocketAddr,
    },
    /// Make a caught-up learner a voter.
    PromoteLearner {
        /// The learner.
        id: NodeId,
    },
}

impl MembershipChange {
    /// The node the change is about.
    pub fn node(&self) -> NodeId {
        match self {
            MembershipChange::AddServer { id, .. }
            | MembershipChange::RemoveServer { id }
            | MembershipChange::AddLearner { id, .. }
            | MembershipChange::PromoteLearner { id } => *id,
        }
    }
}

/// A caller's request.
pub(crate) enum Request {
    Propose {
        command: Vec<u8>,
        deadline: Instant,
        reply: Responder<Vec<u8>>,
    },
    Read {
        query: Vec<u8>,
        deadline: Instant,
        reply: Responder<Vec<u8>>,
    },
    Membership {
        change: MembershipChange,
        reply: Responder<()>,
    },
    Transfer {
        to: NodeId,
        reply: Responder<()>,
    },
    Status {
        reply: Responder<ServerStatus>,
    },
    Shutdown,
}

/// Everything the consensus thread reacts to.
pub(crate) enum Input {
    Request(Request),
    /// From the transport's inbox.
    Message(Message),
    /// The address book of a snapshot the apply thread restored.
    PeersLearned(crate::host_entry::AddressBook),
    /// A piece of the apply thread's answer to a snapshot hint.
    SnapshotPiece {
        index: Index,
        offset: u64,
        data: Vec<u8>,
        done: bool,
    },
}
