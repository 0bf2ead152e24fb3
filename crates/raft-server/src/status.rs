//! `ServerStatus`: what an operator or a load balancer asks a node.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use raft_core::{NodeId, Status};
use raft_wire::{InboxStats, TcpStats};

/// A point-in-time view of one node: the core's status and the transport's
/// counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStatus {
    /// The core's view: role, term, leader, indexes, followers' progress
    /// (on a leader).
    pub raft: Status,
    /// The voters.
    pub members: Vec<NodeId>,
    /// The learners.
    pub learners: Vec<NodeId>,
    /// Peer listen addresses the node knows.
    pub peer_addrs: BTreeMap<NodeId, SocketAddr>,
    /// Outbound messages sent and dropped.
    pub transport: TcpStats,
    /// Inbound connections accepted and refused.
    pub inbox: InboxStats,
}
