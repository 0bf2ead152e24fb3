//! The consensus thread: the one owner of the `RaftNode`. Each turn it
//! takes everything that arrived (peer messages, requests, a due tick),
//! feeds it to `step_many`, sends at once what may leave before the sync
//! (the leader's appends: its followers write while it does), then makes
//! all of it durable with one `flush` (group commit), sends the rest, and
//! hands committed entries to the apply thread without waiting for it.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use raft_core::{Action, Event, Index, NodeId, RaftLog, RaftNode, RaftTransport, Term};
use raft_wire::{TcpInbox, TcpTransport};

use crate::applier::ToApplier;
use crate::error::ServerError;
use crate::host_entry::{self, HostEntry};
use crate::observer::Observer;
use crate::pending::Responder;
use crate::request::{Input, MembershipChange, Request};
use crate::status::ServerStatus;

/// Inputs taken into one step at most, so one step's latency stays bounded
/// under a flood.
const BATCH_MAX: usize = 1024;

/// The consensus thread's state.
pub(crate) struct Consensus<L: RaftLog> {
    pub(crate) node: RaftNode<L>,
    pub(crate) transport: TcpTransport,
    pub(crate) inbox: Arc<TcpInbox>,
    pub(crate) applier: Sender<ToApplier>,
    pub(crate) tick_interval: Duration,
    pub(crate) addrs: BTreeMap<NodeId, SocketAddr>,
    pub(crate) observer: Observer,
    /// Tracked proposals of the current step, by tracking id, until the
    /// node says where it put them.
    pub(crate) proposing: HashMap<u64, (Instant, Responder<Vec<u8>>)>,
    /// Reads waiting for `ReadReady`, by read id.
    pub(crate) reads: HashMap<u64, PendingRead>,
    pub(crate) next_id: u64,
    /// The node cannot go on (its state machine cannot follow its log).
    pub(crate) failed: bool,
}

pub(crate) struct PendingRead {
    query: Vec<u8>,
    deadline: Instant,
    reply: Responder<Vec<u8>>,
}

/// What waits on the outcome of event number N of a batch.
enum Slot {
    /// Nothing (a tick, a message, a snapshot).
    None,
    /// A tracked proposal with this id.
    Propose(u64),
    /// A read with this id.
    Read(u64),
    /// A request answered `Ok(())` unless the event is rejected.
    Accepted(Responder<()>),
}

impl<L: RaftLog> Consensus<L> {
    /// Runs until a shutdown request, the handle side going away, or a
    /// storage failure.
    pub(crate) fn run(mut self, inputs: &Receiver<Input>) {
        let mut next_tick = Instant::now() + self.tick_interval;
        let mut batch = Vec::with_capacity(BATCH_MAX);
        let mut events = Vec::with_capacity(BATCH_MAX);
        let mut slots = Vec::with_capacity(BATCH_MAX);
        let mut actions = Vec::new();
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match inputs.recv_timeout(wait) {
                Ok(input) => batch.push(input),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while batch.len() < BATCH_MAX {
                match inputs.try_recv() {
                    Ok(input) => batch.push(input),
                    Err(_) => break,
                }
            }
            let now = Instant::now();
            if now >= next_tick {
                events.push(Event::Tick);
                slots.push(Slot::None);
                // Ticks lost to a slow step are not made up for in a burst:
                // a late election is safe, a spurious one is not needed.
                next_tick = (next_tick + self.tick_interval).max(now);
                self.expire_reads(now);
            }
            let mut stopping = false;
            for input in batch.drain(..) {
                stopping |= self.admit(input, &mut events, &mut slots);
            }
            if stopping {
                return;
            }
            if events.is_empty() {
                continue;
            }
            actions.clear();
            if let Err(error) = self.step_and_flush(&mut events, &mut actions, &mut slots) {
                // Only a storage failure fails a whole batch: stop, never
                // continue as if the log were durable.
                tracing::error!(node = self.node.id(), %error, "log failed; node stopping");
                for slot in slots.drain(..) {
                    self.answer_rejected(slot, ServerError::from_core(error.clone()));
                }
                return;
            }
            self.settle(&mut slots);
            self.observer.after_step(&self.node, &self.transport);
            if self.failed {
                return;
            }
        }
    }

