//! What the leader knows of each follower's log: match/next, the replication
//! state (probe, replicate, snapshot), and the window of appends in flight.

use std::collections::VecDeque;

use crate::node::status::{PeerStatus, ReplicationState};
use crate::types::{Index, NodeId};

/// The leader's view of one follower.
///
/// Invariant: `match_index < next_index`.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    pub(crate) id: NodeId,
    /// Highest index known replicated on the follower.
    pub(crate) match_index: Index,
    /// Next index to send.
    pub(crate) next_index: Index,
    pub(crate) state: ReplicationState,
    /// In `Probe`: an append is out and unanswered, so hold off until a
    /// reply or the next heartbeat (one probe per round trip).
    pub(crate) probe_sent: bool,
    /// In `Replicate`: last index of each append in flight, oldest first.
    /// Invariant: at most `inflight_msgs_max` long.
    inflight: VecDeque<Index>,
    /// Heard from since the last check-quorum round (thesis 6.2).
    pub(crate) recent_active: bool,
    /// `match_index` at the previous heartbeat, to detect a stalled pipeline
    /// (a lost append that no reply will ever report).
    pub(crate) match_at_last_heartbeat: Index,
    /// Highest read-probe sequence the follower acknowledged (thesis 6.4).
    pub(crate) read_acked_seq: u64,
    /// In `Snapshot`: the snapshot being streamed, and how far.
    pub(crate) snapshot: SnapshotSend,
}

/// The leader's side of one snapshot stream (paper 7, in chunks).
///
/// Invariant: `acked_offset <= next_offset`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SnapshotSend {
    /// The last index of the snapshot being sent.
    pub(crate) index: Index,
    /// Next byte to send.
    pub(crate) next_offset: u64,
    /// Bytes the follower holds in order.
    pub(crate) acked_offset: u64,
    /// The chunk that completes the snapshot went out (since the last
    /// rewind).
    pub(crate) last_chunk_sent: bool,
    /// Heartbeats in a row at which chunks were outstanding and none was
    /// acknowledged.
    pub(crate) stalled_heartbeats: u32,
    /// `acked_offset` at the last heartbeat.
    pub(crate) acked_at_last_heartbeat: u64,
    /// What the follower's latest answer said it holds: below
    /// `acked_offset` if it lost its partial snapshot (a restart) after
    /// acknowledging more, which a stalled stream then resends from.
    pub(crate) last_reported: u64,
    /// The offset the stream was last rewound to: a stall point is resent
    /// once, not once per late answer about it (which would multiply the
    /// chunks in flight with every duplicated reply).
    pub(crate) rewound_to: Option<u64>,
    /// The follower answered anything since the last resend: it is
    /// reachable, so a stalled stream lost a chunk and is resent; an
    /// unreachable follower gets heartbeats only, never the snapshot again.
    pub(crate) heard: bool,
}

impl SnapshotSend {
    /// Resend from what the follower holds.
    pub(crate) fn rewind(&mut self, offset: u64) {
        self.next_offset = offset;
        self.acked_offset = offset;
        self.last_chunk_sent = false;
        self.rewound_to = Some(offset);
    }
}

impl Progress {
    pub(crate) fn new(id: NodeId, last_index: Index) -> Self {
        Self {
            id,
            match_index: 0,
            next_index: last_index + 1,
            state: ReplicationState::Probe,
            probe_sent: false,
            inflight: VecDeque::new(),
            recent_active: false,
            match_at_last_heartbeat: 0,
            read_acked_seq: 0,
            snapshot: SnapshotSend::default(),
        }
    }

    /// Whether the leader must hold off sending appends.
    pub(crate) fn is_paused(&self, inflight_msgs_max: usize) -> bool {
        match self.state {
            ReplicationState::Probe => self.probe_sent,
            ReplicationState::Replicate => self.inflight.len() >= inflight_msgs_max,
            ReplicationState::Snapshot => true,
        }
    }

    /// Fall back to probing from `next_index` (after a rejection, a stall,
    /// or a snapshot).
    pub(crate) fn become_probe(&mut self, next_index: Index) {
        self.state = ReplicationState::Probe;
        self.next_index = next_index.max(self.match_index + 1);
        self.probe_sent = false;
        self.inflight.clear();
    }

    /// Stream optimistically from just past `match_index`.
    pub(crate) fn become_replicate(&mut self) {
        self.state = ReplicationState::Replicate;
        self.next_index = self.match_index + 1;
        self.probe_sent = false;
        self.inflight.clear();
    }

    /// Stream the snapshot through `index` from its first byte, and wait
    /// for the follower to install it.
    pub(crate) fn become_snapshot(&mut self, index: Index) {
        self.state = ReplicationState::Snapshot;
        self.probe_sent = false;
        self.inflight.clear();
        self.snapshot = SnapshotSend {
            index,
            ..SnapshotSend::default()
        };
    }

