//! `RaftConfig`: a node's identity, its peers, and the knobs of the protocol.
//! Every builder normalises degenerate input instead of panicking.

use crate::types::NodeId;

/// Configuration for one node: its id, its peers, and the timing (in logical
/// ticks) that drives elections and heartbeats.
///
/// ```
/// use raft_core::RaftConfig;
/// let cfg = RaftConfig::new(1, [2, 3]);
/// assert_eq!(cfg.peers(), &[2, 3]);
/// assert_eq!(cfg.election_timeout(), (10, 20));
///
/// let tuned = RaftConfig::new(1, [1, 2, 3])
///     .with_election_timeout(150, 300)
///     .with_heartbeat_interval(30)
///     .with_max_inflight(8)
///     .with_seed(0xABCD);
/// assert_eq!(tuned.peers(), &[2, 3]); // the node drops its own id
/// assert_eq!(tuned.heartbeat_interval(), 30);
///
/// // Degenerate input is normalised, never a panic.
/// let odd = RaftConfig::single(1).with_election_timeout(30, 10).with_max_batch(0);
/// assert_eq!(odd.election_timeout(), (30, 30));
/// assert_eq!(odd.max_batch(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaftConfig {
    id: NodeId,
    /// Sorted, deduplicated, never contains `id`.
    peers: Vec<NodeId>,
    /// Invariant: `1 <= election_timeout_ticks_min <= election_timeout_ticks_max`.
    election_timeout_ticks_min: u32,
    election_timeout_ticks_max: u32,
    /// Invariant: `>= 1`.
    heartbeat_interval_ticks: u32,
    /// Invariant: `>= 1`.
    batch_entries_max: usize,
    /// Invariant: `>= 1`.
    batch_bytes_max: usize,
    /// Invariant: `>= 1`.
    inflight_msgs_max: usize,
    /// Invariant: `>= 1`.
    snapshot_chunk_bytes_max: usize,
    snapshot_threshold: usize,
    seed: u64,
    check_quorum: bool,
    pre_vote: bool,
    /// Starts with no configuration; see [`RaftConfig::joining`].
    joining: bool,
    /// Lease reads, with the clock-rate bound in per mille (`>= 1000`).
    lease_clock_ratio_per_mille: Option<u32>,
    /// Steps leave their writes unsynced until `RaftNode::flush`.
    deferred_sync: bool,
    /// Installed snapshots are announced without their data.
    restore_from_log: bool,
    shared_commands: bool,
}

impl RaftConfig {
    /// Node `id` in a cluster with `peers` (which may include `id`; it is
    /// dropped). Defaults: election timeout 10..=20 ticks, heartbeat every 3
    /// ticks, at most 64 entries and 1 MiB per append, 256 appends in flight
    /// per follower, no snapshot hint, pre-vote and check-quorum on, RNG seed
    /// = `id`.
    pub fn new(id: NodeId, peers: impl IntoIterator<Item = NodeId>) -> Self {
        let mut peers: Vec<NodeId> = peers.into_iter().filter(|&peer| peer != id).collect();
        // Sorted so that iteration order (and so output order) is deterministic.
        peers.sort_unstable();
        peers.dedup();
        Self {
            id,
            peers,
            election_timeout_ticks_min: 10,
            election_timeout_ticks_max: 20,
            heartbeat_interval_ticks: 3,
            batch_entries_max: 64,
            batch_bytes_max: 1024 * 1024,
            inflight_msgs_max: 256,
            snapshot_chunk_bytes_max: 1024 * 1024,
            snapshot_threshold: 0,
            seed: id,
            check_quorum: true,
            pre_vote: true,
            joining: false,
            lease_clock_ratio_per_mille: None,
            deferred_sync: false,
            restore_from_log: false,
            shared_commands: false,
        }
    }

    /// A one-node cluster: no peers, a quorum of one.
    pub fn single(id: NodeId) -> Self {
        Self::new(id, [])
    }