    /// Turns one input into an event (with the slot that awaits it).
    /// Returns whether the server must stop.
    fn admit(&mut self, input: Input, events: &mut Vec<Event>, slots: &mut Vec<Slot>) -> bool {
        let (event, slot) = match input {
            Input::Message(message) => (Event::Message(message), Slot::None),
            Input::PeersLearned(book) => {
                for (id, addr) in book {
                    self.learn_peer(id, addr);
                }
                return false;
            }
            Input::SnapshotPiece {
                index,
                offset,
                data,
                done,
            } => (
                Event::SnapshotPiece {
                    index,
                    offset,
                    data,
                    done,
                },
                Slot::None,
            ),
            Input::Request(request) => match request {
                Request::Propose {
                    command,
                    deadline,
                    reply,
                } => {
                    let id = self.fresh_id();
                    self.proposing.insert(id, (deadline, reply));
                    let command = host_entry::command(&command);
                    (Event::ProposeTracked { id, command }, Slot::Propose(id))
                }
                Request::Read {
                    query,
                    deadline,
                    reply,
                } => {
                    let id = self.fresh_id();
                    self.reads.insert(
                        id,
                        PendingRead {
                            query,
                            deadline,
                            reply,
                        },
                    );
                    (Event::Read { id }, Slot::Read(id))
                }
                Request::Membership { change, reply } => {
                    if let MembershipChange::AddServer { id, addr }
                    | MembershipChange::AddLearner { id, addr } = change
                    {
                        // In the log before the change, so every node
                        // learns where the new one listens.
                        events.push(Event::Propose(host_entry::peer_address(id, addr)));
                        slots.push(Slot::None);
                    }
                    (self.membership_event(change), Slot::Accepted(reply))
                }
                Request::Transfer { to, reply } => {
                    (Event::TransferLeadership(to), Slot::Accepted(reply))
                }
                Request::Status { reply } => {
                    reply.answer(Ok(self.status()));
                    return false;
                }
                Request::Shutdown => return true,
            },
        };
        events.push(event);
        slots.push(slot);
        false
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// The core event for a change; a node being added becomes reachable
    /// (and admitted by the inbox) first, so it can catch up at once.
    fn membership_event(&mut self, change: MembershipChange) -> Event {
        match change {
            MembershipChange::AddServer { id, addr } => {
                self.learn_peer(id, addr);
                Event::AddServer(id)
            }
            MembershipChange::AddLearner { id, addr } => {
                self.learn_peer(id, addr);
                Event::AddLearner(id)
            }
            MembershipChange::RemoveServer { id } => Event::RemoveServer(id),
            MembershipChange::PromoteLearner { id } => Event::PromoteLearner(id),
        }
    }

    pub(crate) fn learn_peer(&mut self, id: NodeId, addr: SocketAddr) {
        if id == self.node.id() {
            return;
        }
        self.addrs.insert(id, addr);
        self.transport.set_peer(id, addr);
        self.inbox.allow_peer(id);
    }

    /// Steps the batch without syncing (the node runs with deferred sync),
    /// sends at once what may leave before the sync, so that the leader's
    /// appends reach its followers while it writes its own log (thesis
    /// 10.2.1: the leader counts itself only once durable), then makes the
    /// whole batch durable with one sync (group commit) and carries out
    /// what that released: replies, votes, commits, applies, reads.
    fn step_and_flush(
        &mut self,
        events: &mut Vec<Event>,
        actions: &mut Vec<Action>,
        slots: &mut [Slot],
    ) -> raft_core::Result<()> {
        self.node.step_many_into(events.drain(..), actions)?;
        self.carry_out(actions, slots);
        self.node.flush_into(actions)?;
        self.carry_out(actions, slots);
        Ok(())
    }

    /// Carries out actions in order.
    fn carry_out(&mut self, actions: &mut Vec<Action>, slots: &mut [Slot]) {
        for action in actions.drain(..) {
            match action {
                Action::Send { to, message } => {
                    if let Err(error) = self.transport.send(to, message) {
                        tracing::debug!(node = self.node.id(), to, %error, "message not sent");
                    }
                }
                Action::Proposed { id, term, index } => {
                    if let Some((deadline, reply)) = self.proposing.remove(&id) {
                        self.to_applier(ToApplier::Track {
                            index,
                            term,
                            deadline,
                            reply,
                        });
                    }
                }
                Action::Apply {
                    index,
                    term,
                    command,
                } => self.apply(index, term, command),
                Action::ReadReady { id, .. } => {
                    if let Some(read) = self.reads.remove(&id) {
                        self.to_applier(ToApplier::Query {
                            query: read.query,
                            reply: read.reply,
                        });
                    }
                }
                Action::Snapshot { index, .. } => {
                    self.to_applier(ToApplier::SnapshotHint { index });
                }
                Action::RestoreSnapshot { index, term, data } => {
                    tracing::info!(
                        node = self.node.id(),
                        index,
                        term,
                        "installing a snapshot from the leader"
                    );
                    let reader = Box::new(std::io::Cursor::new(data));
                    self.to_applier(ToApplier::RestoreFrom { index, reader });
                }
                Action::RestoreSnapshotFromLog { index, term, len } => {
                    tracing::info!(
                        node = self.node.id(),
                        index,
                        term,
                        len,
                        "installing a snapshot from the leader"
                    );
                    match self.node.log().detached_snapshot_reader() {
                        Ok(Some(reader)) => {
                            self.to_applier(ToApplier::RestoreFrom { index, reader })
                        }
                        failed => {
                            let error = failed.err().map(|error| error.to_string());
                            tracing::error!(
                                node = self.node.id(),
                                index,
                                ?error,
                                "the installed snapshot cannot be read; node stopping"
                            );
                            self.failed = true;
                        }
                    }
                }
                Action::MembershipChanged { members } => {
                    tracing::info!(node = self.node.id(), ?members, "membership changed");
                    for &member in &members {
                        self.inbox.allow_peer(member);
                    }
                    self.find_new_members_addresses();
                }
                Action::TransferAborted { target } => {
                    tracing::warn!(
                        node = self.node.id(),
                        target,
                        "leadership transfer abandoned"
                    );
                }
                Action::Rejected { event, error } => {
                    if let Some(slot) = slots.get_mut(event) {
                        let slot = std::mem::replace(slot, Slot::None);
                        self.answer_rejected(slot, ServerError::from_core(error));
                    }
                }
                other => tracing::debug!(node = self.node.id(), ?other, "action not handled"),
            }
        }
    }

    /// Once a batch is durable and carried out: answers the requests that
    /// were not rejected, and fails the reads a deposed leader holds.
    fn settle(&mut self, slots: &mut Vec<Slot>) {
        for slot in slots.drain(..) {
            match slot {
                Slot::Accepted(reply) => reply.answer(Ok(())),
                Slot::Propose(id) => {
                    // Accepted events always say where the entry went; one
                    // that did not can never be matched to an apply.
                    if let Some((_, reply)) = self.proposing.remove(&id) {
                        reply.answer(Err(ServerError::Lost));
                    }
                }
                Slot::Read(_) | Slot::None => {}
            }
        }
        if !self.node.is_leader() && !self.reads.is_empty() {
            // A node that is no longer leader will never confirm them.
            let leader = self.node.leader();
            for (_, read) in self.reads.drain() {
                read.reply.answer(Err(ServerError::NotLeader { leader }));
            }
        }
    }

    /// How far back from the end of the log a new member's address is
    /// looked for: the host proposes it right before the change.
    const ADDRESS_SEARCH_ENTRIES: u64 = 4096;

    /// A configuration takes effect when it is appended (thesis 4.1), long
    /// before it commits, and this node may have to reach a new member at
    /// once (to win an election it needs the new member's vote); the
    /// address entry the leader proposed before the change is in our log
    /// by then, uncommitted. So look for the address of every member we do
    /// not know, from the end of the log backwards.
    fn find_new_members_addresses(&mut self) {
        let me = self.node.id();
        let mut unknown: Vec<NodeId> = self
            .node
            .members()
            .iter()
            .chain(self.node.learners())
            .copied()
            .filter(|&member| member != me && !self.addrs.contains_key(&member))
            .collect();
        let log = self.node.log();
        let last = log.last_index();
        let first =
            (log.snapshot_index() + 1).max(last.saturating_sub(Self::ADDRESS_SEARCH_ENTRIES));
        let mut found = Vec::new();
        for index in (first..=last).rev() {
            if unknown.is_empty() {
                break;
            }
            let Some(entry) = log.entry(index) else {
                continue;
            };
            if let Ok(HostEntry::PeerAddress { id, addr }) = host_entry::decode(&entry.command)
                && let Some(at) = unknown.iter().position(|&member| member == id)
            {
                unknown.swap_remove(at);
                found.push((id, addr));
            }
        }
        for (id, addr) in found {
            tracing::info!(node = me, peer = id, %addr, "learned a new member's address");
            self.learn_peer(id, addr);
        }
    }

    /// A committed entry: the application's command goes to the apply
    /// thread; a peer's address is learned here and recorded there (for
    /// snapshots).
    fn apply(&mut self, index: Index, term: Term, mut command: Vec<u8>) {
        match host_entry::decode(&command) {
            Ok(HostEntry::Command(_)) => {
                command.remove(0); // the tag
                self.to_applier(ToApplier::Apply {
                    index,
                    term,
                    command,
                });
            }
            Ok(HostEntry::PeerAddress { id, addr }) => {
                tracing::info!(node = self.node.id(), peer = id, %addr, "learned a peer's address");
                self.learn_peer(id, addr);
                self.to_applier(ToApplier::PeerAddress { id, addr });
            }
            Err(reason) => {
                // Only this host writes the log, so this is damage or a
                // log from another program: the state would diverge.
                tracing::error!(
                    node = self.node.id(),
                    index,
                    reason,
                    "undecodable entry; node stopping"
                );
                self.failed = true;
            }
        }
    }

    fn answer_rejected(&mut self, slot: Slot, error: ServerError) {
        match slot {
            Slot::None => {}
            Slot::Propose(id) => {
                if let Some((_, reply)) = self.proposing.remove(&id) {
                    reply.answer(Err(error));
                }
            }
            Slot::Read(id) => {
                if let Some(read) = self.reads.remove(&id) {
                    read.reply.answer(Err(error));
                }
            }
            Slot::Accepted(reply) => reply.answer(Err(error)),
        }
    }

    fn to_applier(&self, item: ToApplier) {
        // The apply thread outlives this one unless it panicked inside the
        // state machine; then answers are lost and callers time out.
        if self.applier.send(item).is_err() {
            tracing::error!(node = self.node.id(), "the apply thread is gone");
        }
    }

    fn expire_reads(&mut self, now: Instant) {
        let expired: Vec<u64> = self
            .reads
            .iter()
            .filter(|(_, read)| read.deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            if let Some(read) = self.reads.remove(&id) {
                read.reply.answer(Err(ServerError::Timeout));
            }
        }
    }

    fn status(&self) -> ServerStatus {
        ServerStatus {
            raft: self.node.status(),
            members: self.node.members().to_vec(),
            learners: self.node.learners().to_vec(),
            peer_addrs: self.addrs.clone(),
            transport: self.transport.stats(),
            inbox: self.inbox.stats(),
        }
    }
}
