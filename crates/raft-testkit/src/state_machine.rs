//! `StateMachine`: the replicated state machine a user tests on the
//! simulated cluster, one instance per node.

use std::fmt;
use std::sync::Arc;

/// A deterministic replicated state machine: what a user of raft-io builds
/// on top of the log, and tests on the simulated cluster.
///
/// Each simulated node holds its own instance, made by the factory given
/// to [`ClusterBuilder::state_machine`](crate::ClusterBuilder::state_machine).
/// The cluster calls [`apply`](Self::apply) for every committed command (a
/// client write reaches it once, however often it was retried),
/// [`query`](Self::query) to serve a linearizable read once the leader
/// confirmed it, [`snapshot`](Self::snapshot) when the node asks to compact
/// its log, and [`restore`](Self::restore) when a snapshot replaces the
/// state (installed from the leader, or found on disk at restart).
///
/// Every method must be deterministic: the same commands in the same order
/// give the same state and responses on every node. The cluster checks it:
/// two nodes answering one client write differently fail the run.
///
/// ```
/// use raft_testkit::StateMachine;
///
/// /// A counter: any command adds its first byte; a query reads the total.
/// #[derive(Default)]
/// struct Counter(u64);
///
/// impl StateMachine for Counter {
///     fn apply(&mut self, command: &[u8]) -> Vec<u8> {
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
///         self.0 = snapshot.try_into().map_or(0, u64::from_le_bytes);
///     }
/// }
///
/// let mut counter = Counter::default();
/// assert_eq!(counter.apply(&[5]), 5u64.to_le_bytes());
/// let mut copy = Counter::default();
/// copy.restore(&counter.snapshot());
/// assert_eq!(copy.query(b""), 5u64.to_le_bytes());
/// ```
pub trait StateMachine {
    /// Applies a committed `command` and returns the response the client
    /// that wrote it receives.
    fn apply(&mut self, command: &[u8]) -> Vec<u8>;

    /// Answers a read; it must not change the state.
    fn query(&self, query: &[u8]) -> Vec<u8>;

    /// The whole state, as bytes [`restore`](Self::restore) accepts.
    fn snapshot(&self) -> Vec<u8>;

    /// Replaces the whole state with a [`snapshot`](Self::snapshot).
    fn restore(&mut self, snapshot: &[u8]);
}

/// The state machine of a cluster built without one: it keeps nothing and
/// answers everything with no bytes.
#[derive(Debug, Default)]
pub(crate) struct NoMachine;

impl StateMachine for NoMachine {
    fn apply(&mut self, _command: &[u8]) -> Vec<u8> {
        Vec::new()
    }

    fn query(&self, _query: &[u8]) -> Vec<u8> {
        Vec::new()
    }

    fn snapshot(&self) -> Vec<u8> {
        Vec::new()
    }

    fn restore(&mut self, _snapshot: &[u8]) {}
}

/// A node's state machine, as the cluster holds it.
pub(crate) type BoxedMachine = Box<dyn StateMachine + Send>;

/// Makes a fresh state machine for a node (at start and at every restart).
#[derive(Clone)]
pub(crate) struct MachineFactory(Arc<dyn Fn() -> BoxedMachine + Send + Sync>);

impl MachineFactory {
    /// A factory calling `make`.
    pub(crate) fn new<M, F>(make: F) -> Self
    where
        M: StateMachine + Send + 'static,
        F: Fn() -> M + Send + Sync + 'static,
    {
        Self(Arc::new(move || Box::new(make())))
    }

    /// A fresh machine.
    pub(crate) fn make(&self) -> BoxedMachine {
        (self.0)()
    }
}

impl Default for MachineFactory {
    fn default() -> Self {
        Self::new(|| NoMachine)
    }
}

impl fmt::Debug for MachineFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MachineFactory")
    }
}