    /// **(ours)** A node that joins a running cluster: it starts with no
    /// configuration at all, so it never campaigns and is counted in no
    /// quorum until it learns the leader's configuration from the log or a
    /// snapshot (the leader adds it, as a learner or a voter, with
    /// `Event::AddLearner` / `Event::AddServer`). A node booted with
    /// `RaftConfig::new(id, target_members)` instead would be a voter of a
    /// configuration nobody committed, and could win an election with an
    /// empty log.
    ///
    /// ```
    /// use raft_core::{Event, RaftConfig, RaftNode, Role};
    /// let mut node = RaftNode::new(RaftConfig::joining(4));
    /// for _ in 0..100 {
    ///     node.step(Event::Tick).unwrap();
    /// }
    /// assert_eq!(node.role(), Role::Follower, "a joining node never campaigns");
    /// assert!(node.members().is_empty());
    /// ```
    pub fn joining(id: NodeId) -> Self {
        let mut config = Self::new(id, []);
        config.joining = true;
        config
    }

    /// **(ours)** Lease reads (thesis 6.4.1): a leader answers `Event::Read`
    /// from its lease, without a probe round, for `election_timeout_min ×
    /// 1000 / clock_ratio_per_mille` ticks after sending a heartbeat round
    /// a majority acknowledged. `clock_ratio_per_mille` bounds how much
    /// faster any node's clock may run than any other's (`1000`: identical
    /// rates; `1100`: up to 10% faster; normalised to `>= 1000`).
    ///
    /// Safe only if that bound holds and no node pauses (a stopped process
    /// keeps no time); needs check-quorum (without it, reads use ReadIndex).
    /// Off by default: ReadIndex needs no clock assumption.
    ///
    /// ```
    /// use raft_core::RaftConfig;
    /// let config = RaftConfig::new(1, [2, 3]).with_lease_reads(1100);
    /// assert_eq!(config.lease_reads(), Some(1100));
    /// assert_eq!(RaftConfig::new(1, [2, 3]).lease_reads(), None);
    /// ```
    pub fn with_lease_reads(mut self, clock_ratio_per_mille: u32) -> Self {
        self.lease_clock_ratio_per_mille = Some(clock_ratio_per_mille.max(1000));
        self
    }

    /// **(ours)** Deferred durability: a step does not `sync`; it hands out
    /// at once only what may leave before its writes are durable (a
    /// leader's appends, so its disk write overlaps replication, thesis
    /// 10.2.1) and holds the rest until [`RaftNode::flush`](crate::RaftNode::flush),
    /// which syncs once for every step since the last flush (group commit
    /// for a program that steps one event at a time). Off by default: every
    /// step syncs.
    pub fn with_deferred_sync(mut self, deferred: bool) -> Self {
        self.deferred_sync = deferred;
        self
    }

    /// **(ours)** Announce an installed snapshot with
    /// `Action::RestoreSnapshotFromLog` (index, term, length; the data
    /// stays in the log, to be read with `RaftNode::snapshot_reader`)
    /// instead of `Action::RestoreSnapshot` with the data. Off by default,
    /// as raft-io 1.0 programs expect; turn it on for a state too large to
    /// hold twice in memory. With a log that stages snapshots (see
    /// `RaftLog::stages_snapshots`), a snapshot streamed from a leader then
    /// goes from the network to the log chunk by chunk and is never whole
    /// in memory.
    ///
    /// ```
    /// use raft_core::RaftConfig;
    /// assert!(!RaftConfig::new(1, [2, 3]).restore_from_log());
    /// assert!(RaftConfig::new(1, [2, 3]).with_restore_from_log(true).restore_from_log());
    /// ```
    pub fn with_restore_from_log(mut self, from_log: bool) -> Self {
        self.restore_from_log = from_log;
        self
    }

    /// Whether installed snapshots are announced without their data (see
    /// [`with_restore_from_log`](Self::with_restore_from_log)).
    pub fn restore_from_log(&self) -> bool {
        self.restore_from_log
    }

