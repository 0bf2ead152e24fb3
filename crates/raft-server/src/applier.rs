//! The apply thread: owns the state machine, applies committed entries in
//! order, answers the proposals it was asked to track and the reads the
//! consensus thread released, and takes snapshots. Consensus never waits
//! for it: it only ever sends to this thread.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use raft_core::log::DetachedSnapshotReader;
use raft_core::{Index, NodeId, Term};

use crate::error::ServerError;
use crate::host_entry::{self, AddressBook};
use crate::pending::Responder;
use crate::request::Input;
use crate::snapshot_pieces::PieceWriter;
use crate::state_machine::StateMachine;

/// What the consensus thread hands the apply thread, in log order.
pub(crate) enum ToApplier {
    /// A proposal of ours was accepted at (`index`, `term`): answer it when
    /// that index applies. Always sent before the index's `Apply`.
    Track {
        index: Index,
        term: Term,
        deadline: Instant,
        reply: Responder<Vec<u8>>,
    },
    Apply {
        index: Index,
        term: Term,
        command: Vec<u8>,
    },
    /// A read whose index is applied (every earlier `Apply` was sent
    /// before it): answer it now.
    Query {
        query: Vec<u8>,
        reply: Responder<Vec<u8>>,
    },
    /// The core suggests compacting through `index` (the last index sent).
    SnapshotHint { index: Index },
    /// A committed `PeerAddress` entry: kept for the snapshots.
    PeerAddress { id: NodeId, addr: SocketAddr },
    /// Replace the state with the snapshot through `index` (the host's
    /// address book, then the machine's data).
    RestoreFrom {
        index: Index,
        reader: DetachedSnapshotReader,
    },
}

/// A tracked proposal waiting for its index to apply.
struct Waiting {
    term: Term,
    deadline: Instant,
    reply: Responder<Vec<u8>>,
}

/// How often expired proposals are answered `Timeout` while idle.
const SWEEP_EVERY: Duration = Duration::from_millis(50);

