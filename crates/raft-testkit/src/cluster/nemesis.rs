//! The nemesis: random faults injected tick by tick, as the fault plan
//! allows: partitions (symmetric, isolating, one-way), crashes between
//! steps and inside one, failing syncs, and pauses, always leaving a
//! majority of the nodes running.

use raft_core::NodeId;

use super::Cluster;
use crate::disk::SimDisk;
use crate::failure::SimResult;

/// Chance per tick (per mille) that the network is disturbed.
const DISTURB_PER_MILLE: u32 = 15;
/// Chance per tick (per mille) that a node is struck (crashed, armed to
/// crash at its next sync or fail it, or paused).
const STRIKE_PER_MILLE: u32 = 8;
/// How long a node the nemesis crashed stays down.
const DOWN_TICKS: u64 = 40;

/// What the nemesis does to a node.
#[derive(Clone, Copy, Debug)]
enum Strike {
    Crash,
    CrashAtSync,
    FailSync,
    Pause,
}

/// The nemesis's memory: the nodes it took down, and when.
#[derive(Debug, Default)]
pub(crate) struct Nemesis {
    down: Vec<(NodeId, u64)>,
}

impl Nemesis {
    /// Forgets the nodes taken down (they were all restarted).
    pub(crate) fn forget(&mut self) {
        self.down.clear();
    }
}

impl<D: SimDisk> Cluster<D> {
    /// Runs `ticks` ticks, after each injecting the faults the plan
    /// switches on ([`inject_faults`](Self::inject_faults)). Follow it with
    /// [`heal_and_settle`](Self::heal_and_settle) or
    /// [`heal_and_check_liveness`](Self::heal_and_check_liveness).
    ///
    /// ```
    /// use raft_testkit::{Cluster, FaultPlan};
    /// let mut cluster = Cluster::builder().nodes(5).seed(9).faults(FaultPlan::all()).build();
    /// cluster.run_with_faults(1_000).unwrap();
    /// cluster.heal_and_check_liveness().unwrap();
    /// ```
    ///
    /// # Errors
    /// The first [`SimFailure`](crate::SimFailure): a broken property, or a
    /// disk that could not be recovered.
    pub fn run_with_faults(&mut self, ticks: u64) -> SimResult {
        for _ in 0..ticks {
            self.tick()?;
            self.inject_faults()?;
        }
        Ok(())
    }

    /// One tick's worth of random faults, each only if its
    /// [`FaultPlan`](crate::FaultPlan) switch is on: now and then cuts a
    /// random partition (a symmetric split, an isolated node, or one
    /// direction of one link) or heals; restarts the nodes it took down
    /// 40 ticks ago; and now and then strikes a running node: crashes it
    /// (`crashes`: between steps, or inside its next writing step before
    /// the sync), makes its disk fail the next sync (`sync_failures`), or
    /// pauses it for up to three election timeouts (`pauses`). It never
    /// takes down or pauses more than a minority at once.
    ///
    /// # Errors
    /// A [`SimFailure`](crate::SimFailure) if a restart finds a snapshot
    /// that breaks State Machine Safety, or a disk cannot be recovered.
    pub fn inject_faults(&mut self) -> SimResult {
        if self.faults.partitions && self.rng.chance(DISTURB_PER_MILLE) {
            self.disturb_network();
        }
        let now = self.now;
        let mut due = Vec::new();
        self.nemesis.down.retain(|&(id, at)| {
            let over = now >= at + DOWN_TICKS;
            if over {
                due.push(id);
            }
            !over
        });
        for id in due {
            self.restart(id);
        }
        self.strike();
        if self.faults.membership_churn {
            self.churn()?;
        }
        match self.failed.take() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Cuts a random partition (symmetric split, isolated node, or a
    /// one-way cut), or heals.
    fn disturb_network(&mut self) {
        let ids = self.ids();
        match self.rng.below(4) {
            0 => self.heal(),
            1 => {
                let victim = ids[self.rng.pick(ids.len())];
                self.isolate(victim);
            }
            2 => {
                let (mut left, mut right) = (Vec::new(), Vec::new());
                for &id in &ids {
                    if self.rng.chance(500) {
                        left.push(id);
                    } else {
                        right.push(id);
                    }
                }
                self.partition(&[left, right]);
            }
            _ => {
                let from = ids[self.rng.pick(ids.len())];
                let to = ids[self.rng.pick(ids.len())];
                self.heal();
                self.cut_link(from, to);
            }
        }
    }

    /// Now and then strikes a random running node with a fault the plan
    /// allows, keeping a majority running and unpaused.
    fn strike(&mut self) {
        let mut strikes = Vec::with_capacity(4);
        if self.faults.crashes {
            strikes.extend([Strike::Crash, Strike::CrashAtSync]);
        }
        if self.faults.sync_failures {
            strikes.push(Strike::FailSync);
        }
        if self.faults.pauses {
            strikes.push(Strike::Pause);
        }
        if strikes.is_empty() {
            return;
        }
        let ids = self.ids();
        let unavailable = self.nemesis.down.len() + self.paused();
        if unavailable + 1 >= ids.len().div_ceil(2) || !self.rng.chance(STRIKE_PER_MILLE) {
            return;
        }
        let victim = ids[self.rng.pick(ids.len())];
        let strike = strikes[self.rng.pick(strikes.len())];
        if !self.is_up(victim) || self.is_paused(victim) {
            return;
        }
        match strike {
            Strike::Crash => self.crash(victim),
            Strike::CrashAtSync => self.crash_at_next_sync(victim),
            Strike::FailSync => self.fail_sync(victim),
            Strike::Pause => {
                let ticks = 1 + self.rng.below(self.retry_after * 3 / 2);
                self.pause(victim, ticks);
                return;
            }
        }
        self.nemesis.down.push((victim, self.now));
    }
}
