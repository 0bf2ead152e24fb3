//! `ClusterBuilder`: every option of a simulated cluster, and the disk its
//! nodes run on.

use std::collections::BTreeMap;

use raft_core::{NodeId, RaftConfig, RaftNode, Result};

use crate::cluster::{Cluster, Machine, Replica};
use crate::disk::SimDisk;
use crate::failure::{SimFailure, SimResult};
use crate::network::FaultPlan;
use crate::sim_log::SimLog;
use crate::state_machine::{MachineFactory, StateMachine};

/// Snapshot chunk size in simulated clusters: small, so snapshots travel
/// in several chunks.
const SIM_SNAPSHOT_CHUNK_BYTES: usize = 512;

/// Builds a [`Cluster`] over disks of type `D` (default [`SimLog`]).
///
/// ```
/// use raft_testkit::{Cluster, FaultPlan};
/// let mut cluster = Cluster::builder().nodes(3).seed(7).faults(FaultPlan::none()).build();
/// cluster.run_until(500, |c| c.leader().is_some()).unwrap();
/// assert!(cluster.leader().is_some());
/// ```
#[derive(Debug)]
pub struct ClusterBuilder<D: SimDisk = SimLog> {
    nodes: u64,
    seed: u64,
    faults: FaultPlan,
    snapshot_every: usize,
    tune: fn(RaftConfig) -> RaftConfig,
    snapshot_chunk_bytes: usize,
    deferred_sync: bool,
    restore_from_log: bool,
    shared_commands: bool,
    snapshot_pieces: usize,
    disk: fn(NodeId, u64) -> Result<D>,
    machine: MachineFactory,
}

impl<D: SimDisk> Clone for ClusterBuilder<D> {
    fn clone(&self) -> Self {
        Self {
            faults: self.faults.clone(),
            machine: self.machine.clone(),
            ..*self
        }
    }
}

impl<D: SimDisk> Default for ClusterBuilder<D> {
    fn default() -> Self {
        Self {
            nodes: 3,
            seed: 0,
            faults: FaultPlan::none(),
            snapshot_every: 0,
            tune: |config| config,
            snapshot_chunk_bytes: SIM_SNAPSHOT_CHUNK_BYTES,
            deferred_sync: false,
            restore_from_log: false,
            shared_commands: false,
            snapshot_pieces: 1,
            disk: D::create,
            machine: MachineFactory::default(),
        }
    }
}

impl<D: SimDisk> ClusterBuilder<D> {
    /// A builder for a cluster over disks of type `D`, each made by
    /// [`SimDisk::create`].
    ///
    /// ```
    /// use raft_testkit::{ClusterBuilder, SimLog};
    /// let mut cluster = ClusterBuilder::<SimLog>::new().nodes(1).try_build().unwrap();
    /// cluster.run_until(100, |c| c.leader() == Some(1)).unwrap();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of nodes (ids `1..=n`); at least 1.
    pub fn nodes(mut self, n: u64) -> Self {
        self.nodes = n.max(1);
        self
    }

    /// The seed every random choice derives from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The network faults to inject.
    pub fn faults(mut self, faults: FaultPlan) -> Self {
        self.faults = faults;
        self
    }

    /// Most bytes per snapshot chunk (`RaftConfig::with_snapshot_chunk_bytes`);
    /// the simulator's default, 512, streams a typical test snapshot in
    /// several chunks, so lost, duplicated and reordered chunks are
    /// exercised. Applied before [`tune`](Self::tune).
    pub fn snapshot_chunk_bytes(mut self, bytes: usize) -> Self {
        self.snapshot_chunk_bytes = bytes;
        self
    }

    /// Every node defers its `sync` to a flush at the end of each tick
    /// (`RaftConfig::with_deferred_sync`): a step's appends leave before
    /// its writes are durable, and its other actions wait for the flush.
    /// Applied before [`tune`](Self::tune).
    pub fn deferred_sync(mut self, deferred: bool) -> Self {
        self.deferred_sync = deferred;
        self
    }

    /// Every node announces installed snapshots by reference
    /// (`RaftConfig::with_restore_from_log`), and its machine reads the data
    /// from the log. Applied before [`tune`](Self::tune).
    pub fn restore_from_log(mut self, from_log: bool) -> Self {
        self.restore_from_log = from_log;
        self
    }

    /// Every node shares commands (`RaftConfig::with_shared_commands`):
    /// proposals go through `RaftNode::propose_shared`, appends are
    /// `AppendShared`,
    /// applies `Action::ApplyShared`. Applied before [`tune`](Self::tune).
    pub fn shared_commands(mut self, shared: bool) -> Self {
        self.shared_commands = shared;
        self
    }

    /// Machines answer snapshot hints in `pieces` `Event::SnapshotPiece`s,
    /// one step each, instead of one whole `Event::Snapshot` (`1`, the
    /// default).
    pub fn snapshot_pieces(mut self, pieces: usize) -> Self {
        self.snapshot_pieces = pieces;
        self
    }

    /// Adjusts each node's `RaftConfig` (timeouts, batch sizes...). Each
    /// node's RNG seed is derived from the cluster seed before this runs.
    pub fn tune(mut self, tune: fn(RaftConfig) -> RaftConfig) -> Self {
        self.tune = tune;
        self
    }

