//! Pauses: a machine that stops stepping for a while (a long GC pause, a
//! `SIGSTOP`, a VM migration) and then resumes with all its state, unlike
//! a crash. Messages sent to it meanwhile wait and arrive on resume.

use raft_core::{Event, Message, NodeId};

use super::Cluster;
use crate::disk::SimDisk;
use crate::failure::SimResult;

/// A paused machine: when it resumes, and the messages waiting for it.
#[derive(Debug)]
pub(crate) struct Pause {
    until: u64,
    held: Vec<Message>,
}

impl Pause {
    /// Keeps `message` for delivery on resume.
    pub(crate) fn hold(&mut self, message: Message) {
        self.held.push(message);
    }
}

impl<D: SimDisk> Cluster<D> {
    /// Pauses the running node `id` for `ticks` ticks: it neither ticks nor
    /// receives (messages to it queue up, in arrival order) until it
    /// resumes at the start of tick `now + ticks + 1` and receives them
    /// all. Pausing a paused node extends the pause; a node that is down is
    /// not paused.
    ///
    /// ```
    /// use raft_testkit::Cluster;
    /// let mut cluster = Cluster::new(3, 4);
    /// cluster.run_until(500, |c| c.leader().is_some()).unwrap();
    /// let leader = cluster.leader().unwrap();
    /// let term = cluster.term();
    /// cluster.pause(leader, 100);
    /// assert!(cluster.is_paused(leader));
    /// cluster.run_until(100, |c| c.term() > term).unwrap(); // the others move on
    /// cluster.run_for(100).unwrap();
    /// assert!(!cluster.is_paused(leader));
    /// assert_eq!(cluster.node(leader).unwrap().term(), cluster.term(), "it caught up");
    /// ```
    pub fn pause(&mut self, id: NodeId, ticks: u64) {
        let until = self.now + ticks;
        if let Some(machine) = self.machines.get_mut(&id)
            && machine.node.is_some()
        {
            match machine.pause.as_mut() {
                Some(pause) => pause.until = pause.until.max(until),
                None => {
                    machine.pause = Some(Pause {
                        until,
                        held: Vec::new(),
                    });
                }
            }
        }
    }

    /// Whether `id` is paused.
    pub fn is_paused(&self, id: NodeId) -> bool {
        self.machines.get(&id).is_some_and(|m| m.pause.is_some())
    }

    /// Resumes a paused `id` now, delivering the messages it missed (each
    /// a checked step).
    ///
    /// # Errors
    /// A [`SimFailure`](crate::SimFailure) if a delivery breaks a property.
    pub fn resume(&mut self, id: NodeId) -> SimResult {
        let Some(pause) = self.machines.get_mut(&id).and_then(|m| m.pause.take()) else {
            return Ok(());
        };
        for message in pause.held {
            self.step(id, Event::Message(message))?.ok();
        }
        Ok(())
    }

    /// Resumes every node whose pause is over.
    pub(super) fn resume_due(&mut self) -> SimResult {
        let due: Vec<NodeId> = self
            .machines
            .iter()
            .filter(|(_, m)| m.pause.as_ref().is_some_and(|p| p.until < self.now))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            self.resume(id)?;
        }
        Ok(())
    }

    /// How many nodes are paused now.
    pub(super) fn paused(&self) -> usize {
        self.machines.values().filter(|m| m.pause.is_some()).count()
    }
}
