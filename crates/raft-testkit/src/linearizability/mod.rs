//! Linearizability checking of recorded client histories (Wing & Gong
//! search with Lowe's just-in-time linearization and memoisation).
//!
//! Record what clients asked and answered in a [`History`], describe the
//! object with a [`Model`] (or use the built-in [`KvModel`]), and ask a
//! [`LinearizabilityChecker`] for a [`Verdict`].

mod bitset;
mod budget;
mod check;
mod explain;
mod history;
mod kv;
mod memo;
mod model;
mod search;
mod verdict;

pub use budget::{Budget, Limit};
pub use check::{LinearizabilityChecker, check_linearizable};
pub(crate) use history::op_id;
pub use history::{History, HistoryError, OpId, Operation};
pub use kv::{KvInput, KvModel, KvOutput, KvValue};
pub use model::{Model, Partition};
pub use verdict::{Inconclusive, NonLinearizable, Verdict};
