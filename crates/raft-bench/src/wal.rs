//! Durable workloads on each implementation's own `WalLog`: the 3-node
//! cluster (one `step` per event, written once for both; our round-driven
//! group-commit paths are in `wal_rounds`), recovery of 1,000,000 entries,
//! and the raw fsync limit of the disk they share, measured in the same run.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Entries written and recovered by the recovery workload.
pub(crate) const RECOVERY_ENTRIES: u64 = 1_000_000;

/// Appends of one 91-byte record (a 64-byte entry and its framing) each
/// followed by `sync_data`, for `budget`: the disk's fsyncs per second,
/// the ceiling of any log that syncs every write.
pub(crate) fn raw_fsyncs_per_second(dir: &Path, budget: Duration) -> f64 {
    let mut file = std::fs::File::create(dir.join("raw-fsync")).unwrap();
    let record = [0x5a_u8; 91];
    let started = Instant::now();
    let mut syncs = 0u64;
    while started.elapsed() < budget {
        file.write_all(&record).unwrap();
        file.sync_data().unwrap();
        syncs += 1;
    }
    syncs as f64 / started.elapsed().as_secs_f64()
}

/// `raw_fsyncs_per_second` on `threads` files at once, one thread each:
/// the mean rate per thread. Near the one-thread rate, fsyncs of different
/// files overlap on this disk; near that rate over `threads`, the disk (or
/// the file system's journal) serializes them, and neither three nodes on
/// it nor the parallel leader write can overlap their syncs.
pub(crate) fn raw_parallel_fsyncs_per_second(dir: &Path, threads: usize, budget: Duration) -> f64 {
    let rates: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let dir = dir.join(format!("parallel-{thread}"));
                std::fs::create_dir_all(&dir).unwrap();
                scope.spawn(move || raw_fsyncs_per_second(&dir, budget))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    rates.iter().sum::<f64>() / rates.len().max(1) as f64
}

/// Instantiates the durable workloads for one crate with the raft-io 1.0 API.
macro_rules! wal_workloads {
    ($module:ident, $krate:ident, $wal:path, $shapes:path, $cluster:path) => {
        pub(crate) mod $module {
            use std::path::Path;
            use std::time::{Duration, Instant};

            use crate::cluster::Sample;
            use $cluster as cluster;
            use $krate::{LogEntry, RaftLog};
            use $shapes as shapes;
            use $wal as WalLog;

            /// Three nodes on their own logs under `dir`, node 1 elected.
            pub(crate) fn nodes(dir: &Path) -> Vec<$krate::RaftNode<WalLog>> {
                let logs = (1..=3)
                    .map(|id| WalLog::open(dir.join(format!("node-{id}"))).unwrap())
                    .collect();
                shapes::elect_with(logs, 10, 3)
            }

            /// The 3-node cluster, one `step` per event.
            pub(crate) fn cluster(window: u64, budget: Duration) -> Sample {
                let dir = tempfile::tempdir().unwrap();
                cluster::run_on(nodes(dir.path()), window, u64::MAX, budget)
            }

            /// Writes `entries` 64-byte entries to a fresh log at `path`, 64
            /// per append and one sync per 1,024.
            pub(crate) fn write_log(path: &Path, entries: u64) {
                let mut log = WalLog::open(path).unwrap();
                let mut index = 1;
                while index <= entries {
                    let batch: Vec<LogEntry> = (index..(index + 64).min(entries + 1))
                        .map(|i| LogEntry::new(1, i, vec![0xab; crate::cluster::PAYLOAD]))
                        .collect();
                    index += batch.len() as u64;
                    log.append(&batch).unwrap();
                    if index % 1024 == 1 || index > entries {
                        log.sync().unwrap();
                    }
                }
            }

            /// Time to reopen (recover) the log at `path`.
            pub(crate) fn recover(path: &Path, entries: u64) -> Duration {
                let started = Instant::now();
                let log = WalLog::open(path).unwrap();
                let elapsed = started.elapsed();
                assert_eq!(log.last_index(), entries);
                elapsed
            }
        }
    };
}

wal_workloads!(
    ours,
    raft_core,
    raft_log_wal::WalLog,
    crate::shapes::ours,
    crate::cluster::ours
);
wal_workloads!(
    peer,
    raft_io_peer,
    raft_io_peer::WalLog,
    crate::shapes::peer,
    crate::cluster::peer
);
