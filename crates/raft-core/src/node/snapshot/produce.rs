//! The application's snapshot (Raft paper 7): whole, in `Event::Snapshot`,
//! or piece by piece (`Event::SnapshotPiece`) into the log's
//! `FromApplication` stage, whose last piece stores it and compacts the log
//! the same way.

use crate::error::{Error, Result};
use crate::log::{RaftLog, SnapshotStage};
use crate::membership::Membership;
use crate::node::RaftNode;
use crate::types::{Index, Snapshot, Term};

/// The application's snapshot being written: where it ends, and the
/// configuration in force there, fixed when its first piece arrived.
#[derive(Clone, Debug)]
pub(crate) struct ProducedSnapshot {
    index: Index,
    term: Term,
    membership: Membership,
    /// Bytes staged so far: where the next piece must start.
    written: u64,
}

impl<L: RaftLog> RaftNode<L> {
    /// The application's snapshot through `index`, whole: store it, with
    /// the configuration in force there, and compact the log before it.
    pub(in crate::node) fn compact(&mut self, index: Index, data: Vec<u8>) -> Result<()> {
        let Some(ProducedSnapshot {
            index,
            term,
            membership,
            ..
        }) = self.begin_produced_snapshot(index)?
        else {
            return Ok(()); // Already covered: a late answer to an old hint.
        };
        if self.restore_pending() {
            // The log must keep its snapshot for a restore the application
            // has not read yet: this one is dropped; the next hint asks again.
            return Ok(());
        }
        let snapshot = Snapshot::with_config(index, term, membership.voters().to_vec(), data);
        self.log
            .apply_snapshot_with_membership(&snapshot, &membership)?;
        self.configs.compact(index);
        self.unsynced = true;
        Ok(())
    }

    pub(in crate::node) fn snapshot_piece(
        &mut self,
        index: Index,
        offset: u64,
        data: &[u8],
        done: bool,
    ) -> Result<()> {
        if !self.log.stages_snapshots() {
            return Err(Error::InvalidRequest {
                what: "this log backend does not stage snapshots: send the whole state in Event::Snapshot",
            });
        }
        let writing = self.producing.as_ref().map(|produced| produced.index) == Some(index);
        if index <= self.log.snapshot_index() {
            // Covered already: a late answer to an old hint, or a leader's
            // snapshot overtook it while it was being written.
            if writing {
                self.producing = None;
                self.log.stage_discard(SnapshotStage::FromApplication);
            }
            return Ok(());
        }
        if offset == 0 {
            let Some(produced) = self.begin_produced_snapshot(index)? else {
                return Ok(());
            };
            self.log.stage_begin(SnapshotStage::FromApplication)?;
            self.producing = Some(produced);
        }
        let Some(produced) = self
            .producing
            .as_mut()
            .filter(|produced| (produced.index, produced.written) == (index, offset))
        else {
            return Err(Error::InvalidRequest {
                what: "a snapshot piece must start at offset 0 or where the last piece of that snapshot ended",
            });
        };
        produced.written += data.len() as u64;
        self.log.stage_write(SnapshotStage::FromApplication, data)?;
        if !done {
            return Ok(());
        }
        let Some(ProducedSnapshot {
            index,
            term,
            membership,
            ..
        }) = self.producing.take()
        else {
            return Ok(());
        };
        if self.restore_pending() {
            // As in `compact`: dropped, the next hint asks again.
            self.log.stage_discard(SnapshotStage::FromApplication);
            return Ok(());
        }
        self.log
            .stage_install(SnapshotStage::FromApplication, index, term, &membership)?;
        self.configs.compact(index);
        self.unsynced = true;
        Ok(())
    }

    /// Checks a snapshot through `index` may be stored now; `None` if the
    /// log is compacted past it already.
    fn begin_produced_snapshot(&self, index: Index) -> Result<Option<ProducedSnapshot>> {
        if index <= self.log.snapshot_index() {
            return Ok(None);
        }
        if index > self.last_applied {
            return Err(Error::InvalidRequest {
                what: "a snapshot must not cover entries that were not applied",
            });
        }
        let Some(term) = self.log.term_at(index) else {
            return Err(Error::storage(
                "compact",
                format_args!("applied index {index} has no term in the log"),
            ));
        };
        Ok(Some(ProducedSnapshot {
            index,
            term,
            membership: self.configs.at(index).clone(),
            written: 0,
        }))
    }
}
