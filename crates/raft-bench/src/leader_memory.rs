//! Peak memory of a leader holding many uncommitted 64-byte entries: node 1
//! of three, elected, its peers gone, so nothing it proposes ever commits.
//! Written once for both implementations; the counting allocator gives the
//! bytes live after the proposals and the peak on the way.

/// What the leader held.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Held {
    /// Entries proposed (fewer than asked if the time budget ran out).
    pub(crate) entries: u64,
    /// Bytes live at the end, above what was live before the first proposal.
    pub(crate) live: usize,
    /// The highest live byte count on the way, above the same base.
    pub(crate) peak: usize,
    /// Wall time of the proposals.
    pub(crate) elapsed: std::time::Duration,
}

macro_rules! leader_memory {
    ($module:ident, $krate:ident, $shapes:path) => {
        pub(crate) mod $module {
            use std::time::{Duration, Instant};

            use crate::alloc_counter;
            use crate::leader_memory::Held;
            use $krate::Event;
            use $shapes as shapes;

            /// Proposes up to `entries` commands, for at most `budget`.
            pub(crate) fn run(entries: u64, budget: Duration) -> Held {
                let mut nodes = shapes::elect(3, 1000, 1000);
                nodes.truncate(1);
                let mut leader = nodes.pop().unwrap();
                let base = alloc_counter::now().live;
                alloc_counter::reset_peak();
                let started = Instant::now();
                let mut proposed = 0;
                while proposed < entries {
                    let command = vec![0xab; crate::cluster::PAYLOAD];
                    drop(leader.step(Event::Propose(command)).unwrap());
                    proposed += 1;
                    if proposed.is_multiple_of(4096) && started.elapsed() > budget {
                        break;
                    }
                }
                let elapsed = started.elapsed();
                let held = Held {
                    entries: proposed,
                    live: alloc_counter::now().live.saturating_sub(base),
                    peak: alloc_counter::peak().saturating_sub(base),
                    elapsed,
                };
                drop(leader);
                held
            }
        }
    };
}

leader_memory!(ours, raft_core, crate::shapes::ours);
leader_memory!(peer, raft_io_peer, crate::shapes::peer);
