//! Staged snapshots: a snapshot taken in pieces before it becomes the log's.
//! Two stages, so a snapshot a leader streams to this node and one the
//! application writes never mix; `StagedSnapshots` holds both in memory for
//! a backend that keeps everything in memory anyway.

use crate::error::{Error, Result};

/// **(ours)** Who is filling a staged snapshot (see
/// [`RaftLog::stages_snapshots`](super::RaftLog::stages_snapshots)). A log
/// keeps one staged snapshot per stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SnapshotStage {
    /// A snapshot a leader is streaming to this node, chunk by chunk.
    FromLeader,
    /// The application's own snapshot, written with `Event::SnapshotPiece`.
    FromApplication,
}

impl SnapshotStage {
    /// The `Error::Storage` for a `stage_*` call on a stage that holds no
    /// snapshot (not begun, or already installed or discarded), for
    /// `context`: one wording for every backend.
    ///
    /// ```
    /// use raft_core::log::SnapshotStage;
    /// let error = SnapshotStage::FromLeader.nothing_staged("stage snapshot");
    /// assert!(error.to_string().contains("no snapshot is being staged FromLeader"));
    /// ```
    pub fn nothing_staged(self, context: &'static str) -> Error {
        Error::storage(
            context,
            format_args!("no snapshot is being staged {self:?}"),
        )
    }
}

/// **(ours)** The two staging buffers of an in-memory backend: what
/// `MemoryLog` uses, and a ready part for a custom in-memory `RaftLog`.
///
/// ```
/// use raft_core::log::{SnapshotStage, StagedSnapshots};
/// let mut staged = StagedSnapshots::default();
/// staged.begin(SnapshotStage::FromLeader);
/// staged.write(SnapshotStage::FromLeader, b"sta").unwrap();
/// staged.write(SnapshotStage::FromLeader, b"te").unwrap();
/// assert!(staged.write(SnapshotStage::FromApplication, b"x").is_err()); // not begun
/// assert_eq!(staged.take(SnapshotStage::FromLeader).unwrap(), b"state");
/// assert!(staged.take(SnapshotStage::FromLeader).is_err()); // taken
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StagedSnapshots {
    from_leader: Option<Vec<u8>>,
    from_application: Option<Vec<u8>>,
}

impl StagedSnapshots {
    fn slot(&mut self, stage: SnapshotStage) -> &mut Option<Vec<u8>> {
        match stage {
            SnapshotStage::FromLeader => &mut self.from_leader,
            SnapshotStage::FromApplication => &mut self.from_application,
        }
    }

    /// Starts `stage` empty, dropping what it held.
    pub fn begin(&mut self, stage: SnapshotStage) {
        *self.slot(stage) = Some(Vec::new());
    }

    /// Appends `data` to `stage`; fails if `stage` was not begun.
    pub fn write(&mut self, stage: SnapshotStage, data: &[u8]) -> Result<()> {
        match self.slot(stage) {
            Some(bytes) => {
                bytes.extend_from_slice(data);
                Ok(())
            }
            None => Err(stage.nothing_staged("stage snapshot")),
        }
    }

    /// The bytes staged in `stage`, leaving it empty; fails if `stage`
    /// was not begun.
    pub fn take(&mut self, stage: SnapshotStage) -> Result<Vec<u8>> {
        self.slot(stage)
            .take()
            .ok_or_else(|| stage.nothing_staged("stage snapshot"))
    }

    /// Drops what `stage` holds.
    pub fn discard(&mut self, stage: SnapshotStage) {
        *self.slot(stage) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discard_empties_one_stage_and_leaves_the_other() {
        let mut staged = StagedSnapshots::default();
        staged.begin(SnapshotStage::FromLeader);
        staged.begin(SnapshotStage::FromApplication);
        staged
            .write(SnapshotStage::FromApplication, b"app")
            .unwrap();
        staged.discard(SnapshotStage::FromLeader);
        assert!(staged.write(SnapshotStage::FromLeader, b"x").is_err());
        assert_eq!(staged.take(SnapshotStage::FromApplication).unwrap(), b"app");
    }
}
