//! The transport seam: `RaftTransport`, and `MemoryTransport` for tests.

use crate::error::Result;
use crate::message::Message;
use crate::types::NodeId;

/// Delivers messages to peers. Raft tolerates loss, duplication and
/// reordering, so an implementation may be best-effort.
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
