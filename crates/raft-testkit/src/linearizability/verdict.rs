//! What a check concludes, with a human-readable explanation of a violation.

use std::fmt;

use super::budget::Limit;
use super::history::OpId;

/// The result of a linearizability check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every partition has a linearization: the history is linearizable.
    Ok,
    /// Some partition has none. When several do, the first in partition order.
    Violation(Box<NonLinearizable>),
    /// No partition is known to be violated, but at least one could not be
    /// decided within the [`Budget`](crate::Budget).
    Unknown(Inconclusive),
}

impl Verdict {
    /// Whether the history is linearizable.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }

    /// Whether the history is not linearizable.
    #[must_use]
    pub fn is_violation(&self) -> bool {
        matches!(self, Self::Violation(_))
    }

    /// Whether the budget ran out before an answer.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }

    /// The violation, if the history is not linearizable.
    #[must_use]
    pub fn violation(&self) -> Option<&NonLinearizable> {
        match self {
            Self::Violation(violation) => Some(violation),
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok => f.write_str("linearizable"),
            Self::Violation(violation) => violation.fmt(f),
            Self::Unknown(inconclusive) => inconclusive.fmt(f),
        }
    }
}

/// Why a partition is not linearizable: the deepest point the search
/// reached, and what blocked it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonLinearizable {
    /// The partition's label, e.g. `key "x"`.
    pub partition: String,
    /// Every operation of the partition, in recording order.
    pub operations: Vec<OpId>,
    /// A longest linearizable prefix the search found, in linearization order.
    pub longest_prefix: Vec<OpId>,
    /// The operation that returned before it could take effect after that
    /// prefix.
    pub blocked: Option<OpId>,
    /// The operations that could have come next after the prefix; each was
    /// either impossible there or led only to dead ends.
    pub candidates: Vec<OpId>,
    /// The same, in words, with each operation's times, input and output.
    pub explanation: String,
}

impl fmt::Display for NonLinearizable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explanation)
    }
}

/// Which partitions could not be decided, and which limit ran out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inconclusive {
    /// The labels of the undecided partitions, in partition order.
    pub partitions: Vec<String>,
    /// The limit that ran out (the first one, if several did).
    pub limit: Limit,
}

impl fmt::Display for Inconclusive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = match self.limit {
            Limit::Steps(steps) => format!("{steps} steps"),
            Limit::Time(time) => format!("{time:?}"),
        };
        write!(
            f,
            "unknown: the budget ({limit}) ran out before deciding {}",
            self.partitions.join(", ")
        )
    }
}
