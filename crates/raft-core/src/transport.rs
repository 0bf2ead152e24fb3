//! The transport seam: `RaftTransport`, and `MemoryTransport` for tests.

use crate::error::Result;
use crate::message::Message;
use crate::types::NodeId;

/// Delivers messages to peers. Raft tolerates loss, duplication and
/// reordering, so an implementation may be best-effort.
///
/// ```
/// use raft_core::{Action, Event, Message, NodeId, RaftConfig, RaftNode, RaftTransport, Result};
///
/// /// Counts what it is asked to send (a real one would write to a socket).
/// #[derive(Default)]
/// struct Counting(usize);
///
/// impl RaftTransport for Counting {
///     fn send(&mut self, _to: NodeId, _message: Message) -> Result<()> {
///         self.0 += 1;
///         Ok(())
///     }
/// }
///
/// let mut transport = Counting::default();
/// let mut node = RaftNode::new(RaftConfig::new(1, [2, 3]));
/// while transport.0 == 0 {
///     for action in node.step(Event::Tick)? {
///         if let Action::Send { to, message } = action {
///             transport.send(to, message)?;
///         }
///     }
/// }
/// assert_eq!(transport.0, 2, "one pre-vote per peer");
/// # Ok::<(), raft_core::Error>(())
/// ```
pub trait RaftTransport {
    /// Hand `message` off for delivery to node `to`.
    fn send(&mut self, to: NodeId, message: Message) -> Result<()>;
}

/// A transport that records messages instead of delivering them, so a test
/// can route them by hand and control loss, order and partitions.
///
/// ```
/// use raft_core::{AppendEntries, MemoryTransport, Message, RaftTransport};
/// let mut tx = MemoryTransport::new();
/// tx.send(2, Message::AppendEntries(AppendEntries {
///     term: 1, leader: 1, prev_log_index: 0, prev_log_term: 0,
///     entries: Vec::new(), leader_commit: 0,
/// })).unwrap();
/// assert_eq!(tx.pending(), 1);
/// let sent = tx.take();
/// assert_eq!(sent[0].0, 2);
/// assert!(tx.take().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryTransport {
    outbox: Vec<(NodeId, Message)>,
}

impl MemoryTransport {
    /// An empty transport.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drain every recorded message, in send order.
    pub fn take(&mut self) -> Vec<(NodeId, Message)> {
        std::mem::take(&mut self.outbox)
    }

    /// How many messages are recorded.
    pub fn pending(&self) -> usize {
        self.outbox.len()
    }
}

impl RaftTransport for MemoryTransport {
    fn send(&mut self, to: NodeId, message: Message) -> Result<()> {
        self.outbox.push((to, message));
        Ok(())
    }
}
