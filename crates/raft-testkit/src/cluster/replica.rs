//! `Replica`: what one node's state machine has seen: the user's machine,
//! the cluster's own record of the commands applied, and the client
//! operations already applied (exactly-once delivery to the user machine).

use std::collections::BTreeSet;
use std::fmt;

use raft_core::Index;

use crate::envelope;
use crate::state;
use crate::state_machine::BoxedMachine;

/// What applying one committed command did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    /// A command proposed directly, not by a client operation.
    Raw,
    /// Client operation `op`, applied for the first time on this replica;
    /// the user machine answered `response`.
    Op {
        /// The operation's id.
        op: u64,
        /// The user machine's response.
        response: Vec<u8>,
    },
    /// A retry of client operation `op`, which this replica had applied
    /// already: the user machine did not see it again.
    Duplicate,
}

/// One node's state machine and what it has applied since it last started.
pub(crate) struct Replica {
    /// Commands applied (as logged, client header included), by index.
    applied: Vec<(Index, Vec<u8>)>,
    machine: BoxedMachine,
    /// Client operations applied: a function of `applied`, so it survives
    /// snapshots and restarts by being rebuilt from the restored record.
    ops: BTreeSet<u64>,
}

impl Replica {
    /// A replica with a fresh machine that has applied nothing.
    pub(crate) fn new(machine: BoxedMachine) -> Self {
        Self {
            applied: Vec::new(),
            machine,
            ops: BTreeSet::new(),
        }
    }

    /// The commands applied, by index.
    pub(crate) fn applied(&self) -> &[(Index, Vec<u8>)] {
        &self.applied
    }

    /// Whether client operation `op` was applied.
    pub(crate) fn has_applied(&self, op: u64) -> bool {
        self.ops.contains(&op)
    }

    /// The user's machine.
    pub(crate) fn machine(&self) -> &BoxedMachine {
        &self.machine
    }

    /// Applies the committed `command` at `index`: a client write reaches
    /// the user machine without its header, and only the first time.
    pub(crate) fn apply(&mut self, index: Index, command: Vec<u8>) -> Applied {
        self.applied.push((index, command));
        let Some((_, command)) = self.applied.last() else {
            return Applied::Raw;
        };
        match envelope::unwrap(command) {
            None => {
                self.machine.apply(command);
                Applied::Raw
            }
            Some((op, _)) if self.ops.contains(&op) => Applied::Duplicate,
            Some((op, user)) => {
                self.ops.insert(op);
                Applied::Op {
                    op,
                    response: self.machine.apply(user),
                }
            }
        }
    }

    /// The snapshot data through `index` (the machine has applied exactly
    /// through it when the node asks).
    pub(crate) fn snapshot(&self, index: Index) -> Vec<u8> {
        state::encode(&self.applied, index, &self.machine.snapshot())
    }

    /// Replaces the state with a snapshot's: the record `applied` (already
    /// checked) and the user machine's bytes; rebuilds the applied client
    /// operations from the record.
    pub(crate) fn restore(&mut self, applied: Vec<(Index, Vec<u8>)>, machine: &[u8]) {
        self.ops = applied
            .iter()
            .filter_map(|(_, command)| envelope::unwrap(command).map(|(op, _)| op))
            .collect();
        self.applied = applied;
        self.machine.restore(machine);
    }
}

impl fmt::Debug for Replica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replica")
            .field("applied", &self.applied.len())
            .field("ops", &self.ops.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_machine::StateMachine;

    /// Remembers every command it saw, in order.
    #[derive(Default)]
    struct Log(Vec<Vec<u8>>);

    impl StateMachine for Log {
        fn apply(&mut self, command: &[u8]) -> Vec<u8> {
            self.0.push(command.to_vec());
            self.0.len().to_le_bytes().to_vec()
        }
        fn query(&self, _query: &[u8]) -> Vec<u8> {
            self.0.concat()
        }
        fn snapshot(&self) -> Vec<u8> {
            self.0.concat()
        }
        fn restore(&mut self, snapshot: &[u8]) {
            self.0 = vec![snapshot.to_vec()];
        }
    }

    #[test]
    fn applies_each_client_op_once_even_after_a_restore() {
        let mut replica = Replica::new(Box::new(Log::default()));
        assert_eq!(replica.apply(1, b"raw".to_vec()), Applied::Raw);
        let op = replica.apply(2, envelope::wrap(9, b"w"));
        assert_eq!(
            op,
            Applied::Op {
                op: 9,
                response: 2usize.to_le_bytes().to_vec()
            }
        );
        assert_eq!(
            replica.apply(3, envelope::wrap(9, b"w")),
            Applied::Duplicate
        );
        assert_eq!(replica.machine().query(b""), b"raww");

        let data = replica.snapshot(3);
        let decoded = state::decode(&data).unwrap();
        let mut restored = Replica::new(Box::new(Log::default()));
        restored.restore(decoded.applied, decoded.machine);
        assert_eq!(restored.applied().len(), 3);
        assert_eq!(
            restored.apply(4, envelope::wrap(9, b"w")),
            Applied::Duplicate
        );
        assert!(matches!(
            restored.apply(5, envelope::wrap(10, b"x")),
            Applied::Op { op: 10, .. }
        ));
        assert_eq!(restored.machine().query(b""), b"rawwx");
    }
}
