//! A key-value store model (get, put, append, compare-and-set), partitioned by key.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use super::history::{Operation, op_id};
use super::model::{Model, Partition};

/// A value the [`KvModel`] can store: `Append` needs concatenation.
pub trait KvValue: Clone + Eq + Hash + Debug {
    /// Appends `suffix` to `self`.
    fn append(&mut self, suffix: &Self);
}

impl KvValue for String {
    fn append(&mut self, suffix: &Self) {
        self.push_str(suffix);
    }
}

impl<T: Clone + Eq + Hash + Debug> KvValue for Vec<T> {
    fn append(&mut self, suffix: &Self) {
        self.extend_from_slice(suffix);
    }
}

/// A request to the key-value store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvInput<K, V> {
    /// Reads the key; answered by [`KvOutput::Value`].
    Get(K),
    /// Sets the key; answered by [`KvOutput::Done`].
    Put(K, V),
    /// Appends to the key's value (an absent key holds the appended value);
    /// answered by [`KvOutput::Done`].
    Append(K, V),
    /// Sets the key to `new` if its value is `expected` (`None`: absent);
    /// answered by [`KvOutput::Cas`].
    Cas {
        /// The key.
        key: K,
        /// The value required for the swap, `None` for an absent key.
        expected: Option<V>,
        /// The value written on success.
        new: V,
    },
}

impl<K, V> KvInput<K, V> {
    /// The key the request is about.
    #[must_use]
    pub fn key(&self) -> &K {
        match self {
            Self::Get(key) | Self::Put(key, _) | Self::Append(key, _) => key,
            Self::Cas { key, .. } => key,
        }
    }
}

/// A response from the key-value store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOutput<V> {
    /// The value a `Get` read, `None` for an absent key.
    Value(Option<V>),
    /// A `Put` or `Append` was acknowledged.
    Done,
    /// Whether a `Cas` swapped.
    Cas(bool),
}

/// A linearizable key-value store, the model behind a Raft-replicated map.
///
/// Keys start absent. Each key is its own [`Partition`] (checked on its
/// own), and pending `Get`s are left out since they constrain nothing.
/// `Get`s and failed `Cas`es are read-only. A
/// response of the wrong kind for its request (a `Get` answered `Done`) is
/// impossible.
///
/// ```
/// use raft_testkit::{History, KvInput, KvModel, KvOutput, LinearizabilityChecker};
///
/// let mut history = History::new();
/// history.record(1, KvInput::Put("x", "a".to_string()), KvOutput::Done, 0, 3)?;
/// history.record(2, KvInput::Get("x"), KvOutput::Value(Some("a".to_string())), 4, 5)?;
/// let checker = LinearizabilityChecker::new(KvModel::<&str, String>::new());
/// assert!(checker.check(&history).is_ok());
/// # Ok::<(), raft_testkit::HistoryError>(())
/// ```
#[derive(Debug)]
pub struct KvModel<K, V> {
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> KvModel<K, V> {
    /// The model, with every key absent.
    #[must_use]
    pub fn new() -> Self {
        Self { types: PhantomData }
    }
}

impl<K, V> Default for KvModel<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> Clone for KvModel<K, V> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<K: Ord + Clone + Hash + Debug, V: KvValue> Model for KvModel<K, V> {
    type State = BTreeMap<K, V>;
    type Input = KvInput<K, V>;
    type Output = KvOutput<V>;

    fn init(&self) -> Self::State {
        BTreeMap::new()
    }

    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State> {
        match (input, output) {
            (KvInput::Get(key), Some(KvOutput::Value(read))) => {
                (state.get(key) == read.as_ref()).then(|| state.clone())
            }
            (KvInput::Get(_), None) => Some(state.clone()),
            (KvInput::Put(key, value), None | Some(KvOutput::Done)) => {
                let mut next = state.clone();
                next.insert(key.clone(), value.clone());
                Some(next)
            }
            (KvInput::Append(key, suffix), None | Some(KvOutput::Done)) => {
                let mut next = state.clone();
                next.entry(key.clone())
                    .and_modify(|value| value.append(suffix))
                    .or_insert_with(|| suffix.clone());
                Some(next)
            }
            (KvInput::Cas { key, expected, new }, None | Some(KvOutput::Cas(_))) => {
                let swaps = state.get(key) == expected.as_ref();
                if let Some(KvOutput::Cas(reported)) = output
                    && *reported != swaps
                {
                    return None;
                }
                let mut next = state.clone();
                if swaps {
                    next.insert(key.clone(), new.clone());
                }
                Some(next)
            }
            _ => None,
        }
    }

    fn is_read_only(&self, input: &Self::Input, output: Option<&Self::Output>) -> bool {
        matches!(
            (input, output),
            (KvInput::Get(_), _) | (KvInput::Cas { .. }, Some(KvOutput::Cas(false)))
        )
    }

    fn partition(&self, ops: &[Operation<Self::Input, Self::Output>]) -> Vec<Partition> {
        let mut by_key: BTreeMap<&K, Vec<_>> = BTreeMap::new();
        for (index, op) in ops.iter().enumerate() {
            if op.is_pending() && matches!(op.input(), KvInput::Get(_)) {
                continue;
            }
            by_key
                .entry(op.input().key())
                .or_default()
                .push(op_id(index));
        }
        by_key
            .into_iter()
            .map(|(key, ops)| Partition::new(format!("key {key:?}"), ops))
            .collect()
    }
}
