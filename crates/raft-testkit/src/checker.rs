//! Raft's safety properties (paper Figure 3), checked after every step of
//! every node: Election Safety, Leader Append-Only, Log Matching, Leader
//! Completeness, State Machine Safety, plus apply order and monotonic
//! commit.

use std::collections::{BTreeMap, HashMap};

use raft_core::{Action, EntryKind, Index, NodeId, RaftNode, Role, Term};

use crate::disk::SimDisk;

/// A broken safety property: what broke, where, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property (e.g. "election safety").
    pub property: &'static str,
    /// The details, with the node ids and numbers involved.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} violated: {}", self.property, self.detail)
    }
}

impl std::error::Error for Violation {}

fn violation(property: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { property, detail })
}

/// What the checker remembers of one node between steps.
#[derive(Clone, Debug, Default)]
struct NodeView {
    role: Option<Role>,
    term: Term,
    commit_index: Index,
    last_applied: Index,
    /// How many of the log's append records were checked already.
    appends_checked: usize,
    entries_truncated: u64,
}

/// Observes every step of every node and fails on the first broken
/// property.
///
/// ```
/// use raft_core::{Event, RaftConfig, RaftNode};
/// use raft_testkit::{SafetyChecker, SimLog};
/// let mut node = RaftNode::with_log(RaftConfig::single(1), SimLog::new());
/// let mut checker = SafetyChecker::new();
/// for _ in 0..30 {
///     let actions = node.step(Event::Tick).unwrap();
///     checker.observe(&node, &actions).unwrap();
/// }
/// assert!(node.is_leader());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SafetyChecker {
    /// Election Safety: at most one leader per term.
    leaders: BTreeMap<Term, NodeId>,
    /// Log Matching, by induction: an `(index, term)` pair names one entry
    /// (kind and command) and one previous term.
    entries: HashMap<(Index, Term), (Term, EntryKind, Vec<u8>)>,
    /// State Machine Safety: the one command applied at each index.
    applied: BTreeMap<Index, (Term, Vec<u8>)>,
    /// Each time a leader first pushed the cluster's commit index to a new
    /// high: that index, and the leader's term. The term an entry was first
    /// committed in is the term of the first of these at or above it.
    commit_terms: BTreeMap<Index, Term>,
    nodes: BTreeMap<NodeId, NodeView>,
}

impl SafetyChecker {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets a node's volatile view, for a node restarting from its disk
    /// (its commit and apply legitimately restart from its snapshot).
    pub fn node_restarted(&mut self, id: NodeId) {
        self.nodes.remove(&id);
    }

    /// Checks every property after `node` produced `actions` in one step.
    /// Works over any [`SimDisk`], so the same checks run over `SimLog` and
    /// over real files.
    pub fn observe<D: SimDisk>(
        &mut self,
        node: &RaftNode<D>,
        actions: &[Action],
    ) -> Result<(), Violation> {
        let id = node.id();
        let mut view = self.nodes.remove(&id).unwrap_or_else(|| NodeView {
            commit_index: node.log().snapshot_index(),
            last_applied: node.log().snapshot_index(),
            ..NodeView::default()
        });
        let result = self.check(node, actions, &mut view);
        self.nodes.insert(id, view);
        result
    }

    fn check<D: SimDisk>(
        &mut self,
        node: &RaftNode<D>,
        actions: &[Action],
        view: &mut NodeView,
    ) -> Result<(), Violation> {
        let id = node.id();
        self.check_log_matching(node, view)?;
        self.check_applies(id, actions, view)?;
        self.record_commit_high(node, view);
        if node.is_leader() {
            let became_leader = view.role != Some(Role::Leader) || view.term != node.term();
            if became_leader {
                self.check_election_safety(id, node.term())?;
                self.check_leader_completeness(node)?;
            } else if node.log().entries_truncated() != view.entries_truncated {
                return violation(
                    "leader append-only",
                    format!("leader {id} of term {} truncated its log", node.term()),
                );
            }
        }
        if node.commit_index() < view.commit_index {
            return violation(
                "monotonic commit",
                format!(
                    "node {id} lowered its commit index from {} to {}",
                    view.commit_index,
                    node.commit_index()
                ),
            );
        }
        view.role = Some(node.role());
        view.term = node.term();
        view.commit_index = node.commit_index();
        view.entries_truncated = node.log().entries_truncated();
        Ok(())
    }

    /// Notes the cluster's commit index reaching a new high, with the term
    /// of the leader that committed it. Only a leader commits (followers
    /// learn it from one), but it may be deposed by a later event of the
    /// same step (`step_many`): then it committed as the leader it was when
    /// the step began. (Missing that case let an entry committed in term 2
    /// be required of a leader elected late for term 1: seed `0x321013`.)
    fn record_commit_high<D: SimDisk>(&mut self, node: &RaftNode<D>, view: &NodeView) {
        let term = if node.is_leader() {
            node.term()
        } else if view.role == Some(Role::Leader) {
            view.term
        } else {
            return;
        };
        let highest = self
            .commit_terms
            .last_key_value()
            .map_or(0, |(&index, _)| index);
        if node.commit_index() > highest {
            self.commit_terms.insert(node.commit_index(), term);
        }
    }

