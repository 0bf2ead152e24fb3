//! The client workload of [`run_seed`](crate::run_seed): a few clients of
//! a [`KvMachine`](crate::KvMachine), each with at most one operation
//! outstanding, writing, appending, compare-and-setting and reading a few
//! keys, every choice from the cluster's RNG.

use crate::cluster::Cluster;
use crate::disk::SimDisk;
use crate::kv::{self, Input};
use crate::linearizability::{KvInput, KvOutput, OpId};

/// The keys the clients share (few, so operations contend).
const KEYS: [&[u8]; 3] = [b"a", b"b", b"c"];
/// Chance per tick (per mille) that an idle client issues an operation.
const ISSUE_PER_MILLE: u32 = 40;

/// One client: its id, its operation in flight, what it last read.
#[derive(Debug)]
struct Client {
    id: u64,
    current: Option<OpId>,
    /// The last value this client saw, per key (for compare-and-set).
    seen: [Option<Vec<u8>>; KEYS.len()],
    issued: u64,
}

/// The clients of one run.
#[derive(Debug)]
pub(crate) struct Workload {
    clients: Vec<Client>,
}

impl Workload {
    /// `count` idle clients, ids `1..=count`.
    pub(crate) fn new(count: u64) -> Self {
        Self {
            clients: (1..=count)
                .map(|id| Client {
                    id,
                    current: None,
                    seen: Default::default(),
                    issued: 0,
                })
                .collect(),
        }
    }

    /// Lets every client whose operation completed note its answer, and
    /// every idle client maybe issue its next operation.
    pub(crate) fn step<D: SimDisk>(&mut self, cluster: &mut Cluster<D>) {
        for client in &mut self.clients {
            if let Some(op) = client.current {
                let Some(response) = cluster.response(op) else {
                    continue;
                };
                let input = cluster
                    .history()
                    .get(op)
                    .and_then(|operation| kv::decode_input(operation.input()));
                if let (Some(KvInput::Get(key)), Some(KvOutput::Value(value))) =
                    (input, kv::decode_output(response))
                    && let Some(slot) = KEYS.iter().position(|k| *k == key.as_slice())
                {
                    client.seen[slot] = value;
                }
                client.current = None;
            }
            if cluster.rng().chance(ISSUE_PER_MILLE) {
                client.current = Some(client.issue(cluster));
            }
        }
    }
}

impl Client {
    /// Issues a random operation on a random key.
    fn issue<D: SimDisk>(&mut self, cluster: &mut Cluster<D>) -> OpId {
        self.issued += 1;
        let slot = cluster.rng().pick(KEYS.len());
        let key = KEYS[slot].to_vec();
        // Unique values, so a write applied twice would show.
        let value = format!("{}.{};", self.id, self.issued).into_bytes();
        let input: Input = match cluster.rng().below(10) {
            0..=2 => return cluster.client_read(self.id, kv::encode_input(&KvInput::Get(key))),
            3 => KvInput::Get(key),
            4 | 5 => KvInput::Put(key, value),
            6..=8 => KvInput::Append(key, value),
            _ => KvInput::Cas {
                key,
                expected: self.seen[slot].clone(),
                new: value,
            },
        };
        cluster.client_write(self.id, kv::encode_input(&input))
    }
}
