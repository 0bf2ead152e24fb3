//! The simulated network: messages in flight with delivery times, and the
//! faults a real network has (loss, duplication, delay and so reordering,
//! partitions that may be asymmetric).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use raft_core::{Message, NodeId};

use crate::rng::SimRng;

/// Which faults a run injects, and how often. Probabilities are per mille
/// (per thousand messages).
///
/// The network faults and clock skew act on every [`Cluster`](crate::Cluster)
/// built with the plan; partitions, crashes, pauses and sync failures are
/// injected by [`Cluster::run_with_faults`](crate::Cluster::run_with_faults)
/// and [`run_seed`](crate::run_seed) (or by hand). Vary a plan with
/// struct update syntax, e.g. `FaultPlan { pauses: false, ..FaultPlan::all() }`.
///
/// ```
/// use raft_testkit::FaultPlan;
/// let calm = FaultPlan::none();
/// assert_eq!(calm.drop_per_mille, 0);
/// let storm = FaultPlan::all();
/// assert!(storm.drop_per_mille > 0 && storm.partitions && storm.crashes);
/// assert!(storm.clock_skew && storm.pauses && storm.sync_failures);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultPlan {
    /// Chance a message is lost.
    pub drop_per_mille: u32,
    /// Chance a message is delivered twice.
    pub duplicate_per_mille: u32,
    /// Each message is delayed by a uniform `0..=max_delay_ticks` ticks, so
    /// messages overtake each other.
    pub max_delay_ticks: u64,
    /// Whether the workload cuts and heals partitions.
    pub partitions: bool,
    /// Whether the workload crashes and restarts nodes (losing exactly the
    /// writes not yet synced).
    pub crashes: bool,
    /// Whether each node's clock runs at its own rate: every tick of the
    /// cluster, a node ticks `rate / 1000` times on average, with a rate
    /// per node drawn from the seed in `500..=2000` per mille (so some
    /// nodes skip ticks and some take two).
    pub clock_skew: bool,
    /// Whether the workload pauses nodes: a paused node takes no step for
    /// some ticks (messages to it wait), then resumes with all its state,
    /// like a process stopped by a long GC pause or `SIGSTOP`.
    pub pauses: bool,
    /// Whether the workload makes disks fail their `sync`: the node must
    /// surface `Error::Storage` and stop; the cluster treats it as crashed
    /// and later restarts it from what was synced.
    pub sync_failures: bool,
    /// Whether the workload changes the membership under load: the leader
    /// is asked to add and remove voters (itself and crashed nodes
    /// included), add, promote and remove learners, make joint changes and
    /// transfer leadership. A node removed from the configuration keeps
    /// running; after healing, only members are expected to catch up.
    pub membership_churn: bool,
}

impl FaultPlan {
    /// A perfect network: every message arrives once, on the next tick.
    pub fn none() -> Self {
        Self {
            drop_per_mille: 0,
            duplicate_per_mille: 0,
            max_delay_ticks: 0,
            partitions: false,
            crashes: false,
            clock_skew: false,
            pauses: false,
            sync_failures: false,
            membership_churn: false,
        }
    }

    /// Every fault at once.
    pub fn all() -> Self {
        Self {
            drop_per_mille: 100,
            duplicate_per_mille: 50,
            max_delay_ticks: 3,
            partitions: true,
            crashes: true,
            clock_skew: true,
            pauses: true,
            sync_failures: true,
            membership_churn: true,
        }
    }
}

/// One message on the wire.
#[derive(Clone, Debug)]
pub struct InFlight {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The message.
    pub message: Message,
}

/// Messages in flight, ordered by delivery time then by a random tie-break.
#[derive(Debug, Default)]
pub struct Network {
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    /// Slots for messages; `queue` refers to them by position.
    slots: Vec<Option<InFlight>>,
    free_slots: Vec<usize>,
    /// Directed links that drop everything: `(from, to)`.
    cut: BTreeSet<(NodeId, NodeId)>,
    delivered: u64,
}

impl Network {
    /// An empty network with every link up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `message`, applying the fault plan. `now` is the current tick.
    pub fn send(
        &mut self,
        rng: &mut SimRng,
        faults: &FaultPlan,
        now: u64,
        from: NodeId,
        to: NodeId,
        message: Message,
    ) {
        if self.cut.contains(&(from, to)) || rng.chance(faults.drop_per_mille) {
            return;
        }
        if rng.chance(faults.duplicate_per_mille) {
            let copy = InFlight {
                from,
                to,
                message: message.clone(),
            };
            self.enqueue(rng, faults, now, copy);
        }
        self.enqueue(rng, faults, now, InFlight { from, to, message });
    }

    fn enqueue(&mut self, rng: &mut SimRng, faults: &FaultPlan, now: u64, item: InFlight) {
        let delay = 1 + rng.below(faults.max_delay_ticks + 1);
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot] = Some(item);
                slot
            }
            None => {
                self.slots.push(Some(item));
                self.slots.len() - 1
            }
        };
        self.queue
            .push(Reverse((now + delay, rng.next_u64(), slot)));
    }

    /// The next message due at or before `now`, if any. A message whose link
    /// was cut while it was in flight is lost.
    pub fn next_due(&mut self, now: u64) -> Option<InFlight> {
        while let Some(&Reverse((due, _, slot))) = self.queue.peek() {
            if due > now {
                return None;
            }
            self.queue.pop();
            let item = self.slots.get_mut(slot).and_then(Option::take);
            self.free_slots.push(slot);
            if let Some(item) = item
                && !self.cut.contains(&(item.from, item.to))
            {
                self.delivered += 1;
                return Some(item);
            }
        }
        None
    }

    /// Cuts the directed link `from -> to`.
    pub fn cut_link(&mut self, from: NodeId, to: NodeId) {
        self.cut.insert((from, to));
    }

    /// Splits `nodes` into the given groups: links between groups are cut
    /// both ways, links inside a group are up.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        self.cut.clear();
        for (i, a) in groups.iter().enumerate() {
            for b in groups.iter().skip(i + 1) {
                for &x in a {
                    for &y in b {
                        self.cut.insert((x, y));
                        self.cut.insert((y, x));
                    }
                }
            }
        }
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Whether any link is cut.
    pub fn is_partitioned(&self) -> bool {
        !self.cut.is_empty()
    }

    /// Messages in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// Messages delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }
}
