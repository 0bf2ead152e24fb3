//! The follower takes a streamed snapshot in: chunks are added in order
//! (a duplicate adds nothing, a gap is answered with what is held so the
//! leader resends from there), straight into the log's `FromLeader` stage
//! when the log stages snapshots, else into one buffer here; the snapshot
//! is installed once every byte arrived. A chunk of another snapshot
//! starts over; the partial one is dropped.

use crate::error::Result;
use crate::log::{RaftLog, SnapshotStage};
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
    /// How many bytes arrived, in order.
    received: u64,
    /// The bytes themselves, if the log does not stage snapshots (else
    /// they are in its `FromLeader` stage). Grows with what arrives, never
    /// reserved from the claimed `total_len` (input from the network).
    buffer: Option<Vec<u8>>,
}

impl IncomingSnapshot {
    fn is_for(&self, chunk: &SnapshotChunk) -> bool {
        (self.index, self.term, self.total_len)
            == (chunk.index, chunk.snapshot_term, chunk.total_len)
    }

    /// What `chunk` carries beyond the bytes held: `None` if the chunk
    /// starts past them (a gap) or would run past the snapshot's end.
    fn new_part<'c>(&self, chunk: &'c SnapshotChunk) -> Option<&'c [u8]> {
        let end = chunk.offset.checked_add(chunk.data.len() as u64)?;
        if chunk.offset > self.received || end > self.total_len {
            return None;
        }
        let skip = usize::try_from(self.received - chunk.offset).unwrap_or(usize::MAX);
        Some(chunk.data.get(skip..).unwrap_or_default())
    }

    fn is_complete(&self) -> bool {
        self.received == self.total_len
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
            self.drop_incoming();
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
            self.begin_incoming(&chunk)?;
        }
        let end = chunk.offset.saturating_add(chunk.data.len() as u64);
        if let Some(incoming) = &self.incoming
            && end >= incoming.total_len
            && self.restore_pending()
        {
            // Installing now would replace the snapshot an announced
            // restore still has to read: leave the last bytes out, so the
            // leader sends them again.
            return Ok((incoming.received, false));
        }
        let Some(incoming) = self.incoming.as_mut() else {
            return Ok((0, false));
        };
        if let Some(part) = incoming.new_part(&chunk).filter(|part| !part.is_empty()) {
            match incoming.buffer.as_mut() {
                Some(buffer) => buffer.extend_from_slice(part),
                None => self.log.stage_write(SnapshotStage::FromLeader, part)?,
            }
            incoming.received += part.len() as u64;
        }
        if !incoming.is_complete() {
            return Ok((incoming.received, false));
        }
        let Some(incoming) = self.incoming.take() else {
            return Ok((0, false));
        };
        let total_len = incoming.total_len;
        self.install_incoming(incoming)?;
        Ok((total_len, true))
    }

    /// Starts receiving the snapshot `chunk` (at offset 0) belongs to,
    /// dropping any partial one.
    fn begin_incoming(&mut self, chunk: &SnapshotChunk) -> Result<()> {
        let staged = self.log.stages_snapshots();
        if staged {
            // Also drops the bytes of a partial snapshot staged before.
            self.log.stage_begin(SnapshotStage::FromLeader)?;
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
            received: 0,
            buffer: (!staged).then(Vec::new),
        });
        Ok(())
    }

    /// Forgets a partial snapshot, and the bytes the log staged for it.
    fn drop_incoming(&mut self) {
        if let Some(incoming) = self.incoming.take()
            && incoming.buffer.is_none()
        {
            self.log.stage_discard(SnapshotStage::FromLeader);
        }
    }

    /// Installs a snapshot every byte of which arrived (the commit index
    /// is below it: checked when its last chunk arrived).
    fn install_incoming(&mut self, incoming: IncomingSnapshot) -> Result<()> {
        let IncomingSnapshot {
            index,
            term,
            membership,
            buffer,
            ..
        } = incoming;
        match buffer {
            Some(data) => {
                let snapshot =
                    Snapshot::with_config(index, term, membership.voters().to_vec(), data);
                self.install_snapshot(snapshot, membership)?;
            }
            None => {
                let membership = self.membership_at_snapshot(index, membership);
                self.log
                    .stage_install(SnapshotStage::FromLeader, index, term, &membership)?;
                self.adopt_installed_snapshot(index, term, membership, None)?;
            }
        }
        Ok(())
    }
}
