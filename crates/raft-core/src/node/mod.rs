//! `RaftNode`: placeholder with the final public signatures (being written).
#![allow(missing_docs, clippy::todo)]
use crate::config::RaftConfig;
use crate::error::{Error, Result};
use crate::event::{Action, Event};
use crate::log::{MemoryLog, RaftLog};
use crate::types::{Index, NodeId, Role, Term};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicationState { Probe, Replicate, Snapshot }
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus { pub id: NodeId, pub match_index: Index, pub next_index: Index, pub state: ReplicationState, pub inflight: usize, pub recent_active: bool }
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status { pub id: NodeId, pub role: Role, pub term: Term, pub leader: Option<NodeId>, pub commit_index: Index, pub last_applied: Index, pub last_index: Index, pub peers: Vec<PeerStatus> }

pub struct RaftNode<L: RaftLog = MemoryLog> { config: RaftConfig, log: L }
impl RaftNode<MemoryLog> { pub fn new(config: RaftConfig) -> Self { Self::with_log(config, MemoryLog::new()) } }
impl<L: RaftLog> RaftNode<L> {
    pub fn with_log(config: RaftConfig, log: L) -> Self { Self { config, log } }
    pub fn id(&self) -> NodeId { self.config.id() }
    pub fn role(&self) -> Role { Role::Follower }
    pub fn is_leader(&self) -> bool { false }
    pub fn term(&self) -> Term { 0 }
    pub fn leader(&self) -> Option<NodeId> { None }
    pub fn commit_index(&self) -> Index { 0 }
    pub fn last_applied(&self) -> Index { 0 }
    pub fn members(&self) -> &[NodeId] { self.config.peers() }
    pub fn learners(&self) -> &[NodeId] { &[] }
    pub fn log(&self) -> &L { &self.log }
    pub fn status(&self) -> Status { todo!() }
    pub fn step(&mut self, event: Event) -> Result<Vec<Action>> { let mut out = Vec::new(); self.step_into(event, &mut out)?; Ok(out) }
    pub fn step_into(&mut self, _event: Event, _out: &mut Vec<Action>) -> Result<()> { Err(Error::Unsupported { what: "wip" }) }
    pub fn step_many(&mut self, _events: impl IntoIterator<Item = Event>) -> Result<Vec<Action>> { Err(Error::Unsupported { what: "wip" }) }
}
