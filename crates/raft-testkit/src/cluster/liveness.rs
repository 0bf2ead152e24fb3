//! Liveness with a stated bound: once every fault heals, a leader is
//! elected and every acknowledged client write is applied on every member
//! within [`Cluster::liveness_bound`] ticks.

use raft_core::RaftNode;

use super::Cluster;
use crate::disk::SimDisk;
use crate::failure::SimResult;

impl<D: SimDisk> Cluster<D> {
    /// The liveness bound, in ticks: once every fault heals (see
    /// [`heal_and_check_liveness`](Self::heal_and_check_liveness)), a leader
    /// has committed an entry of its term and every node has applied every
    /// acknowledged client write within
    ///
    /// `8 × election_timeout_max + 2 × heartbeat × (⌈last_index / max_batch⌉ + 2)
    ///  + 2 × heartbeat × ⌈snapshot_len / (8 × snapshot_chunk_bytes)⌉`
    ///
    /// ticks, from the nodes' configs and the longest log: one election
    /// timeout for the first timer to fire (or a stale leader to be
    /// deposed) and seven more for split votes and pre-vote rounds (membership
    /// churn leaves some runs with two voters, which split their vote whenever
    /// both time out within a round trip; soaks found five splits in a row);
    /// then,
    /// for a lagging node, a heartbeat round trip per append batch of its
    /// missing entries, plus two for probing and the commit, plus a round
    /// trip per window of eight snapshot chunks for a node caught up by the
    /// largest snapshot (a rough allowance: a healed network still delivers
    /// what it delayed before, out of order). With the
    /// default config (timeouts 10..=20 ticks, heartbeat 3, batches of 64)
    /// and a log of 200 entries that is `160 + 6 × 6 = 196` ticks.
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let cluster = Cluster::new(3, 1);
    /// assert_eq!(cluster.liveness_bound(), 8 * 20 + 2 * 3 * 2);
    /// ```
    pub fn liveness_bound(&self) -> u64 {
        let (mut timeout, mut heartbeat, mut batch) = (1u64, 1u64, usize::MAX);
        for machine in self.machines.values() {
            timeout = timeout.max(u64::from(machine.config.election_timeout().1));
            heartbeat = heartbeat.max(u64::from(machine.config.heartbeat_interval()));
            batch = batch.min(machine.config.max_batch().max(1));
        }
        let last = self.max_over_logs(raft_core::RaftLog::last_index);
        let batches = last.div_ceil(batch as u64);
        let chunk = self
            .machines
            .values()
            .map(|machine| machine.config.snapshot_chunk_bytes() as u64)
            .min()
            .unwrap_or(1);
        let snapshot_len = self.max_over_logs(raft_core::RaftLog::snapshot_len);
        let windows = snapshot_len.div_ceil(chunk.saturating_mul(8).max(1));
        8 * timeout + 2 * heartbeat * (batches + 2) + 2 * heartbeat * windows
    }

    /// Ends every fault (heals the network, resumes paused nodes, restarts
    /// crashed ones, calms the plan to [`FaultPlan::none`](crate::FaultPlan::none)),
    /// then checks liveness: within [`liveness_bound`](Self::liveness_bound)
    /// ticks, measured from the heal, a leader has committed an entry of
    /// its term and every node has applied every acknowledged client
    /// write. Returns the ticks it took.
    ///
    /// ```
    /// use raft_testkit::{Cluster, FaultPlan, KvInput, KvMachine, kv};
    ///
    /// let mut cluster = Cluster::builder()
    ///     .nodes(5)
    ///     .seed(4)
    ///     .faults(FaultPlan::all())
    ///     .state_machine(KvMachine::default)
    ///     .build();
    /// let put = kv::encode_input(&KvInput::Put(b"k".to_vec(), b"v".to_vec()));
    /// cluster.client_write(1, put);
    /// cluster.run_with_faults(500).unwrap();
    /// let ticks = cluster.heal_and_check_liveness().unwrap();
    /// assert!(ticks <= cluster.liveness_bound());
    /// ```
    ///
    /// # Errors
    /// A [`SimFailure`](crate::SimFailure) if a property breaks, or if the
    /// bound passes first (a liveness failure, with every node's state).
    pub fn heal_and_check_liveness(&mut self) -> SimResult<u64> {
        self.heal_all()?;
        let bound = self.liveness_bound();
        let start = self.now;
        self.run_until(bound, Self::live).map_err(|mut failure| {
            failure.reason = format!(
                "liveness bound of {bound} ticks after healing exceeded: {}",
                failure.reason
            );
            failure
        })?;
        Ok(self.now - start)
    }

    /// The largest `measure` of any machine's log, running or down (its
    /// disk).
    fn max_over_logs(&self, measure: fn(&D) -> u64) -> u64 {
        self.machines
            .values()
            .filter_map(|machine| {
                machine
                    .node
                    .as_ref()
                    .map(RaftNode::log)
                    .or(machine.disk.as_ref())
                    .map(measure)
            })
            .max()
            .unwrap_or(0)
    }

    /// A leader committed in its term, and every node applied every
    /// acknowledged write.
    fn live(&self) -> bool {
        let Some(leader) = self.leader().and_then(|id| self.node(id)) else {
            return false;
        };
        let leads = leader.log().term_at(leader.commit_index()) == Some(leader.term());
        // Members only: a node removed from the configuration gets nothing.
        let members = leader.membership();
        leads
            && self.clients.acknowledged_writes().all(|op| {
                self.machines.iter().all(|(&id, machine)| {
                    machine.node.is_none()
                        || !members.contains(id)
                        || machine.replica.has_applied(op)
                })
            })
    }
}
