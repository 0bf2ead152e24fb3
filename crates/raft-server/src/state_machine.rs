//! `StateMachine`: what the application supplies. The host applies
//! committed commands to it on its own thread, in log order.

use raft_core::Index;

/// The replicated state: commands go in through [`apply`](Self::apply) in
/// the same order on every node, so every node computes the same state.
///
/// It runs on the host's apply thread, never on the consensus thread, so a
/// slow `apply` delays answers but not elections or replication.
///
/// ```
/// use raft_server::StateMachine;
///
/// /// A counter: each command adds its byte.
/// #[derive(Default)]
/// struct Counter(u64);
///
/// impl StateMachine for Counter {
///     fn apply(&mut self, _index: u64, command: &[u8]) -> Vec<u8> {
///         self.0 += u64::from(command.first().copied().unwrap_or(0));
///         self.0.to_le_bytes().to_vec()
///     }
///     fn query(&self, _query: &[u8]) -> Vec<u8> {
///         self.0.to_le_bytes().to_vec()
///     }
///     fn snapshot(&self) -> Vec<u8> {
///         self.0.to_le_bytes().to_vec()
///     }
///     fn restore(&mut self, snapshot: &[u8]) {
///         self.0 = snapshot.try_into().map(u64::from_le_bytes).unwrap_or(0);
///     }
/// }
///
/// let mut counter = Counter::default();
/// assert_eq!(counter.apply(1, &[5]), 5u64.to_le_bytes());
/// ```
pub trait StateMachine: Send + 'static {
    /// Applies the committed `command` at log `index` and returns the
    /// answer the proposer receives. Must be deterministic.
    fn apply(&mut self, index: Index, command: &[u8]) -> Vec<u8>;

    /// Answers a read; must not change the state. Called for linearizable
    /// reads once the state includes every write acknowledged before the
    /// read began.
    fn query(&self, query: &[u8]) -> Vec<u8>;

    /// The whole state, as bytes [`restore`](Self::restore) accepts.
    fn snapshot(&self) -> Vec<u8>;

    /// Replaces the whole state with a [`snapshot`](Self::snapshot)
    /// (installed from the leader, or found on disk at start).
    fn restore(&mut self, snapshot: &[u8]);
}
