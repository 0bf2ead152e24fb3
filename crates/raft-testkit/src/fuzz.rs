//! Randomised whole-cluster runs: one seed picks the cluster size, the
//! workload and every fault; the checkers watch every step; at the end the
//! faults heal and the cluster must converge (liveness).

use crate::builder::ClusterBuilder;
use crate::cluster::Cluster;
use crate::disk::SimDisk;
use crate::failure::SimResult;
use crate::network::FaultPlan;

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
            snapshot_every: 0,
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
    /// Machine crashes (each followed by a recovery from its disk).
    pub crashes: u64,
}

/// Runs one randomised scenario for `seed`, checking safety after every
/// step and liveness after healing.
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
        .try_build()?;
    cluster.set_trace(std::env::var_os("RAFT_SIM_TRACE").is_some());
    let ids = cluster.ids();
    let mut proposals = 0u64;
    let mut crashed_at: Vec<(u64, u64)> = Vec::new();
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
        if options.faults.partitions && cluster.rng().chance(15) {
            disturb_network(&mut cluster, &ids);
        }
        if options.faults.crashes {
            crash_and_restart(&mut cluster, &ids, tick, &mut crashed_at);
        }
    }
    cluster.heal_and_settle(options.settle_ticks)?;
    // After healing, the cluster must still accept and commit work.
    cluster.propose_and_wait(format!("{seed:x}-final").into_bytes(), options.settle_ticks)?;
    Ok(FuzzReport {
        nodes,
        proposals: proposals + 1,
        committed: cluster.max_commit(),
        delivered: cluster.network().delivered(),
        term: cluster.term(),
        crashes: cluster.crashes(),
    })
}

/// Cuts a random partition (symmetric split, isolated node, or a one-way
/// cut), or heals.
fn disturb_network<D: SimDisk>(cluster: &mut Cluster<D>, ids: &[u64]) {
    match cluster.rng().below(4) {
        0 => cluster.heal(),
        1 => {
            let victim = ids[cluster.rng().pick(ids.len())];
            cluster.isolate(victim);
        }
        2 => {
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for &id in ids {
                if cluster.rng().chance(500) {
                    left.push(id);
                } else {
                    right.push(id);
                }
            }
            cluster.partition(&[left, right]);
        }
        _ => {
            // An asymmetric fault: one direction of one link fails.
            let from = ids[cluster.rng().pick(ids.len())];
            let to = ids[cluster.rng().pick(ids.len())];
            cluster.heal();
            cluster.cut_link(from, to);
        }
    }
}

/// Crashes a random node now and then (keeping a majority up), and
/// restarts each crashed node some ticks later.
fn crash_and_restart<D: SimDisk>(
    cluster: &mut Cluster<D>,
    ids: &[u64],
    tick: u64,
    crashed_at: &mut Vec<(u64, u64)>,
) {
    crashed_at.retain(|&(id, at)| {
        if tick >= at + 40 {
            cluster.restart(id);
            false
        } else {
            true
        }
    });
    let majority_up = crashed_at.len() + 1 < ids.len().div_ceil(2);
    if majority_up && cluster.rng().chance(5) {
        let victim = ids[cluster.rng().pick(ids.len())];
        if cluster.is_up(victim) {
            // Half the crashes strike between steps, half inside the
            // victim's next writing step, between its writes and its sync.
            if cluster.rng().chance(500) {
                cluster.crash(victim);
            } else {
                cluster.crash_at_next_sync(victim);
            }
            crashed_at.push((victim, tick));
        }
    }
}