    /// Each node asks for a snapshot every `entries` applied entries (its
    /// `snapshot_threshold`; `0`, the default, never), and the cluster
    /// answers every `Action::Snapshot` at once, so logs are compacted and
    /// lagging nodes are caught up with `InstallSnapshot`. Applied after
    /// [`tune`](Self::tune).
    ///
    /// ```
    /// use raft_core::RaftLog;
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::builder().nodes(3).seed(1).snapshot_every(5).build();
    /// for i in 0..20u8 {
    ///     cluster.propose_and_wait(vec![i + 1], 1_000).unwrap();
    /// }
    /// let leader = cluster.leader().unwrap();
    /// assert!(cluster.node(leader).unwrap().log().snapshot_index() > 0);
    /// ```
    pub fn snapshot_every(mut self, entries: usize) -> Self {
        self.snapshot_every = entries;
        self
    }

    /// How each node's disk is made, from its id and a seed derived from
    /// the cluster's (default: [`SimDisk::create`]).
    ///
    /// ```
    /// use raft_testkit::{ClusterBuilder, SimDisk, SimLog};
    /// let cluster = ClusterBuilder::<SimLog>::new()
    ///     .disks(|id, seed| SimLog::create(id, seed))
    ///     .try_build()
    ///     .unwrap();
    /// assert_eq!(cluster.ids(), vec![1, 2, 3]);
    /// ```
    pub fn disks(mut self, disk: fn(NodeId, u64) -> Result<D>) -> Self {
        self.disk = disk;
        self
    }

    /// Each node's replicated state machine, made by `make` at start and
    /// at every restart (default: a machine that keeps nothing). The
    /// cluster feeds it every committed command, client writes once each,
    /// and serves client reads from it; see [`StateMachine`].
    ///
    /// ```
    /// use raft_testkit::{Cluster, KvInput, KvMachine, StateMachine, kv};
    /// let mut cluster = Cluster::builder().seed(5).state_machine(KvMachine::default).build();
    /// let put = cluster.client_write(1, kv::encode_input(&KvInput::Put(b"a".to_vec(), b"1".to_vec())));
    /// cluster.run_until_complete(&[put], 1_000).unwrap();
    /// cluster.run_for(10).unwrap();
    /// let get = kv::encode_input(&KvInput::Get(b"a".to_vec()));
    /// for id in cluster.ids() {
    ///     let answer = cluster.state_machine(id).unwrap().query(&get);
    ///     assert_eq!(kv::decode_output(&answer), Some(raft_testkit::KvOutput::Value(Some(b"1".to_vec()))));
    /// }
    /// ```
    pub fn state_machine<M, F>(mut self, make: F) -> Self
    where
        M: StateMachine + Send + 'static,
        F: Fn() -> M + Send + Sync + 'static,
    {
        self.machine = MachineFactory::new(make);
        self
    }

    /// The cluster, every node a follower at term 0 on a fresh disk.
    ///
    /// # Errors
    /// A [`SimFailure`] at tick 0 if a disk cannot be created.
    pub fn try_build(self) -> SimResult<Cluster<D>> {
        let mut cluster = self.assemble();
        match cluster.take_failure() {
            Some(failure) => Err(failure),
            None => Ok(cluster),
        }
    }

    /// Builds every machine; a disk that cannot be created leaves its
    /// machine down and the failure pending (the first `tick` reports it).
    fn assemble(self) -> Cluster<D> {
        let ids: Vec<NodeId> = (1..=self.nodes).collect();
        let mut machines = BTreeMap::new();
        let mut failure = None;
        for &id in &ids {
            let node_seed = self.seed.wrapping_mul(0x9E37_79B9).wrapping_add(id);
            let mut config = (self.tune)(
                RaftConfig::new(id, ids.iter().copied())
                    .with_seed(node_seed)
                    .with_snapshot_chunk_bytes(self.snapshot_chunk_bytes)
                    .with_deferred_sync(self.deferred_sync)
                    .with_restore_from_log(self.restore_from_log)
                    .with_shared_commands(self.shared_commands),
            );
            if self.snapshot_every > 0 {
                config = config.with_snapshot_threshold(self.snapshot_every);
            }
            let node = match (self.disk)(id, node_seed) {
                Ok(disk) => Some(RaftNode::with_log(config.clone(), disk)),
                Err(error) => {
                    failure.get_or_insert_with(|| SimFailure {
                        seed: self.seed,
                        tick: 0,
                        reason: format!("node {id}: cannot create its disk: {error}"),
                    });
                    None
                }
            };
            let replica = Replica::new(self.machine.make());
            machines.insert(id, Machine::new(config, node, replica));
        }
        let mut cluster =
            Cluster::from_parts(self.seed, self.faults, machines, failure, self.machine);
        cluster.set_snapshot_pieces(self.snapshot_pieces);
        cluster
    }
}

impl ClusterBuilder<SimLog> {
    /// The cluster over in-memory [`SimLog`]s, every node a follower at
    /// term 0. (A [`disks`](Self::disks) factory that fails leaves its node
    /// down, and the first `tick` reports the failure.)
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let cluster = Cluster::builder().nodes(5).build();
    /// assert_eq!(cluster.ids().len(), 5);
    /// ```
    pub fn build(self) -> Cluster {
        self.assemble()
    }
}
