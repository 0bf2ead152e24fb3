//! Fault controls of a simulated cluster: partitions, crashes (between
//! steps or inside one, before its sync), restarts, and healing.

use raft_core::{NodeId, RaftNode};

use super::{Cluster, restore};
use crate::disk::SimDisk;
use crate::failure::{SimFailure, SimResult};
use crate::network::FaultPlan;

impl<D: SimDisk> Cluster<D> {
    /// nobody in another group).
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        self.network.partition(groups);
    }

    /// Cuts the directed link `from -> to` (an asymmetric partition).
    pub fn cut_link(&mut self, from: NodeId, to: NodeId) {
        self.network.cut_link(from, to);
    }

    /// Cuts `id` off from everyone, both ways.
    pub fn isolate(&mut self, id: NodeId) {
        let others: Vec<NodeId> = self.ids().into_iter().filter(|&o| o != id).collect();
        self.network.partition(&[vec![id], others]);
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.network.heal();
    }

    /// Crashes `id`: it stops, and its disk is recovered as a restarted
    /// process would find it ([`SimDisk::crash`]: the synced writes
    /// survive). A recovery failure is reported by the next `tick` or
    /// `step`; [`try_crash`](Self::try_crash) reports it at once.
    pub fn crash(&mut self, id: NodeId) {
        if let Err(failure) = self.try_crash(id) {
            self.failed.get_or_insert(failure);
        }
    }

    /// [`crash`](Self::crash), failing at once if the disk's recovery
    /// fails.
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::new(3, 5);
    /// cluster.propose_and_wait(b"x".to_vec(), 1_000).unwrap();
    /// cluster.try_crash(1).unwrap();
    /// assert!(!cluster.is_up(1));
    /// cluster.restart(1);
    /// cluster.run_until(1_000, |c| c.applied(1).iter().any(|(_, cmd)| cmd == b"x")).unwrap();
    /// ```
    ///
    /// # Errors
    /// A [`SimFailure`] naming the node if its disk cannot be recovered.
    pub fn try_crash(&mut self, id: NodeId) -> SimResult {
        let Some(node) = self.machines.get_mut(&id).and_then(|m| m.node.take()) else {
            return Ok(());
        };
        let disk = node
            .into_log()
            .crash()
            .map_err(|error| self.fail(format_args!("node {id}: recovery failed: {error}")))?;
        if let Some(machine) = self.machines.get_mut(&id) {
            machine.disk = Some(disk);
        }
        self.crashes += 1;
        Ok(())
    }

    /// Arms a crash inside node `id`'s next step that writes: the step
    /// makes its writes, then the machine dies before their sync (see
    /// [`SimDisk::set_crash_at_sync`]); it sends nothing of that step and
    /// stays down until [`restart`](Self::restart). Restarting a node whose
    /// armed crash has not happened yet disarms it.
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::new(3, 8);
    /// cluster.run_until(500, |c| c.leader().is_some()).unwrap();
    /// let leader = cluster.leader().unwrap();
    /// cluster.crash_at_next_sync(leader);
    /// assert!(cluster.propose(b"lost".to_vec()).unwrap().is_none(), "it died writing it");
    /// assert!(!cluster.is_up(leader));
    /// cluster.restart(leader);
    /// cluster.run_until(1_000, |c| c.leader().is_some()).unwrap();
    /// ```
    pub fn crash_at_next_sync(&mut self, id: NodeId) {
        if let Some(node) = self.node(id) {
            node.log().set_crash_at_sync(true);
        }
    }

    /// Restarts a crashed `id` from its disk, with a fresh state machine
    /// (restored from the log's snapshot, then re-applied from the log).
    /// On a running node, disarms a crash armed by
    /// [`crash_at_next_sync`](Self::crash_at_next_sync).
    pub fn restart(&mut self, id: NodeId) {
        if let Some(node) = self.node(id) {
            node.log().set_crash_at_sync(false);
        }
        if let Some(machine) = self.machines.get_mut(&id)
            && let Some(disk) = machine.disk.take()
        {
            // The state machine restarts from the log's snapshot, if any.
            let restored = disk
                .snapshot()
                .map(|snap| restore(&self.checker, id, snap.index, &snap.data));
            machine.applied = match restored {
                None => Vec::new(),
                Some(Ok(applied)) => applied,
                Some(Err(reason)) => {
                    let failure = SimFailure {
                        seed: self.seed,
                        tick: self.now,
                        reason,
                    };
                    self.failed.get_or_insert(failure);
                    Vec::new()
                }
            };
            machine.node = Some(RaftNode::with_log(machine.config.clone(), disk));
            self.checker.node_restarted(id);
        }
    }

    /// How many times a machine crashed so far, between steps
    /// ([`crash`](Self::crash)) or inside one
    /// ([`crash_at_next_sync`](Self::crash_at_next_sync)).
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::new(3, 2);
    /// cluster.crash(2);
    /// cluster.crash(2); // already down: no second crash
    /// assert_eq!(cluster.crashes(), 1);
    /// ```
    pub fn crashes(&self) -> u64 {
        self.crashes
    }

    /// Whether `id` is running.
    pub fn is_up(&self, id: NodeId) -> bool {
        self.node(id).is_some()
    }

    /// Heals the network, restarts crashed nodes, calms the faults, and
    /// runs until a leader has committed an entry of its term and every node
    /// applied everything committed (or fails after `max_ticks`).
    pub fn heal_and_settle(&mut self, max_ticks: u64) -> SimResult {
        self.heal();
        for id in self.ids() {
            self.restart(id);
        }
        self.faults = FaultPlan::none();
        self.run_until(max_ticks, |c| {
            c.leader().is_some_and(|leader| {
                c.node(leader).is_some_and(|node| {
                    node.log().term_at(node.commit_index()) == Some(node.term())
                        && c.running().all(|other| {
                            other.last_applied() == node.commit_index()
                                && other.term() == node.term()
                        })
                })
            })
        })
    }
}
