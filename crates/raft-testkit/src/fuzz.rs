//! Randomised whole-cluster runs: one seed picks the cluster size, the
//! workload and every fault; the checkers watch every step; at the end the
//! faults heal, the cluster must converge within the liveness bound, and
//! the clients' history must be linearizable.

use crate::builder::ClusterBuilder;
use crate::disk::SimDisk;
use crate::failure::SimResult;
use crate::kv::{KvBytesModel, KvMachine};
use crate::linearizability::{Budget, LinearizabilityChecker};
use crate::network::FaultPlan;
use crate::workload::Workload;

/// Clients of the key-value workload.
const CLIENTS: u64 = 3;
/// The linearizability checker's budget per key: beyond it the verdict is
/// `Unknown` (reported, not a failure).
const CHECK_STEPS: u64 = 200_000;

/// How a randomised run is shaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuzzOptions {
    /// Ticks of faulty operation.
    pub ticks: u64,
    /// Ticks allowed to converge once faults heal.
    pub settle_ticks: u64,
    /// The faults to inject.
    pub faults: FaultPlan,
    /// Snapshot every this many applied entries (`0`: never); see
    /// [`ClusterBuilder::snapshot_every`].
    pub snapshot_every: usize,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        Self {
            ticks: 600,
            settle_ticks: 600,
            faults: FaultPlan::all(),
            // Snapshots on: logs compact, and lagging or new members catch up
            // by a streamed snapshot (several chunks of 512 bytes each).
            snapshot_every: 20,
        }
    }
}

/// What a successful run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuzzReport {
    /// Nodes in the cluster.
    pub nodes: u64,
    /// Commands proposed and accepted by a leader.
    pub proposals: u64,
    /// Highest commit index reached.
    pub committed: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// The final term.
    pub term: u64,
    /// Machine crashes (each followed by a recovery from its disk),
    /// including nodes stopped by a failing sync.
    pub crashes: u64,
    /// Client operations issued against the [`KvMachine`].
    pub client_ops: u64,
    /// Of those, the ones that completed.
    pub client_ops_completed: u64,
    /// Whether the client history was proven linearizable (`false`: the
    /// checker's budget ran out; a violation fails the run).
    pub linearizable: bool,
    /// Retried client writes a replica skipped as already applied.
    pub duplicates_suppressed: u64,
    /// Nodes stopped because their disk failed a sync.
    pub sync_failures: u64,
    /// Membership changes the leaders accepted.
    pub membership_changes: u64,
    /// Snapshot chunks delivered, and snapshots restored from them.
    pub snapshot_chunks: u64,
    /// Appends delivered in the shared-command form.
    pub shared_appends: u64,
    /// Ticks from healing until liveness held (see
    /// [`Cluster::liveness_bound`](crate::Cluster::liveness_bound)).
    pub liveness_ticks: u64,
}

/// Runs one randomised scenario for `seed`: a 3- or 5-node cluster of
/// [`KvMachine`]s under `options.faults` (with [`FaultPlan::all`]: loss,
/// duplication, delay and reordering, partitions, crashes, clock skew,
/// pauses and failing syncs), with raw proposals and reads plus three
/// key-value clients. Checks safety after every step; after healing,
/// liveness within [`Cluster::liveness_bound`](crate::Cluster::liveness_bound);
/// then that the cluster still commits, and that the client history is
/// linearizable against [`KvBytesModel`].
///
/// ```
/// use raft_testkit::{run_seed, FuzzOptions};
/// let report = run_seed(1, &FuzzOptions { ticks: 200, ..FuzzOptions::default() }).unwrap();
/// assert!(report.committed > 0);
/// ```
pub fn run_seed(seed: u64, options: &FuzzOptions) -> SimResult<FuzzReport> {
    run_seed_on::<crate::sim_log::SimLog>(seed, options)
}

/// [`run_seed`] over real files: every node on a `WalDisk` (a `WalLog` in a
/// temporary directory), with crashes on whatever `options.faults` says, so
/// every crash is a real recovery with `WalLog::open` of a file cut back to
/// its last synced length (or with its last record torn).
///
/// ```
/// use raft_testkit::{FuzzOptions, run_seed_durable};
/// let options = FuzzOptions { ticks: 200, snapshot_every: 10, ..FuzzOptions::default() };
/// let report = run_seed_durable(3, &options).unwrap();
/// assert!(report.committed > 0);
/// ```
#[cfg(feature = "wal")]
pub fn run_seed_durable(seed: u64, options: &FuzzOptions) -> SimResult<FuzzReport> {
    let mut options = options.clone();
    options.faults.crashes = true;
    run_seed_on::<crate::wal_disk::WalDisk>(seed, &options).map_err(|mut failure| {
        failure
            .reason
            .push_str("\n  (a durable run over WalLog files: add --wal to the replay)");
        failure
    })
}

/// The randomised scenario of [`run_seed`] over disks of type `D`.
fn run_seed_on<D: SimDisk>(seed: u64, options: &FuzzOptions) -> SimResult<FuzzReport> {
    let nodes = if seed.is_multiple_of(2) { 3 } else { 5 };
    let mut cluster = ClusterBuilder::<D>::new()
        .nodes(nodes)
        .seed(seed)
        .faults(options.faults.clone())
        .snapshot_every(options.snapshot_every)
        // A quarter of the seeds step with deferred sync and group commit.
        .deferred_sync(seed % 4 == 3)
        // Independently of that: a third of the seeds restore snapshots
        // from the log, and half write theirs in three pieces.
        .restore_from_log((seed / 4) % 3 == 1)
        .snapshot_pieces(if (seed / 12).is_multiple_of(2) { 3 } else { 1 })
        // And half share their commands (the fast path).
        .shared_commands((seed / 24) % 2 == 1)
        .state_machine(KvMachine::default)
        .try_build()?;
    cluster.set_trace(std::env::var_os("RAFT_SIM_TRACE").is_some());
    let mut workload = Workload::new(CLIENTS);
    let mut proposals = 0u64;
    for tick in 0..options.ticks {
        cluster.tick()?;
        if cluster.rng().chance(300) {
            let command = format!("{seed:x}-{tick}").into_bytes();
            if cluster.propose(command)?.is_some() {
                proposals += 1;
            }
        }
        if cluster.rng().chance(50) {
            cluster.read()?;
        }
        workload.step(&mut cluster);
        cluster.inject_faults()?;
    }
    let liveness_ticks = cluster.heal_and_check_liveness()?;
    cluster.heal_and_settle(options.settle_ticks)?;
    // After healing, the cluster must still accept and commit work.
    cluster.propose_and_wait(format!("{seed:x}-final").into_bytes(), options.settle_ticks)?;
    let checker =
        LinearizabilityChecker::new(KvBytesModel::new()).with_budget(Budget::steps(CHECK_STEPS));
    let verdict = cluster.check_linearizable_with(checker)?;
    let history = cluster.history();
    Ok(FuzzReport {
        nodes,
        proposals: proposals + 1,
        committed: cluster.max_commit(),
        delivered: cluster.network().delivered(),
        term: cluster.term(),
        crashes: cluster.crashes(),
        client_ops: history.len() as u64,
        client_ops_completed: history.iter().filter(|(_, op)| !op.is_pending()).count() as u64,
        linearizable: verdict.is_ok(),
        duplicates_suppressed: cluster.duplicates_suppressed(),
        sync_failures: cluster.sync_failures(),
        liveness_ticks,
        membership_changes: cluster.membership_changes(),
        snapshot_chunks: cluster.snapshot_chunks_delivered(),
        shared_appends: cluster.shared_appends_delivered(),
    })
}
