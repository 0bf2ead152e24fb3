//! Client operations on a simulated cluster: proposals routed to the
//! leader (and retried like a client would), and checked linearizable reads.

use raft_core::{Event, Index, NodeId, Term};

use super::Cluster;
use crate::disk::SimDisk;
use crate::failure::SimResult;

impl<D: SimDisk> Cluster<D> {
    /// Proposes `command` to the current leader. Returns the leader that
    /// accepted it, or `None` if there is no leader right now (or it is
    /// paused). The command reaches the state machines as it is: it is no
    /// client operation, so nothing deduplicates it.
    pub fn propose(&mut self, command: Vec<u8>) -> SimResult<Option<NodeId>> {
        let Some(leader) = self.leader().filter(|&id| !self.is_paused(id)) else {
            return Ok(None);
        };
        Ok(self.step_propose(leader, command)?.ok().map(|()| leader))
    }

    /// Proposes `command` like a client would: to the current leader,
    /// again whenever leadership moves before it is applied, until every
    /// running node has applied it (or `max_ticks` pass). Returns the index
    /// at which it was applied.
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::new(3, 1);
    /// let index = cluster.propose_and_wait(b"hello".to_vec(), 1_000).unwrap();
    /// assert!(index >= 2); // index 1 is the first leader's no-op
    /// ```
    pub fn propose_and_wait(&mut self, command: Vec<u8>, max_ticks: u64) -> SimResult<Index> {
        let mut proposed_under: Option<(NodeId, Term)> = None;
        for _ in 0..max_ticks {
            if let Some(index) = self.index_applied_everywhere(&command) {
                return Ok(index);
            }
            let current = self
                .leader()
                .and_then(|id| self.node(id).map(|node| (id, node.term())));
            if current.is_some() && current != proposed_under {
                // No leader has it yet under this leadership: (re)send it.
                if self.propose(command.clone())?.is_some() {
                    proposed_under = current;
                }
            }
            self.tick()?;
        }
        Err(self.fail(format_args!(
            "liveness: {:?} not applied everywhere within {max_ticks} ticks; {}",
            String::from_utf8_lossy(&command),
            self.describe()
        )))
    }

    /// The index at which every running member of the leader's
    /// configuration applied `command`, if all did (a removed node gets
    /// nothing more).
    fn index_applied_everywhere(&self, command: &[u8]) -> Option<Index> {
        let members = self.node(self.leader()?)?.membership().clone();
        let mut found = None;
        let running_members = self
            .machines
            .iter()
            .filter(|(id, m)| m.node.is_some() && members.contains(**id));
        for (_, machine) in running_members {
            let (index, _) = machine
                .replica
                .applied()
                .iter()
                .find(|(_, c)| c == command)?;
            found = Some(*index);
        }
        found
    }

    /// Issues a linearizable read at the current leader; the cluster checks
    /// that its `ReadReady` index reflects every write applied before now.
    /// Returns the read id, or `None` without a leader (or with a paused
    /// one).
    pub fn read(&mut self) -> SimResult<Option<u64>> {
        let Some(leader) = self.leader().filter(|&id| !self.is_paused(id)) else {
            return Ok(None);
        };
        let id = self.register_read();
        Ok(self.step(leader, Event::Read { id })?.ok().map(|()| id))
    }

    /// Issues a linearizable read at node `id`, whatever it believes it is
    /// (to test read modes against a deposed leader); checked like
    /// [`read`](Self::read). Returns the read id, or `None` if the node
    /// refused it (it is not a leader) or is down or paused.
    pub fn read_at(&mut self, id: NodeId) -> SimResult<Option<u64>> {
        if !self.is_up(id) || self.is_paused(id) {
            return Ok(None);
        }
        let read = self.register_read();
        Ok(self.step(id, Event::Read { id: read })?.ok().map(|()| read))
    }

    /// A fresh read id, remembered with the highest index applied anywhere
    /// now: the `ReadReady` index must reflect at least that.
    pub(super) fn register_read(&mut self) -> u64 {
        let id = self.next_read_id;
        self.next_read_id += 1;
        let floor = self
            .checker
            .applied()
            .last_key_value()
            .map_or(0, |(&index, _)| index);
        self.reads.insert(id, floor);
        id
    }

    /// Whether the read `id` (from [`read`](Self::read)) was answered by
    /// an `Action::ReadReady`.
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::new(3, 6);
    /// cluster.run_until(500, |c| c.leader().is_some()).unwrap();
    /// let read = cluster.read().unwrap().unwrap();
    /// cluster.run_until(100, |c| c.read_answered(read)).unwrap();
    /// ```
    pub fn read_answered(&self, id: u64) -> bool {
        id < self.next_read_id && !self.reads.contains_key(&id)
    }
}
