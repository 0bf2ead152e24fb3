//! `ServerError`: why a request to the host did not succeed, split by what
//! the caller can do about it.

use raft_core::NodeId;

/// Why a request to a [`RaftServer`](crate::RaftServer) failed.
///
/// ```
/// use raft_server::ServerError;
/// let err = ServerError::NotLeader { leader: Some(2) };
/// assert_eq!(err.to_string(), "not the leader; try node 2");
/// assert!(err.is_retryable());
/// assert!(!ServerError::ShuttingDown.is_retryable());
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerError {
    /// This node is not the leader; `leader` is the one it knows of (`None`
    /// during an election). Nothing was proposed: retry there.
    NotLeader {
        /// The leader to redirect to.
        leader: Option<NodeId>,
    },
    /// The proposal was accepted at an index that was later taken by
    /// another leader's entry: it will never apply. Safe to retry.
    Lost,
    /// The proposal's outcome cannot be known here: its index was covered
    /// by an installed snapshot before this node saw it apply.
    Unknown,
    /// No answer within the request timeout. A proposal may still apply.
    Timeout,
    /// The request queue is full; back off and retry.
    Overloaded,
    /// The server is stopping (or has stopped).
    ShuttingDown,
    /// The node refused the request as asked (say, a transfer to a
    /// non-voter, or a membership change while another is in flight).
    Refused(raft_core::Error),
    /// The node's log failed; the node has stopped.
    Storage(String),
}

impl ServerError {
    /// Whether the same request may succeed if sent again (perhaps to
    /// another node).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ServerError::NotLeader { .. }
                | ServerError::Lost
                | ServerError::Timeout
                | ServerError::Overloaded
        ) || matches!(
            self,
            ServerError::Refused(raft_core::Error::ConfigInProgress)
        )
    }

    /// The error a request rejected by the core maps to.
    pub(crate) fn from_core(error: raft_core::Error) -> Self {
        match error {
            raft_core::Error::NotLeader { leader } => ServerError::NotLeader { leader },
            raft_core::Error::Storage { context, detail } => {
                ServerError::Storage(format!("{context}: {detail}"))
            }
            other => ServerError::Refused(other),
        }
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerError::NotLeader { leader: Some(id) } => {
                write!(f, "not the leader; try node {id}")
            }
            ServerError::NotLeader { leader: None } => {
                write!(f, "not the leader; no leader is known")
            }
            ServerError::Lost => write!(f, "the proposal was lost to a leadership change"),
            ServerError::Unknown => {
                write!(
                    f,
                    "the proposal's outcome is unknown (covered by a snapshot)"
                )
            }
            ServerError::Timeout => write!(f, "timed out"),
            ServerError::Overloaded => write!(f, "the server is overloaded"),
            ServerError::ShuttingDown => write!(f, "the server is shutting down"),
            ServerError::Refused(error) => write!(f, "refused: {error}"),
            ServerError::Storage(detail) => write!(f, "storage failure, node stopped: {detail}"),
        }
    }
}

impl std::error::Error for ServerError {}