    /// Record an append ending at `last_index` as sent.
    pub(crate) fn sent_entries(&mut self, last_index: Index) {
        match self.state {
            ReplicationState::Replicate => {
                self.next_index = last_index + 1;
                self.inflight.push_back(last_index);
            }
            ReplicationState::Probe => self.probe_sent = true,
            ReplicationState::Snapshot => {}
        }
    }

    /// The follower holds everything through `index`. Returns whether
    /// `match_index` moved (a late or duplicated reply moves nothing).
    #[inline]
    pub(crate) fn acknowledge(&mut self, index: Index) -> bool {
        self.probe_sent = false;
        while self.inflight.front().is_some_and(|&last| last <= index) {
            self.inflight.pop_front();
        }
        if index <= self.match_index {
            return false;
        }
        self.match_index = index;
        self.next_index = self.next_index.max(index + 1);
        true
    }

    pub(crate) fn status(&self) -> PeerStatus {
        PeerStatus {
            id: self.id,
            match_index: self.match_index,
            next_index: self.next_index,
            state: self.state,
            inflight: self.inflight.len(),
            recent_active: self.recent_active,
        }
    }
}

/// Progress of every other voter, sorted by id so iteration (and so output)
/// order is deterministic.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProgressTracker {
    peers: Vec<Progress>,
}

impl ProgressTracker {
    pub(crate) fn new(peers: &[NodeId], last_index: Index) -> Self {
        Self {
            peers: peers
                .iter()
                .map(|&id| Progress::new(id, last_index))
                .collect(),
        }
    }

    #[inline]
    pub(crate) fn get(&self, id: NodeId) -> Option<&Progress> {
        self.position(id).map(|pos| &self.peers[pos])
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, id: NodeId) -> Option<&mut Progress> {
        self.position(id).map(|pos| &mut self.peers[pos])
    }

    /// Where `id`'s progress is. Hot path (several lookups per reply and
    /// per send): a cluster has a handful of peers, and a scan of a few
    /// ids is cheaper than a binary search; large ones search.
    #[inline]
    fn position(&self, id: NodeId) -> Option<usize> {
        const SCAN_PEERS_MAX: usize = 8;
        if self.peers.len() <= SCAN_PEERS_MAX {
            self.peers.iter().position(|pr| pr.id == id)
        } else {
            self.peers.binary_search_by_key(&id, |pr| pr.id).ok()
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Progress> {
        self.peers.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Progress> {
        self.peers.iter_mut()
    }

    /// Tracks exactly `ids` (sorted): members that joined start probing
    /// from `last_index + 1`, members that left are forgotten, the rest
    /// keep their progress.
    pub(crate) fn track_exactly(&mut self, ids: &[NodeId], last_index: Index) {
        self.peers.retain(|pr| ids.binary_search(&pr.id).is_ok());
        for &id in ids {
            if let Err(pos) = self.peers.binary_search_by_key(&id, |pr| pr.id) {
                self.peers.insert(pos, Progress::new(id, last_index));
            }
        }
    }

    /// Number of peers tracked.
    pub(crate) fn len(&self) -> usize {
        self.peers.len()
    }

    /// The `i`th peer's progress (`i < len()`): for loops over every peer
    /// that need no lookup by id.
    pub(crate) fn at(&self, i: usize) -> &Progress {
        &self.peers[i]
    }

    /// `at`, mutably.
    pub(crate) fn at_mut(&mut self, i: usize) -> &mut Progress {
        &mut self.peers[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicate_window_pauses_when_full_and_frees_on_ack() {
        let mut pr = Progress::new(2, 10);
        pr.acknowledge(10);
        pr.become_replicate();
        pr.sent_entries(12);
        pr.sent_entries(14);
        assert!(pr.is_paused(2), "two appends in flight fill a window of 2");
        assert_eq!(pr.next_index, 15);
        assert!(pr.acknowledge(12));
        assert!(!pr.is_paused(2));
        assert!(!pr.acknowledge(11), "a late reply never lowers match");
        assert_eq!(pr.match_index, 12);
    }

    #[test]
    fn probe_sends_one_at_a_time() {
        let mut pr = Progress::new(2, 5);
        assert!(!pr.is_paused(8));
        pr.sent_entries(6);
        assert!(pr.is_paused(8));
        pr.acknowledge(0);
        assert!(!pr.is_paused(8));
    }

    #[test]
    fn become_probe_never_goes_below_match() {
        let mut pr = Progress::new(2, 5);
        pr.acknowledge(4);
        pr.become_probe(1);
        assert_eq!(pr.next_index, 5);
    }
}
