//! An in-memory cluster on one thread: `count` nodes, one `step` per
//! delivered message, a window of proposals of 64 bytes kept in flight at the
//! leader. Written once, instantiated for our `raft_core` and for raft-io 1.0.
//!
//! Throughput counts commands applied on **every** node (the minimum over
//! nodes of the `Apply` actions seen), per second of wall time.

use std::time::{Duration, Instant};

use crate::alloc_counter::{self, Counts};

/// Bytes per proposed command.
pub(crate) const PAYLOAD: usize = 64;

/// What one run of a cluster did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    /// Commands applied on every node.
    pub(crate) applied: u64,
    /// Wall time from the first proposal to the last delivery.
    pub(crate) elapsed: Duration,
    /// Allocations during that time (all nodes, the driver, the payloads).
    pub(crate) counts: Counts,
}

impl Sample {
    /// Commands applied on every node per second.
    pub(crate) fn per_second(&self) -> f64 {
        self.applied as f64 / self.elapsed.as_secs_f64()
    }

    /// Allocations per applied command.
    pub(crate) fn allocations_per_command(&self) -> f64 {
        self.counts.allocations as f64 / self.applied.max(1) as f64
    }

    /// Bytes allocated per applied command.
    pub(crate) fn bytes_per_command(&self) -> f64 {
        self.counts.bytes as f64 / self.applied.max(1) as f64
    }
}

/// What the proposal-window loop needs from a cluster of any implementation.
pub(crate) trait Harness {
    /// The leader's commit index.
    fn leader_commit(&self) -> u64;
    /// Proposes one 64-byte command at the leader.
    fn propose(&mut self);
    /// Delivers the oldest queued message; `false` when none is queued.
    fn deliver_next(&mut self) -> bool;
    /// Ticks the leader (a heartbeat carries the last commit index).
    fn tick_leader(&mut self);
    /// Commands applied on every node.
    fn applied_everywhere(&self) -> u64;
}

/// Proposes up to `commands` keeping `window` in flight at the leader and
/// delivers messages one at a time, until every node applied them all or
/// `budget` is spent.
pub(crate) fn drive(
    cluster: &mut impl Harness,
    window: u64,
    commands: u64,
    budget: Duration,
) -> Sample {
    let base = cluster.leader_commit();
    let (mut proposed, mut steps, mut flush_ticks) = (0u64, 0u64, 0);
    let before = alloc_counter::now();
    let started = Instant::now();
    loop {
        let committed = cluster.leader_commit() - base;
        while proposed - committed.min(proposed) < window && proposed < commands {
            cluster.propose();
            proposed += 1;
        }
        if !cluster.deliver_next() {
            // Quiet: the last commit index reaches the followers with the
            // next heartbeat, so tick the leader.
            if proposed == commands && flush_ticks < 20 {
                flush_ticks += 1;
                cluster.tick_leader();
                continue;
            }
            break;
        }
        steps += 1;
        if steps.is_multiple_of(64) && started.elapsed() > budget {
            break;
        }
    }
    let elapsed = started.elapsed();
    Sample {
        applied: cluster.applied_everywhere(),
        elapsed,
        counts: alloc_counter::now().since(before),
    }
}

/// Instantiates the in-memory cluster for one crate with the raft-io 1.0 API.
macro_rules! memory_cluster {
    ($module:ident, $krate:ident, $shapes:path) => {
        pub(crate) mod $module {
            use std::collections::VecDeque;
            use std::time::Duration;

            use crate::cluster::{Harness, PAYLOAD, Sample, drive};
            use $krate::{Action, Event, Message, RaftLog, RaftNode};
            use $shapes as shapes;

            /// Proposes up to `commands` keeping `window` in flight, until
            /// every node applied them all or `budget` is spent.
            pub(crate) fn run(count: u64, window: u64, commands: u64, budget: Duration) -> Sample {
                run_on(shapes::elect(count, 10, 3), window, commands, budget)
            }

            /// `run` on nodes already elected (node 1 the leader), whatever
            /// their log. Never inlined, so a profile can collect in it alone
            /// (`--toggle-collect='*cluster*run_on*'`).
            #[inline(never)]
            pub(crate) fn run_on<L: RaftLog>(
                nodes: Vec<RaftNode<L>>,
                window: u64,
                commands: u64,
                budget: Duration,
            ) -> Sample {
                let applied = vec![0u64; nodes.len()];
                let mut cluster = Nodes {
                    nodes,
                    queue: VecDeque::new(),
                    applied,
                };
                drive(&mut cluster, window, commands, budget)
            }

            /// The nodes, the messages in flight, and what each applied.
            struct Nodes<L: RaftLog> {
                nodes: Vec<RaftNode<L>>,
                queue: VecDeque<(u64, Message)>,
                applied: Vec<u64>,
            }

            impl<L: RaftLog> Nodes<L> {
                fn step(&mut self, index: usize, event: Event) {
                    for action in self.nodes[index].step(event).unwrap() {
                        match action {
                            Action::Send { to, message } => self.queue.push_back((to, message)),
                            Action::Apply { command, .. } => {
                                std::hint::black_box(command);
                                self.applied[index] += 1;
                            }
                            _ => {}
                        }
                    }
                }
            }

            impl<L: RaftLog> Harness for Nodes<L> {
                fn leader_commit(&self) -> u64 {
                    self.nodes[0].commit_index()
                }

                fn propose(&mut self) {
                    self.step(0, Event::Propose(vec![0xab; PAYLOAD]));
                }

                fn deliver_next(&mut self) -> bool {
                    let Some((to, message)) = self.queue.pop_front() else {
                        return false;
                    };
                    if let Some(index) = usize::try_from(to - 1)
                        .ok()
                        .filter(|&i| i < self.nodes.len())
                    {
                        self.step(index, Event::Message(message));
                    }
                    true
                }

                fn tick_leader(&mut self) {
                    self.step(0, Event::Tick);
                }

                fn applied_everywhere(&self) -> u64 {
                    self.applied.iter().copied().min().unwrap_or(0)
                }
            }
        }
    };
}

memory_cluster!(ours, raft_core, crate::shapes::ours);
memory_cluster!(peer, raft_io_peer, crate::shapes::peer);

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// Every implementation applies every command on every node, at each
    /// depth the suite uses (so the throughput table counts real work).
    #[test]
    fn every_command_is_applied_everywhere() {
        let budget = Duration::from_secs(30);
        for (nodes, window) in [(3, 1), (3, 16), (5, 256)] {
            let samples = [
                super::ours::run(nodes, window, 300, budget),
                super::peer::run(nodes, window, 300, budget),
                // (Its allocation bound is asserted in raft-core's own
                // `tests/shared_allocation.rs`: this binary's counter is
                // shared by tests running in parallel.)
                crate::fast_cluster::run(nodes, window, 300, budget),
                crate::raftrs::run(nodes, window, 300, budget),
            ];
            for sample in samples {
                assert_eq!(sample.applied, 300, "{nodes} nodes, {window} in flight");
                assert!(sample.counts.allocations > 0);
            }
        }
    }
}
