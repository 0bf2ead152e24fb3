//! The leader streams its snapshot to a follower whose next entry it
//! compacted away: chunks of `snapshot_chunk_bytes`, a few in flight, each
//! acknowledged with the bytes the follower holds, like appends under flow
//! control. A lost chunk is resent from what the follower holds, not from
//! the start; a newer snapshot replaces the stream.
//!
//! While streaming, the follower gets a heartbeat every interval (it must
//! not time out, and check-quorum counts its answers), and a stream is
//! resent only to a follower that answers: an unreachable one costs a
//! heartbeat per interval, never the snapshot.

use crate::log::RaftLog;
use crate::message::{Message, SnapshotChunk, SnapshotChunkReply};
use crate::node::RaftNode;
use crate::node::status::ReplicationState;
use crate::types::{Index, NodeId};

/// Chunks a leader keeps in flight to one follower.
const CHUNKS_IN_FLIGHT: u64 = 8;

/// Heartbeats without progress, while the follower answers, after which
/// the outstanding chunks are resent (one is not enough: an answer may be
/// on its way when a round trip is longer than the interval).
const STALLED_HEARTBEATS_MAX: u32 = 2;

impl<L: RaftLog> RaftNode<L> {
    /// Starts (or continues) streaming our snapshot to `to`. Returns
    /// whether anything was sent.
    pub(in crate::node) fn send_snapshot(&mut self, to: NodeId) -> bool {
        let index = self.log.snapshot_index();
        if index == 0 {
            return false;
        }
        let Some(pr) = self.progress.get_mut(to) else {
            return false;
        };
        let streaming = pr.state == ReplicationState::Snapshot && pr.snapshot.index == index;
        if !streaming {
            // A newer snapshot replaces one half sent.
            pr.become_snapshot(index);
        }
        self.send_snapshot_chunks(to)
    }

    /// Sends the chunks the window allows. Returns whether any went out.
    fn send_snapshot_chunks(&mut self, to: NodeId) -> bool {
        let index = self.log.snapshot_index();
        let Some(snapshot_term) = self.log.term_at(index) else {
            return false;
        };
        let total_len = self.log.snapshot_len();
        let chunk_bytes = self.config.snapshot_chunk_bytes() as u64;
        let window = chunk_bytes.saturating_mul(CHUNKS_IN_FLIGHT);
        let membership = self.log.snapshot_membership().unwrap_or_default();
        let mut sent = false;
        loop {
            let Some(pr) = self.progress.get_mut(to) else {
                return sent;
            };
            let stream = &mut pr.snapshot;
            if pr.state != ReplicationState::Snapshot
                || stream.index != index
                || stream.last_chunk_sent
                || stream.next_offset - stream.acked_offset >= window
            {
                return sent;
            }
            let offset = stream.next_offset;
            let len = chunk_bytes.min(total_len.saturating_sub(offset));
            stream.next_offset = offset + len;
            stream.last_chunk_sent = stream.next_offset >= total_len;
            let data = self
                .log
                .snapshot_chunk(offset, usize::try_from(len).unwrap_or(usize::MAX));
            let chunk = SnapshotChunk {
                term: self.term,
                leader: self.id(),
                index,
                snapshot_term,
                voters: membership.voters().to_vec(),
                learners: membership.learners().to_vec(),
                outgoing: membership.outgoing_voters().to_vec(),
                total_len,
                offset,
                data,
            };
            self.send(to, Message::SnapshotChunk(Box::new(chunk)));
            sent = true;
        }
    }

