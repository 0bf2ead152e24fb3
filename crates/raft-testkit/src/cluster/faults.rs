//! Fault controls of a simulated cluster: partitions, crashes (between
//! steps or inside one, before its sync), failing syncs, restarts, and
//! healing.

use raft_core::{Error, Event, NodeId, RaftNode};

use super::{Cluster, Replica, restore};
use crate::checker::Violation;
use crate::disk::SimDisk;
use crate::failure::{SimFailure, SimResult};
use crate::network::FaultPlan;

impl<D: SimDisk> Cluster<D> {
    /// Splits the nodes into `groups` (each node reaches its own group and
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
        let Some(machine) = self.machines.get_mut(&id) else {
            return Ok(());
        };
        // Messages waiting for a paused machine die with it.
        machine.pause = None;
        let Some(node) = machine.node.take() else {
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
            node.log().set_sync_failure(false);
        }
        if let Some(machine) = self.machines.get_mut(&id)
            && let Some(disk) = machine.disk.take()
        {
            // The state machine restarts from the log's snapshot, if any.
            machine.replica = Replica::new(self.factory.make());
            let snapshot = disk.snapshot();
            let restored = snapshot
                .as_ref()
                .map(|snap| restore(&self.checker, id, snap.index, &snap.data));
            match restored {
                None => {}
                Some(Ok(decoded)) => machine.replica.restore(decoded.applied, decoded.machine),
                Some(Err(reason)) => {
                    let failure = SimFailure {
                        seed: self.seed,
                        tick: self.now,
                        reason,
                    };
                    self.failed.get_or_insert(failure);
                }
            }
            let node = RaftNode::with_log(machine.config.clone(), disk);
            // The checker learns the restarted node's state now: its first
            // step may install a snapshot (under clock skew it may not tick
            // first), and must be checked against the state before it.
            self.checker.node_restarted(id);
            if let Err(violation) = self.checker.observe(&node, &[]) {
                let failure = self.fail(violation);
                self.failed.get_or_insert(failure);
            }
            if let Some(machine) = self.machines.get_mut(&id) {
                machine.node = Some(node);
            }
        }
    }

    /// Makes node `id`'s disk fail every `sync` from now on (see
    /// [`SimDisk::set_sync_failure`]): its next writing step fails with
    /// `Error::Storage`. The cluster then checks that the node refuses to
    /// go on (its next step must fail too, with no action), and stops it as
    /// crashed; [`restart`](Self::restart) brings it back from what was
    /// synced, on a healed disk. Restarting a node whose disk has not failed
    /// yet disarms the failure.
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::new(3, 8);
    /// cluster.run_until(500, |c| c.leader().is_some()).unwrap();
    /// let leader = cluster.leader().unwrap();
    /// cluster.fail_sync(leader);
    /// assert!(cluster.propose(b"never durable".to_vec()).unwrap().is_none());
    /// assert!(!cluster.is_up(leader));
    /// assert_eq!(cluster.sync_failures(), 1);
    /// cluster.restart(leader);
    /// cluster.run_until(1_000, |c| c.leader().is_some()).unwrap();
    /// ```
    pub fn fail_sync(&mut self, id: NodeId) {
        if let Some(node) = self.node(id) {
            node.log().set_sync_failure(true);
        }
    }

    /// How many nodes were stopped because their disk failed a `sync`.
    pub fn sync_failures(&self) -> u64 {
        self.sync_failures
    }

    /// Stops node `id`, whose disk failed a sync with `error`, after
    /// checking that the node refuses to step on.
    pub(super) fn stop_failed_node(&mut self, id: NodeId, error: &Error) -> SimResult {
        let mut probe = Vec::new();
        let refused = self
            .machines
            .get_mut(&id)
            .and_then(|machine| machine.node.as_mut())
            .map(|node| node.step_into(Event::Tick, &mut probe));
        if let Some(refused) = refused
            && !(matches!(refused, Err(Error::Storage { .. })) && probe.is_empty())
        {
            return Err(self.fail(Violation {
                property: "stop on storage failure",
                detail: format!(
                    "node {id} went on after its sync failed ({error}): its next step gave \
                     {refused:?} with {} actions",
                    probe.len()
                ),
            }));
        }
        self.sync_failures += 1;
        self.try_crash(id)
    }

    /// The rate node `id`'s clock runs at under [`FaultPlan::clock_skew`],
    /// in node ticks per thousand cluster ticks (`None` for an unknown id).
    ///
    /// ```
    /// use raft_testkit::{Cluster, FaultPlan};
    /// let cluster = Cluster::builder().seed(1).faults(FaultPlan::all()).build();
    /// assert!(cluster.ids().iter().all(|&id| (500..=2000).contains(&cluster.clock_rate(id).unwrap())));
    /// ```
    pub fn clock_rate(&self, id: NodeId) -> Option<u32> {
        self.machines.get(&id).map(|machine| machine.clock.rate())
    }

    /// Sets node `id`'s clock rate (per mille of cluster ticks, clamped to
    /// `500..=2000`), to test a timing assumption at its worst case; it
    /// takes effect while the plan's `clock_skew` is on.
    ///
    /// ```
    /// use raft_testkit::{Cluster, FaultPlan};
    /// let mut cluster = Cluster::builder().seed(1).faults(FaultPlan::all()).build();
    /// cluster.set_clock_rate(1, 2500);
    /// assert_eq!(cluster.clock_rate(1), Some(2000));
    /// ```
    pub fn set_clock_rate(&mut self, id: NodeId, rate: u32) {
        if let Some(machine) = self.machines.get_mut(&id) {
            machine.clock.set_rate(rate);
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

    /// Ends every fault: heals the network, resumes paused nodes, restarts
    /// crashed ones (disarming armed crashes and failing disks), and calms
    /// the fault plan to [`FaultPlan::none`].
    pub(super) fn heal_all(&mut self) -> SimResult {
        self.restoring_membership |= self.faults.membership_churn;
        self.heal();
        self.nemesis.forget();
        for id in self.ids() {
            self.resume(id)?;
            self.restart(id);
        }
        self.faults = FaultPlan::none();
        Ok(())
    }

    /// Heals the network, resumes paused nodes, restarts crashed nodes,
    /// calms the faults, and
    /// runs until a leader has committed an entry of its term and every
    /// member of its configuration applied everything committed (or fails
    /// after `max_ticks`). After membership churn, healing also makes
    /// every node a voter again (a joint change), and settling waits for
    /// it, so every node ends with the same state.
    pub fn heal_and_settle(&mut self, max_ticks: u64) -> SimResult {
        self.heal_all()?;
        self.run_until(max_ticks, |c| {
            c.membership_restored()
                && c.leader().is_some_and(|leader| {
                    c.node(leader).is_some_and(|node| {
                        node.log().term_at(node.commit_index()) == Some(node.term())
                            && c.running()
                                .filter(|other| node.membership().contains(other.id()))
                                .all(|other| {
                                    other.last_applied() == node.commit_index()
                                        && other.term() == node.term()
                                })
                    })
                })
        })
    }
}
