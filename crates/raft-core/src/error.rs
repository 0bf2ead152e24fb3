//! `Error` and `Result`: split by who can act on the failure.
//!
//! `NotLeader` and `ConfigInProgress` are for the caller to retry; `Storage`
//! means this node must stop; `Encoding` is bad bytes from outside.

use crate::types::NodeId;

/// Everything that can go wrong while driving a node.
///
/// ```
/// use raft_core::Error;
/// use error_forge::ForgeError;
///
/// let err = Error::NotLeader { leader: Some(3) };
/// assert_eq!(err.to_string(), "not the leader; current leader is node 3");
/// assert!(err.is_retryable() && !err.is_fatal());
///
/// let io = std::io::Error::other("disk full");
/// let err = Error::storage("append entries", io);
/// assert!(err.to_string().contains("disk full"));
/// assert!(err.is_fatal());
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request needs the leader and this node is not it. `leader` is the
    /// best-known leader to redirect to (`None` during an election).
    #[error("not the leader; {}", leader_hint(*.leader))]
    NotLeader {
        /// The leader this node currently recognises.
        leader: Option<NodeId>,
    },
    /// The log backend failed; the node must stop.
    #[error("storage failure during {context}: {detail}")]
    Storage {
        /// The operation that failed.
        context: &'static str,
        /// The backend's message.
        detail: String,
    },
    /// Bytes could not be decoded (or a value could not be encoded).
    #[error("encoding failure in {context}: {detail}")]
    Encoding {
        /// What was being encoded or decoded.
        context: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A membership change is already in flight; retry once it commits.
    #[error("a configuration change is already in progress")]
    ConfigInProgress,
    /// **(ours)** A leadership transfer to `target` is in progress: the
    /// leader accepts no proposals or membership changes until it completes
    /// (then ask the new leader) or is abandoned (thesis 3.10). Retry.
    #[error("a leadership transfer to node {target} is in progress; retry")]
    TransferInProgress {
        /// The node leadership is moving to.
        target: NodeId,
    },
    /// **(ours)** A membership change that can never succeed as asked (a
    /// voter added twice, a non-member removed, the last voter removed, a
    /// non-learner promoted...); nothing changed.
    #[error("membership change refused for node {node}: {reason}")]
    MembershipChange {
        /// The node the change was about.
        node: NodeId,
        /// What was wrong.
        reason: &'static str,
    },
    /// The request is well-formed but this build or this node cannot serve
    /// it (for example a membership change before that feature lands).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What was asked for.
        what: &'static str,
    },
    /// A proposal larger than the log accepts in one append (see
    /// `RaftLog::max_append_bytes`); nothing was written and the node goes
    /// on. Split the command, or raise the backend's limit.
    #[error("proposal too large: a {bytes}-byte command exceeds the log's limit of {max} bytes")]
    ProposalTooLarge {
        /// The command's length.
        bytes: usize,
        /// The longest command the log accepts.
        max: usize,
    },
    /// The request can never succeed as asked (for example a snapshot past
    /// the applied index, or a transfer to a non-voter); nothing changed.
    #[error("invalid request: {what}")]
    InvalidRequest {
        /// What was wrong with it.
        what: &'static str,
    },
}

fn leader_hint(leader: Option<NodeId>) -> String {
    match leader {
        Some(id) => format!("current leader is node {id}"),
        None => "no leader is known".to_owned(),
    }
}

impl Error {
    /// A `Storage` error from any displayable source.
    pub fn storage(context: &'static str, source: impl std::fmt::Display) -> Self {
        Error::Storage {
            context,
            detail: source.to_string(),
        }
    }

    /// An `Encoding` error from any displayable source.
    ///
    /// ```
    /// let err = raft_core::Error::encoding("frame header", "truncated");
    /// assert_eq!(err.to_string(), "encoding failure in frame header: truncated");
    /// ```
    pub fn encoding(context: &'static str, source: impl std::fmt::Display) -> Self {
        Error::Encoding {
            context,
            detail: source.to_string(),
        }
    }
}

impl error_forge::ForgeError for Error {
    fn kind(&self) -> &'static str {
        match self {
            Error::NotLeader { .. } => "NotLeader",
            Error::Storage { .. } => "Storage",
            Error::Encoding { .. } => "Encoding",
            Error::ConfigInProgress => "ConfigInProgress",
            Error::Unsupported { .. } => "Unsupported",
            Error::InvalidRequest { .. } => "InvalidRequest",
            Error::ProposalTooLarge { .. } => "ProposalTooLarge",
            Error::MembershipChange { .. } => "MembershipChange",
            Error::TransferInProgress { .. } => "TransferInProgress",
        }
    }

    fn caption(&self) -> &'static str {
        match self {
            Error::NotLeader { .. } => "Not the leader",
            Error::Storage { .. } => "Storage failure",
            Error::Encoding { .. } => "Encoding failure",
            Error::ConfigInProgress => "Configuration change in progress",
            Error::Unsupported { .. } => "Unsupported request",
            Error::InvalidRequest { .. } => "Invalid request",
            Error::ProposalTooLarge { .. } => "Proposal too large",
            Error::MembershipChange { .. } => "Membership change refused",
            Error::TransferInProgress { .. } => "Leadership transfer in progress",
        }
    }

    fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::NotLeader { .. } | Error::ConfigInProgress | Error::TransferInProgress { .. }
        )
    }

    fn is_fatal(&self) -> bool {
        matches!(self, Error::Storage { .. })
    }
}

/// The crate's result alias.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use error_forge::ForgeError;

    #[test]
    fn severity_is_split_by_who_can_act() {
        let cases = [
            (Error::NotLeader { leader: None }, true, false),
            (Error::ConfigInProgress, true, false),
            (Error::storage("sync", "eio"), false, true),
            (Error::encoding("decode", "bad tag"), false, false),
            (Error::Unsupported { what: "x" }, false, false),
            (Error::InvalidRequest { what: "x" }, false, false),
            (Error::ProposalTooLarge { bytes: 9, max: 8 }, false, false),
            (
                Error::MembershipChange {
                    node: 1,
                    reason: "x",
                },
                false,
                false,
            ),
            (Error::TransferInProgress { target: 2 }, true, false),
        ];
        for (err, retryable, fatal) in cases {
            assert_eq!(err.is_retryable(), retryable, "{err}");
            assert_eq!(err.is_fatal(), fatal, "{err}");
        }
    }

    #[test]
    fn not_leader_without_a_leader_says_so() {
        let err = Error::NotLeader { leader: None };
        assert_eq!(err.to_string(), "not the leader; no leader is known");
        assert_eq!(err.kind(), "NotLeader");
    }
}
