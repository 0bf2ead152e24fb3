//! An in-memory cluster on one thread: `count` nodes, one `step` per
//! delivered message, a window of proposals of 64 bytes kept in flight at the
//! leader. Written once, instantiated for our `raft_core` and for raft-io 1.0.
//!
//! Throughput counts commands applied on **every** node (the minimum over
//! nodes of the `Apply` actions seen), per second of wall time.

use std::time::Duration;

use crate::alloc_counter::Counts;

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

/// Instantiates the in-memory cluster for one crate with the raft-io 1.0 API.
macro_rules! memory_cluster {
    ($module:ident, $krate:ident, $shapes:path) => {
        pub(crate) mod $module {
            use std::collections::VecDeque;
            use std::time::{Duration, Instant};

            use crate::alloc_counter;
            use crate::cluster::{PAYLOAD, Sample};
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
                mut nodes: Vec<RaftNode<L>>,
                window: u64,
                commands: u64,
                budget: Duration,
            ) -> Sample {
                let base = nodes[0].commit_index();
                let mut queue: VecDeque<(u64, Message)> = VecDeque::new();
                let mut applied = vec![0u64; nodes.len()];
                let mut proposed = 0u64;
                let mut steps = 0u64;
                let mut flush_ticks = 0;
                let before = alloc_counter::now();
                let started = Instant::now();
                loop {
                    let committed = nodes[0].commit_index() - base;
                    while proposed - committed.min(proposed) < window && proposed < commands {
                        let command = vec![0xab; PAYLOAD];
                        let actions = nodes[0].step(Event::Propose(command)).unwrap();
                        proposed += 1;
                        carry_out(0, actions, &mut queue, &mut applied);
                    }
                    let Some((to, message)) = queue.pop_front() else {
                        // Quiet: the last commit index reaches the followers
                        // with the next heartbeat, so tick the leader.
                        if proposed == commands && flush_ticks < 20 {
                            flush_ticks += 1;
                            let actions = nodes[0].step(Event::Tick).unwrap();
                            carry_out(0, actions, &mut queue, &mut applied);
                            continue;
                        }
                        break;
                    };
                    let Some(index) = usize::try_from(to - 1).ok().filter(|&i| i < nodes.len())
                    else {
                        continue;
                    };
                    let actions = nodes[index].step(Event::Message(message)).unwrap();
                    carry_out(index, actions, &mut queue, &mut applied);
                    steps += 1;
                    if steps.is_multiple_of(64) && started.elapsed() > budget {
                        break;
                    }
                }
                let elapsed = started.elapsed();
                Sample {
                    applied: applied.iter().copied().min().unwrap_or(0),
                    elapsed,
                    counts: alloc_counter::now().since(before),
                }
            }

            fn carry_out(
                from: usize,
                actions: Vec<Action>,
                queue: &mut VecDeque<(u64, Message)>,
                applied: &mut [u64],
            ) {
                for action in actions {
                    match action {
                        Action::Send { to, message } => queue.push_back((to, message)),
                        Action::Apply { command, .. } => {
                            std::hint::black_box(command);
                            applied[from] += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    };
}

memory_cluster!(ours, raft_core, crate::shapes::ours);
memory_cluster!(peer, raft_io_peer, crate::shapes::peer);
