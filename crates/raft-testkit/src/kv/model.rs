//! `KvBytesModel`: the key-value model over the bytes [`KvMachine`]'s
//! clients send and receive.
//!
//! [`KvMachine`]: super::KvMachine

use std::collections::BTreeMap;

use super::codec::{decode_input, decode_output};
use crate::linearizability::{KvModel, Model, Operation, Partition, op_id};

/// [`KvModel`] over encoded requests and responses (see
/// [`kv`](crate::kv)), so a cluster's client history, which is bytes, can
/// be checked against it:
/// [`Cluster::check_linearizable`](crate::Cluster::check_linearizable)`(KvBytesModel::new())`.
/// Partitioned by key, like [`KvModel`]. A request or response that does
/// not decode is impossible.
///
/// ```
/// use raft_testkit::{History, KvBytesModel, KvInput, KvOutput, LinearizabilityChecker, kv};
///
/// let mut history = History::new();
/// let put = KvInput::Put(b"x".to_vec(), b"1".to_vec());
/// let get = KvInput::Get(b"x".to_vec());
/// history.record(1, kv::encode_input(&put), kv::encode_output(&KvOutput::Done), 0, 1)?;
/// history.record(2, kv::encode_input(&get), kv::encode_output(&KvOutput::Value(None)), 2, 3)?;
/// assert!(LinearizabilityChecker::new(KvBytesModel::new()).check(&history).is_violation());
/// # Ok::<(), raft_testkit::HistoryError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct KvBytesModel {
    inner: KvModel<Vec<u8>, Vec<u8>>,
}

impl KvBytesModel {
    /// The model, with every key absent.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl Model for KvBytesModel {
    type State = BTreeMap<Vec<u8>, Vec<u8>>;
    type Input = Vec<u8>;
    type Output = Vec<u8>;

    fn init(&self) -> Self::State {
        self.inner.init()
    }

    fn step(
        &self,
        state: &Self::State,
        input: &Vec<u8>,
        output: Option<&Vec<u8>>,
    ) -> Option<Self::State> {
        let input = decode_input(input)?;
        match output {
            None => self.inner.step(state, &input, None),
            Some(output) => self
                .inner
                .step(state, &input, Some(&decode_output(output)?)),
        }
    }

    fn is_read_only(&self, input: &Vec<u8>, output: Option<&Vec<u8>>) -> bool {
        let Some(input) = decode_input(input) else {
            return false;
        };
        match output {
            None => self.inner.is_read_only(&input, None),
            Some(output) => decode_output(output)
                .is_some_and(|output| self.inner.is_read_only(&input, Some(&output))),
        }
    }

    /// One partition per key, pending reads left out (they constrain
    /// nothing); requests that do not decode share a partition of their
    /// own, where they are impossible unless pending.
    fn partition(&self, ops: &[Operation<Vec<u8>, Vec<u8>>]) -> Vec<Partition> {
        let mut by_key: BTreeMap<Vec<u8>, Vec<_>> = BTreeMap::new();
        let mut garbage = Vec::new();
        for (index, op) in ops.iter().enumerate() {
            match decode_input(op.input()) {
                None => garbage.push(op_id(index)),
                Some(input) if op.is_pending() && matches!(input, crate::KvInput::Get(_)) => {}
                Some(input) => by_key
                    .entry(input.key().clone())
                    .or_default()
                    .push(op_id(index)),
            }
        }
        let mut partitions: Vec<Partition> = by_key
            .into_iter()
            .map(|(key, ops)| {
                Partition::new(format!("key {:?}", String::from_utf8_lossy(&key)), ops)
            })
            .collect();
        if !garbage.is_empty() {
            partitions.push(Partition::new("undecodable requests", garbage));
        }
        partitions
    }
}