    fn check_election_safety(&mut self, id: NodeId, term: Term) -> Result<(), Violation> {
        match self.leaders.insert(term, id) {
            Some(other) if other != id => violation(
                "election safety",
                format!("nodes {other} and {id} both led term {term}"),
            ),
            _ => Ok(()),
        }
    }

    /// A new leader holds every entry applied anywhere that was committed
    /// in an earlier term than its own (committed entries are never lost),
    /// except those its snapshot covers. (A leader of an older term may be
    /// elected late, say by votes delayed while it was paused; the entries
    /// committed in later terms are not its concern. An entry of a term at
    /// or above the leader's was committed in such a term, whatever the
    /// record says: no entry commits in a term before its own.)
    fn check_leader_completeness<D: SimDisk>(&self, node: &RaftNode<D>) -> Result<(), Violation> {
        let log = node.log();
        for (&index, &(term, _)) in self.applied.range(log.snapshot_index() + 1..) {
            let committed_in = self.commit_terms.range(index..).next().map(|(_, &t)| t);
            if term >= node.term()
                || committed_in.is_some_and(|committed_in| committed_in >= node.term())
            {
                continue;
            }
            if log.term_at(index) != Some(term) {
                return violation(
                    "leader completeness",
                    format!(
                        "node {} leads term {} without committed entry {index} of term {term} \
                         (it has {:?})",
                        node.id(),
                        node.term(),
                        log.term_at(index)
                    ),
                );
            }
        }
        Ok(())
    }

    /// If two logs hold an entry with the same index and term, the entries
    /// are identical and so are the logs before them (checked by induction
    /// over each append's previous term).
    fn check_log_matching<D: SimDisk>(
        &mut self,
        node: &RaftNode<D>,
        view: &mut NodeView,
    ) -> Result<(), Violation> {
        let records = node.log().appended();
        for record in &records[view.appends_checked.min(records.len())..] {
            let entry = &record.entry;
            let key = (entry.index, entry.term);
            let value = (record.prev_term, entry.kind, entry.command.clone());
            match self.entries.get(&key) {
                Some(known) if *known != value => {
                    return violation(
                        "log matching",
                        format!(
                            "node {} holds entry {} of term {} as {value:?}, elsewhere {known:?}",
                            node.id(),
                            entry.index,
                            entry.term
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    self.entries.insert(key, value);
                }
            }
        }
        view.appends_checked = records.len();
        Ok(())
    }

    /// Applies come in strictly increasing order, each index once, and no
    /// two nodes apply different commands at one index.
    fn check_applies(
        &mut self,
        id: NodeId,
        actions: &[Action],
        view: &mut NodeView,
    ) -> Result<(), Violation> {
        for action in actions {
            if let Some((index, term, command)) = applied_command(action) {
                self.check_apply(id, (index, term, command), view)?;
            } else if let Action::RestoreSnapshot { index, .. } = action {
                if *index <= view.last_applied {
                    return violation(
                        "apply order",
                        format!(
                            "node {id} restored a snapshot at {index} after applying {}",
                            view.last_applied
                        ),
                    );
                }
                view.last_applied = *index;
            }
        }
        Ok(())
    }

    fn check_apply(
        &mut self,
        id: NodeId,
        (index, term, command): (Index, Term, &[u8]),
        view: &mut NodeView,
    ) -> Result<(), Violation> {
        if index <= view.last_applied {
            return violation(
                "apply order",
                format!(
                    "node {id} applied {index} after {} (re-apply or out of order)",
                    view.last_applied
                ),
            );
        }
        view.last_applied = index;
        match self.applied.get(&index) {
            Some((known_term, known)) if (*known_term, known.as_slice()) != (term, command) => {
                violation(
                    "state machine safety",
                    format!(
                        "node {id} applied {:?}@{term} at index {index}, \
                         another node applied {:?}@{known_term}",
                        String::from_utf8_lossy(command),
                        String::from_utf8_lossy(known)
                    ),
                )
            }
            Some(_) => Ok(()),
            None => {
                self.applied.insert(index, (term, command.to_vec()));
                Ok(())
            }
        }
    }

    /// The command applied at each index so far (the committed history).
    pub fn applied(&self) -> &BTreeMap<Index, (Term, Vec<u8>)> {
        &self.applied
    }
}

/// The (index, term, command) of an apply, in either form.
fn applied_command(action: &Action) -> Option<(Index, Term, &[u8])> {
    match action {
        Action::Apply {
            index,
            term,
            command,
        } => Some((*index, *term, command)),
        Action::ApplyShared {
            index,
            term,
            command,
        } => Some((*index, *term, command)),
        _ => None,
    }
}
