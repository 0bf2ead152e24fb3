//! The follower assembles a streamed snapshot: chunks are appended in
//! order into one buffer (a duplicate adds nothing, a gap is answered with
//! what is held so the leader resends from there), and the snapshot is
//! installed once every byte arrived. A chunk of another snapshot starts
//! over; the partial one is dropped.

use crate::error::Result;
use crate::log::RaftLog;
use crate::membership::Membership;
use crate::message::{Message, SnapshotChunk, SnapshotChunkReply};
use crate::node::RaftNode;
use crate::types::{Index, Snapshot, Term};

/// A snapshot being received.
#[derive(Clone, Debug)]
pub(crate) struct IncomingSnapshot {
    index: Index,
    term: Term,
    total_len: u64,
    membership: Membership,
    /// The bytes received so far, in order. Grows with what arrives, never
    /// reserved from the claimed `total_len` (input from the network).
    data: Vec<u8>,
}

impl IncomingSnapshot {
    fn is_for(&self, chunk: &SnapshotChunk) -> bool {
        (self.index, self.term, self.total_len)
            == (chunk.index, chunk.snapshot_term, chunk.total_len)
    }

    /// Adds what `chunk` carries beyond the bytes held. Returns false,
    /// adding nothing, if the chunk starts past them (a gap) or would run
    /// past the snapshot's end.
    fn add(&mut self, chunk: &SnapshotChunk) -> bool {
        let held = self.data.len() as u64;
        let Some(end) = chunk.offset.checked_add(chunk.data.len() as u64) else {
            return false;
        };
        if chunk.offset > held || end > self.total_len {
            return false;
        }
        if end > held {
            let skip = usize::try_from(held - chunk.offset).unwrap_or(usize::MAX);
            self.data.extend_from_slice(&chunk.data[skip..]);
        }
        true
    }

    fn is_complete(&self) -> bool {
        self.data.len() as u64 == self.total_len
    }
}

impl<L: RaftLog> RaftNode<L> {
    pub(in crate::node) fn handle_snapshot_chunk(&mut self, chunk: SnapshotChunk) -> Result<()> {
        if self.is_leader() {
            return Ok(());
        }
        self.hear_from_leader(chunk.leader)?;
        let (leader, index) = (chunk.leader, chunk.index);
        let (next_offset, installed) = self.receive_snapshot_chunk(chunk)?;
        let reply = SnapshotChunkReply {
            term: self.term,
            from: self.id(),
            index,
            next_offset,
            installed,
        };
        self.send(leader, Message::SnapshotChunkReply(reply));
        Ok(())
    }

    /// Returns the bytes held in order and whether our log now matches the
    /// leader's through the chunk's snapshot.
    fn receive_snapshot_chunk(&mut self, chunk: SnapshotChunk) -> Result<(u64, bool)> {
        if chunk.index <= self.commit_index {
            // We already hold that much: nothing to install.
            self.incoming = None;
            return Ok((chunk.total_len, true));
        }
        if !self
            .incoming
            .as_ref()
            .is_some_and(|incoming| incoming.is_for(&chunk))
        {
            if chunk.offset != 0 {
                // Not the start of a snapshot we are receiving: ask for it.
                return Ok((0, false));
            }
            self.incoming = Some(IncomingSnapshot {
                index: chunk.index,
                term: chunk.snapshot_term,
                total_len: chunk.total_len,
                membership: Membership::from_parts(
                    chunk.voters.clone(),
                    chunk.outgoing.clone(),
                    chunk.learners.clone(),
                ),
                data: Vec::new(),
            });
        }
        let Some(incoming) = self.incoming.as_mut() else {
            return Ok((0, false));
        };
        incoming.add(&chunk);
        if !incoming.is_complete() {
            return Ok((incoming.data.len() as u64, false));
        }
        let Some(IncomingSnapshot {
            index,
            term,
            membership,
            data,
            ..
        }) = self.incoming.take()
        else {
            return Ok((0, false));
        };
        let total_len = data.len() as u64;
        let snapshot = Snapshot::with_config(index, term, membership.voters().to_vec(), data);
        self.install_snapshot(snapshot, membership)?;
        Ok((total_len, true))
    }
}