    pub(in crate::node) fn handle_snapshot_chunk_reply(&mut self, reply: SnapshotChunkReply) {
        if !self.is_leader() {
            return;
        }
        if reply.installed {
            self.snapshot_installed(reply.from, reply.index);
            return;
        }
        let total_len = self.log.snapshot_len();
        let Some(pr) = self.progress.get_mut(reply.from) else {
            return;
        };
        pr.recent_active = true;
        if pr.state != ReplicationState::Snapshot || pr.snapshot.index != reply.index {
            return; // About a stream that is over: stale.
        }
        let stream = &mut pr.snapshot;
        stream.heard = true;
        stream.last_reported = reply.next_offset;
        let first_stall_here = stream.rewound_to != Some(reply.next_offset);
        if reply.next_offset == 0 && stream.acked_offset > 0 && first_stall_here {
            // The follower lost what it had (it restarted): start over.
            stream.rewind(0);
        } else if reply.next_offset == stream.acked_offset
            && stream.acked_offset < stream.next_offset
            && first_stall_here
        {
            // The same offset acknowledged again while more is in flight:
            // a chunk after it was lost (the follower answers a chunk past
            // a gap with what it holds). Resend from there, once.
            stream.rewind(reply.next_offset);
        } else if reply.next_offset > stream.acked_offset {
            // Progress. The follower may hold more than this stream sent
            // (from an earlier leader's stream of the same snapshot): skip
            // ahead. (A late reply that acknowledges less changes nothing.)
            let held = reply.next_offset.min(total_len);
            stream.acked_offset = held;
            if stream.next_offset < held {
                stream.next_offset = held;
                stream.last_chunk_sent = false;
            }
            stream.rewound_to = None;
        }
        self.send_snapshot_chunks(reply.from);
    }

    /// The follower's log matches ours through `index` (it installed our
    /// snapshot, or already had that much): leave the snapshot state and
    /// replicate from there. A late or duplicated answer about an older
    /// snapshot moves nothing back.
    pub(in crate::node) fn snapshot_installed(&mut self, from: NodeId, index: Index) {
        if !self.is_leader() {
            return;
        }
        let last = self.log.last_index();
        let Some(pr) = self.progress.get_mut(from) else {
            return;
        };
        pr.recent_active = true;
        if index > last {
            return; // Claims entries we never had: bad input.
        }
        let moved = pr.acknowledge(index);
        let done = pr.state == ReplicationState::Snapshot && index >= pr.snapshot.index;
        if done {
            let next = pr.match_index + 1;
            pr.become_probe(next);
        }
        if moved {
            self.maybe_commit();
        }
        if done {
            self.send_appends_while_open(from);
        }
    }

    /// At every heartbeat of a follower in the snapshot state: a heartbeat
    /// (an empty append at our snapshot's index: once installed, its answer
    /// ends the stream even if the last chunk's answer was lost), and, once
    /// the stream stalled for two heartbeats while the follower answered, a
    /// resend from what the follower holds.
    pub(in crate::node) fn heartbeat_snapshot_stream(&mut self, to: NodeId) {
        let snapshot_index = self.log.snapshot_index();
        if let Some(pr) = self.progress.get_mut(to) {
            if pr.snapshot.index != snapshot_index {
                // We compacted again: stream the newer snapshot instead.
                self.send_snapshot(to);
                return;
            }
            let stream = &mut pr.snapshot;
            // Chunks are in flight, or the follower says it holds less than
            // it acknowledged (it restarted).
            let outstanding = stream.acked_offset < stream.next_offset
                || stream.last_reported < stream.acked_offset;
            if outstanding && stream.acked_offset == stream.acked_at_last_heartbeat {
                stream.stalled_heartbeats = stream.stalled_heartbeats.saturating_add(1);
            } else {
                stream.stalled_heartbeats = 0;
            }
            stream.acked_at_last_heartbeat = stream.acked_offset;
            if stream.stalled_heartbeats >= STALLED_HEARTBEATS_MAX && stream.heard {
                let from = stream.acked_offset.min(stream.last_reported);
                stream.rewind(from);
                stream.stalled_heartbeats = 0;
                stream.heard = false;
                self.send_snapshot(to);
            }
        }
        self.send_empty_append(to, snapshot_index);
    }
}
