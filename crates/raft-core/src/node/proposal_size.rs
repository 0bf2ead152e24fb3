//! Proposals sized against the log's append limit
//! (`RaftLog::max_append_bytes`): a too-large proposal is the caller's
//! error, never a storage failure, and a step's proposals are split into as
//! many appends as the limit needs.

use super::RaftNode;
use crate::error::{Error, Result};
use crate::log::{ENTRY_OVERHEAD_BYTES, RaftLog, append_cost};

impl<L: RaftLog> RaftNode<L> {
    /// Makes room in this step's batch for a `command_len`-byte proposal:
    /// refuses it if no append could hold it (nothing written, the node goes
    /// on), and appends the batch so far first if both would not fit in one.
    pub(super) fn make_room_for_proposal(&mut self, command_len: usize) -> Result<()> {
        let max = self.log.max_append_bytes();
        let cost = append_cost(command_len);
        if cost > max {
            return Err(Error::ProposalTooLarge {
                bytes: command_len,
                max: max.saturating_sub(ENTRY_OVERHEAD_BYTES),
            });
        }
        if self.pending_proposal_bytes.saturating_add(cost) > max {
            self.flush_proposals()?;
        }
        self.pending_proposal_bytes = self.pending_proposal_bytes.saturating_add(cost);
        Ok(())
    }
}