    /// **(ours)** The fast path for commands: a command is allocated once
    /// and shared (a [`SharedCommand`](crate::SharedCommand)) between the
    /// log, every append that carries it (`Message::AppendShared`) and its
    /// apply (`Action::ApplyShared`, emitted instead of `Action::Apply`).
    /// Propose with `RaftNode::propose_shared` to hand over the allocation
    /// (`Event::Propose` still works: its command is moved into shared
    /// storage with one copy). The log keeps shared entries through
    /// `RaftLog::append_shared` / `shared_entries_into` (`MemoryLog` holds
    /// them as they are; other logs copy by default). Off by default, as
    /// raft-io 1.0 programs expect.
    ///
    /// ```
    /// use raft_core::{Action, Event, RaftConfig, RaftNode, SharedCommand};
    /// let mut node = RaftNode::new(RaftConfig::single(1).with_shared_commands(true));
    /// while !node.is_leader() { node.step(Event::Tick).unwrap(); }
    /// let command = SharedCommand::from(&b"set x = 1"[..]);
    /// let mut actions = Vec::new();
    /// node.propose_shared(command.clone(), &mut actions).unwrap();
    /// let applied = actions.iter().find_map(|a| match a {
    ///     Action::ApplyShared { command, .. } => Some(command.clone()),
    ///     _ => None,
    /// });
    /// // The very allocation the caller made, not a copy.
    /// assert!(std::sync::Arc::ptr_eq(&applied.unwrap(), &command));
    /// ```
    pub fn with_shared_commands(mut self, shared: bool) -> Self {
        self.shared_commands = shared;
        self
    }

    /// Whether commands are shared (see
    /// [`with_shared_commands`](Self::with_shared_commands)).
    pub fn shared_commands(&self) -> bool {
        self.shared_commands
    }

    /// Whether steps defer their `sync` to `RaftNode::flush`.
    pub fn deferred_sync(&self) -> bool {
        self.deferred_sync
    }

    /// The clock-rate bound of lease reads, if they are on.
    pub fn lease_reads(&self) -> Option<u32> {
        self.lease_clock_ratio_per_mille
    }

    /// Whether the node starts with no configuration (see
    /// [`RaftConfig::joining`]).
    pub fn is_joining(&self) -> bool {
        self.joining
    }

    /// Randomised election-timeout bounds in ticks; normalised to
    /// `min >= 1` and `max >= min` (`max < min` gives `(min, min)`).
    pub fn with_election_timeout(mut self, min: u32, max: u32) -> Self {
        self.election_timeout_ticks_min = min.max(1);
        self.election_timeout_ticks_max = max.max(self.election_timeout_ticks_min);
        self
    }

    /// Ticks between leader heartbeats; normalised to `>= 1`. Keep it well
    /// below the election-timeout minimum.
    pub fn with_heartbeat_interval(mut self, interval: u32) -> Self {
        self.heartbeat_interval_ticks = interval.max(1);
        self
    }

