//! `StateMachine`: what the application supplies. The host applies
//! committed commands to it on its own thread, in log order.

use std::io::{self, Read, Write};

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

    /// Writes the whole state to `out`, in as many writes as suits it: the
    /// host hands the snapshot to the log in 1 MiB pieces as they come, so
    /// a state of any size is never one `Vec`. The default writes
    /// [`snapshot`](Self::snapshot) in one go; override both this and
    /// [`restore_from`](Self::restore_from) for a large state.
    ///
    /// # Errors
    ///
    /// Whatever `out` or the state's own reads return; the host then drops
    /// this snapshot (the log keeps its previous one).
    fn write_snapshot(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&self.snapshot())
    }

    /// Replaces the whole state with the snapshot read from `snapshot`
    /// (straight from the log's snapshot file with `WalLog`, on the apply
    /// thread). The default reads it whole and calls
    /// [`restore`](Self::restore).
    ///
    /// # Errors
    ///
    /// A failed read (a damaged snapshot file); the host then stops
    /// applying, since the state is no longer the log's.
    fn restore_from(&mut self, snapshot: &mut dyn Read) -> io::Result<()> {
        let mut data = Vec::new();
        snapshot.read_to_end(&mut data)?;
        self.restore(&data);
        Ok(())
    }
}