pub(crate) fn run<S: StateMachine>(
    machine: S,
    book: AddressBook,
    work: &Receiver<ToApplier>,
    consensus: &SyncSender<Input>,
) {
    let mut applier = Applier {
        machine,
        waiting: BTreeMap::new(),
        book,
        consensus: consensus.clone(),
    };
    let mut last_sweep = Instant::now();
    loop {
        match work.recv_timeout(SWEEP_EVERY) {
            Ok(item) => {
                if applier.handle(item) == Flow::Stop {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The consensus thread stopped: every waiting proposal is
            // answered `ShuttingDown` as `waiting` drops.
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = Instant::now();
            sweep_expired(&mut applier.waiting, last_sweep);
        }
    }
}

/// The apply thread's state.
struct Applier<S> {
    machine: S,
    /// Tracked proposals by index.
    waiting: BTreeMap<Index, Waiting>,
    /// The peers' addresses as of the last applied index (they lead every
    /// snapshot, see `host_entry`).
    book: AddressBook,
    consensus: SyncSender<Input>,
}

impl<S: StateMachine> Applier<S> {
    fn handle(&mut self, item: ToApplier) -> Flow {
        match item {
            ToApplier::Track {
                index,
                term,
                deadline,
                reply,
            } => {
                // An older waiter at the same index lost it to this entry.
                if let Some(old) = self.waiting.insert(
                    index,
                    Waiting {
                        term,
                        deadline,
                        reply,
                    },
                ) {
                    old.reply.answer(Err(ServerError::Lost));
                }
            }
            ToApplier::Apply {
                index,
                term,
                command,
            } => {
                let response = self.machine.apply(index, &command);
                // Waiters below `index` were overwritten by entries that
                // apply nothing (a leader's no-op, a configuration, a
                // peer's address): lost.
                let later = self.waiting.split_off(&(index + 1));
                for (at, waiter) in std::mem::replace(&mut self.waiting, later) {
                    let answer = if at == index && waiter.term == term {
                        Ok(response.clone())
                    } else {
                        Err(ServerError::Lost)
                    };
                    waiter.reply.answer(answer);
                }
            }
            ToApplier::Query { query, reply } => reply.answer(Ok(self.machine.query(&query))),
            ToApplier::PeerAddress { id, addr } => {
                self.book.insert(id, addr);
            }
            ToApplier::SnapshotHint { index } => self.take_snapshot(index),
            ToApplier::RestoreFrom { index, mut reader } => {
                return self.restore(index, &mut reader);
            }
        }
        Flow::Continue
    }

    /// Writes the address book and the machine's state to the log, in
    /// pieces. A failed snapshot is dropped (its last piece is never sent,
    /// so the log keeps its previous one); the core hints again later.
    fn take_snapshot(&mut self, index: Index) {
        let mut pieces = PieceWriter::new(index, &self.consensus);
        let written = pieces
            .write_all(&host_entry::encode_book(&self.book))
            .and_then(|()| self.machine.write_snapshot(&mut pieces))
            .and_then(|()| pieces.finish());
        if let Err(error) = written {
            tracing::warn!(index, %error, "snapshot not taken");
        }
    }

    /// Replaces the state with the snapshot through `index` in `reader`.
    fn restore(&mut self, index: Index, reader: &mut dyn std::io::Read) -> Flow {
        let restored = host_entry::read_book(reader)
            .and_then(|book| self.machine.restore_from(reader).map(|()| book));
        let book = match restored {
            Ok(book) => book,
            Err(error) => {
                // The state is no longer the log's: applying on would
                // answer from a wrong state. Stop; callers time out.
                tracing::error!(index, %error, "snapshot restore failed; apply thread stopping");
                return Flow::Stop;
            }
        };
        // The consensus thread learns the peers too; it never waits for us,
        // so this send cannot deadlock.
        let _ = self.consensus.send(Input::PeersLearned(book.clone()));
        self.book = book;
        // Waiters at or below `index` cannot learn their fate (the snapshot
        // does not say which commands it holds).
        let later = self.waiting.split_off(&(index + 1));
        for (_, waiter) in std::mem::replace(&mut self.waiting, later) {
            waiter.reply.answer(Err(ServerError::Unknown));
        }
        Flow::Continue
    }
}

/// Whether the apply thread goes on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

fn sweep_expired(waiting: &mut BTreeMap<Index, Waiting>, now: Instant) {
    let expired: Vec<Index> = waiting
        .iter()
        .filter(|(_, waiter)| waiter.deadline <= now)
        .map(|(&index, _)| index)
        .collect();
    for index in expired {
        if let Some(waiter) = waiting.remove(&index) {
            waiter.reply.answer(Err(ServerError::Timeout));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::mpsc::sync_channel;

    use super::*;
    use crate::pending::{Pending, pending};

    /// Counts applied commands; answers with the count.
    #[derive(Default)]
    struct Counter(u64);

    impl StateMachine for Counter {
        fn apply(&mut self, _index: Index, _command: &[u8]) -> Vec<u8> {
            self.0 += 1;
            self.0.to_le_bytes().to_vec()
        }
        fn query(&self, _query: &[u8]) -> Vec<u8> {
            self.0.to_le_bytes().to_vec()
        }
        fn snapshot(&self) -> Vec<u8> {
            self.0.to_le_bytes().to_vec()
        }
        fn restore(&mut self, snapshot: &[u8]) {
            self.0 = snapshot.try_into().map(u64::from_le_bytes).unwrap_or(0);
        }
    }

    struct Harness {
        applier: Applier<Counter>,
    }

    impl Harness {
        fn new() -> (Self, Receiver<Input>) {
            let (consensus, inputs) = sync_channel(8);
            let applier = Applier {
                machine: Counter::default(),
                waiting: BTreeMap::new(),
                book: AddressBook::new(),
                consensus,
            };
            (Self { applier }, inputs)
        }

        fn track(&mut self, index: Index, term: Term, deadline: Instant) -> Pending<Vec<u8>> {
            let (reply, answer) = pending();
            self.feed(ToApplier::Track {
                index,
                term,
                deadline,
                reply,
            });
            answer
        }

        fn apply(&mut self, index: Index, term: Term) {
            self.feed(ToApplier::Apply {
                index,
                term,
                command: b"c".to_vec(),
            });
        }

        fn feed(&mut self, item: ToApplier) {
            assert!(self.applier.handle(item) == Flow::Continue);
        }
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn a_proposal_is_answered_by_its_own_entry_and_lost_to_another_terms() {
        let (mut h, _inputs) = Harness::new();
        let applied = h.track(1, 2, later());
        let overwritten = h.track(2, 2, later());
        let skipped = h.track(3, 2, later());
        h.apply(1, 2);
        // Index 2 went to a new leader's entry (term 3); index 3 to a no-op
        // or configuration entry, which applies nothing.
        h.apply(2, 3);
        h.apply(4, 3);
        assert_eq!(applied.wait(), Ok(1u64.to_le_bytes().to_vec()));
        assert_eq!(overwritten.wait(), Err(ServerError::Lost));
        assert_eq!(skipped.wait(), Err(ServerError::Lost));
        assert!(h.applier.waiting.is_empty());
    }

    /// A snapshot as the host writes it: the address book, then `state`.
    fn snapshot_of(book: &AddressBook, state: u64) -> Box<std::io::Cursor<Vec<u8>>> {
        let mut data = host_entry::encode_book(book);
        data.extend_from_slice(&state.to_le_bytes());
        Box::new(std::io::Cursor::new(data))
    }

    fn a_book() -> AddressBook {
        AddressBook::from([(4, "127.0.0.1:7004".parse().unwrap())])
    }

    #[test]
    fn a_snapshot_makes_covered_outcomes_unknown_and_expired_ones_time_out() {
        let (mut h, inputs) = Harness::new();
        let covered = h.track(5, 1, later());
        let beyond = h.track(9, 1, later());
        h.feed(ToApplier::RestoreFrom {
            index: 6,
            reader: snapshot_of(&AddressBook::new(), 40),
        });
        assert_eq!(covered.wait(), Err(ServerError::Unknown));
        assert_eq!(h.applier.machine.0, 40);
        assert!(matches!(inputs.try_recv(), Ok(Input::PeersLearned(book)) if book.is_empty()));

        let expired = h.track(10, 1, Instant::now());
        sweep_expired(&mut h.applier.waiting, Instant::now());
        assert_eq!(expired.wait(), Err(ServerError::Timeout));
        h.apply(9, 1);
        assert_eq!(beyond.wait(), Ok(41u64.to_le_bytes().to_vec()));

        // A snapshot hint goes back to consensus with the address book and
        // the machine's state, in one piece for a state this small.
        h.feed(ToApplier::PeerAddress {
            id: 4,
            addr: "127.0.0.1:7004".parse().unwrap(),
        });
        h.feed(ToApplier::SnapshotHint { index: 9 });
        match inputs.try_recv() {
            Ok(Input::SnapshotPiece {
                index,
                offset,
                data,
                done,
            }) => {
                assert_eq!((index, offset, done), (9, 0, true));
                assert_eq!(
                    Box::new(std::io::Cursor::new(data)).into_inner(),
                    snapshot_of(&a_book(), 41).into_inner()
                );
            }
            _ => unreachable!("no snapshot was sent back"),
        }
    }

    #[test]
    fn a_restore_brings_the_address_book_and_a_failed_one_stops_the_thread() {
        let (mut h, inputs) = Harness::new();
        let covered = h.track(5, 1, later());
        h.feed(ToApplier::RestoreFrom {
            index: 6,
            reader: snapshot_of(&a_book(), 7),
        });
        assert_eq!(h.applier.machine.0, 7);
        assert_eq!(covered.wait(), Err(ServerError::Unknown));
        assert_eq!(h.applier.book, a_book());
        assert!(matches!(inputs.try_recv(), Ok(Input::PeersLearned(book)) if book == a_book()));

        struct Damaged;
        impl std::io::Read for Damaged {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("checksum mismatch"))
            }
        }
        for reader in [
            Box::new(Damaged) as raft_core::log::DetachedSnapshotReader,
            Box::new(std::io::Cursor::new(7u64.to_le_bytes().to_vec())), // no book
        ] {
            let flow = h
                .applier
                .handle(ToApplier::RestoreFrom { index: 8, reader });
            assert!(flow == Flow::Stop, "a failed restore stops applying");
        }
    }
}
