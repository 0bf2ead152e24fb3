//! Operator logs: what changed in a step that an operator needs to know
//! (elections, leader changes, peers becoming unreachable), via `tracing`.
//! The core never logs; this compares its state before and after.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use raft_core::{NodeId, RaftLog, RaftNode, Role, Term};
use raft_wire::TcpTransport;

/// How often a leader looks at its followers' liveness.
const PEER_CHECK_EVERY: Duration = Duration::from_secs(1);

/// The last state logged.
#[derive(Debug)]
pub(crate) struct Observer {
    role: Role,
    term: Term,
    leader: Option<NodeId>,
    unreachable: BTreeSet<NodeId>,
    last_peer_check: Instant,
    dropped: u64,
}

impl Observer {
    pub(crate) fn new<L: RaftLog>(node: &RaftNode<L>) -> Self {
        Self {
            role: node.role(),
            term: node.term(),
            leader: node.leader(),
            unreachable: BTreeSet::new(),
            last_peer_check: Instant::now(),
            dropped: 0,
        }
    }

    pub(crate) fn after_step<L: RaftLog>(&mut self, node: &RaftNode<L>, transport: &TcpTransport) {
        let id = node.id();
        let (role, term, leader) = (node.role(), node.term(), node.leader());
        if role != self.role || term != self.term {
            match role {
                Role::Candidate => tracing::info!(node = id, term, "starting an election"),
                Role::Leader => tracing::info!(node = id, term, "elected leader"),
                Role::Follower if self.role == Role::Leader => {
                    tracing::warn!(node = id, term, "stepped down as leader");
                }
                _ => {}
            }
        }
        if leader != self.leader {
            match leader {
                Some(leader) => tracing::info!(node = id, term, leader, "leader changed"),
                None => tracing::info!(node = id, term, "no leader known"),
            }
        }
        (self.role, self.term, self.leader) = (role, term, leader);
        if self.last_peer_check.elapsed() >= PEER_CHECK_EVERY {
            self.last_peer_check = Instant::now();
            self.check_peers(node, transport);
        }
    }

    /// On a leader, logs each follower that stops (or resumes) answering.
    fn check_peers<L: RaftLog>(&mut self, node: &RaftNode<L>, transport: &TcpTransport) {
        let id = node.id();
        if node.is_leader() {
            for peer in node.status().peers {
                let was = self.unreachable.contains(&peer.id);
                if !peer.recent_active && !was {
                    tracing::warn!(node = id, peer = peer.id, "peer unreachable");
                    self.unreachable.insert(peer.id);
                } else if peer.recent_active && was {
                    tracing::info!(node = id, peer = peer.id, "peer reachable again");
                    self.unreachable.remove(&peer.id);
                }
            }
        } else {
            self.unreachable.clear();
        }
        let dropped = transport.stats().dropped;
        if dropped > self.dropped {
            tracing::debug!(
                node = id,
                dropped = dropped - self.dropped,
                "outbound messages dropped"
            );
        }
        self.dropped = dropped;
    }
}