    /// Most entries one `AppendEntries` carries; normalised to `>= 1`.
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.batch_entries_max = max_batch.max(1);
        self
    }

    /// Most command bytes one `AppendEntries` carries; normalised to `>= 1`.
    /// A single entry larger than the bound is still sent, alone.
    pub fn with_max_batch_bytes(mut self, max_bytes: usize) -> Self {
        self.batch_bytes_max = max_bytes.max(1);
        self
    }

    /// Most unacknowledged appends in flight to one follower while it is
    /// replicating (optimistic pipelining); normalised to `>= 1`.
    pub fn with_max_inflight(mut self, max_inflight: usize) -> Self {
        self.inflight_msgs_max = max_inflight.max(1);
        self
    }

    /// **(ours)** Most snapshot bytes one `SnapshotChunk` carries (default
    /// 1 MiB); normalised to `>= 1`. A leader streams a snapshot in chunks
    /// of this size, a few in flight at a time, so a snapshot larger than a
    /// transport's frame limit still travels and a lost chunk costs one
    /// chunk, not the whole snapshot.
    pub fn with_snapshot_chunk_bytes(mut self, bytes: usize) -> Self {
        self.snapshot_chunk_bytes_max = bytes.max(1);
        self
    }

    /// Applied entries after which the node hints `Action::Snapshot`
    /// (`0` turns the hint off).
    pub fn with_snapshot_threshold(mut self, threshold: usize) -> Self {
        self.snapshot_threshold = threshold;
        self
    }

    /// Seed for the deterministic election-timeout RNG.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether a leader that has not heard from a quorum within an election
    /// timeout steps down (Raft thesis 6.2). On by default.
    pub fn with_check_quorum(mut self, check_quorum: bool) -> Self {
        self.check_quorum = check_quorum;
        self
    }

    /// Whether a node runs a pre-vote round before bumping its term (Raft
    /// thesis 9.6). On by default.
    pub fn with_pre_vote(mut self, pre_vote: bool) -> Self {
        self.pre_vote = pre_vote;
        self
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The other voters, sorted, without this node.
    pub fn peers(&self) -> &[NodeId] {
        &self.peers
    }

    /// Election-timeout bounds `(min, max)` in ticks.
    pub fn election_timeout(&self) -> (u32, u32) {
        (
            self.election_timeout_ticks_min,
            self.election_timeout_ticks_max,
        )
    }

    /// Ticks between heartbeats.
    pub fn heartbeat_interval(&self) -> u32 {
        self.heartbeat_interval_ticks
    }

    /// Most entries per `AppendEntries`.
    pub fn max_batch(&self) -> usize {
        self.batch_entries_max
    }

    /// Most command bytes per `AppendEntries`.
    pub fn max_batch_bytes(&self) -> usize {
        self.batch_bytes_max
    }

    /// Most appends in flight per follower.
    pub fn max_inflight(&self) -> usize {
        self.inflight_msgs_max
    }

    /// Most snapshot bytes per `SnapshotChunk`.
    pub fn snapshot_chunk_bytes(&self) -> usize {
        self.snapshot_chunk_bytes_max
    }

    /// Applied entries between snapshot hints (`0` = off).
    pub fn snapshot_threshold(&self) -> usize {
        self.snapshot_threshold
    }

    /// RNG seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Whether check-quorum is on.
    pub fn check_quorum(&self) -> bool {
        self.check_quorum
    }

    /// Whether pre-vote is on.
    pub fn pre_vote(&self) -> bool {
        self.pre_vote
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_sorted_deduplicated_and_exclude_self() {
        let cfg = RaftConfig::new(2, [3, 2, 1, 3]);
        assert_eq!(cfg.peers(), &[1, 3]);
    }

    #[test]
    fn degenerate_values_are_normalised() {
        let cfg = RaftConfig::single(1)
            .with_election_timeout(0, 0)
            .with_heartbeat_interval(0)
            .with_max_batch(0)
            .with_max_batch_bytes(0)
            .with_max_inflight(0);
        assert_eq!(cfg.election_timeout(), (1, 1));
        assert_eq!(cfg.heartbeat_interval(), 1);
        assert_eq!(cfg.max_batch(), 1);
        assert_eq!(cfg.max_batch_bytes(), 1);
        assert_eq!(cfg.max_inflight(), 1);
    }

    #[test]
    fn defaults_match_the_contract() {
        let cfg = RaftConfig::new(7, [8]);
        assert_eq!(cfg.election_timeout(), (10, 20));
        assert_eq!(cfg.heartbeat_interval(), 3);
        assert_eq!(cfg.max_batch(), 64);
        assert_eq!(cfg.snapshot_threshold(), 0);
        assert_eq!(cfg.seed(), 7);
        assert!(cfg.check_quorum());
        assert!(cfg.pre_vote());
    }
}
