//! The whole comparative suite: every workload on every implementation,
//! alternating A B A B over several rounds in this one process, printed as
//! markdown tables (medians, spread, ratios ours/peer) that
//! `docs::rewrite` puts into `docs/BENCHMARKS.md`.

use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::{Samples, rate, ratio};
use crate::{
    callgrind, cluster, fast_cluster, leader_memory, raftrs, shapes::Shape, wal, wal_rounds,
};

/// How much of everything to run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Rounds per comparison (each round runs every implementation once).
    pub(crate) rounds: usize,
    /// Commands per in-memory cluster run.
    pub(crate) cluster_commands: u64,
    /// Wall time per durable cluster run.
    pub(crate) wal_budget: Duration,
    /// Entries for recovery and leader memory.
    pub(crate) entries: u64,
    /// Bytes of the snapshot a follower catches up.
    pub(crate) snapshot_bytes: usize,
}

impl Plan {
    /// The recorded baseline.
    pub(crate) const FULL: Plan = Plan {
        rounds: 5,
        cluster_commands: 20_000,
        wal_budget: Duration::from_millis(1500),
        entries: wal::RECOVERY_ENTRIES,
        snapshot_bytes: 1 << 30,
    };

    /// A smoke run: the same tables, smaller and fewer.
    pub(crate) const QUICK: Plan = Plan {
        rounds: 3,
        cluster_commands: 2_000,
        wal_budget: Duration::from_millis(300),
        entries: 100_000,
        snapshot_bytes: 64 << 20,
    };
}

/// Runs everything and returns the markdown of the tables.
/// One section: runs its workloads and appends its table.
type Section = fn(Plan, &mut String);

/// The sections, by the names `--only` takes, in table order.
pub(crate) const SECTIONS: [(&str, Section); 7] = [
    ("shapes", step_shapes),
    ("clusters", memory_clusters),
    ("cluster-instructions", cluster_instructions),
    ("wal", wal_clusters),
    ("recovery", recovery),
    ("memory", leader_memory),
    ("snapshot", snapshot_catch_up),
];

/// Runs the sections `wanted` accepts and returns the markdown of their
/// tables.
pub(crate) fn run(plan: Plan, wanted: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    for (name, section) in SECTIONS {
        if wanted(name) {
            section(plan, &mut out);
        }
    }
    out
}

fn step_shapes(plan: Plan, out: &mut String) {
    eprintln!("step shapes under callgrind ...");
    let _ = writeln!(
        out,
        "### Step shapes: instructions per `step` (callgrind)\n\n\
         One `step` per event on both, the same workload code; instructions \
         collected inside the measured `step` only ({} steps per run after \
         200 unmeasured, {} runs each, alternating). Target: ours ≤ 0.5× the \
         peer; an idle tick allocates nothing.\n",
        callgrind::ITERATIONS,
        plan.rounds.min(3)
    );
    if !callgrind::available() {
        let _ = writeln!(
            out,
            "valgrind is not installed: step shapes not measured.\n"
        );
        return;
    }
    let _ = writeln!(
        out,
        "| shape | ours: instructions | raft-io 1.0: instructions | ours/peer | allocations per step (ours / peer) |\n|---|---:|---:|---:|---:|"
    );
    let scratch = tempfile::tempdir().unwrap();
    for shape in Shape::ALL {
        let (mut ours, mut peer) = (Samples::default(), Samples::default());
        let (mut ours_allocs, mut peer_allocs) = (0.0, 0.0);
        // Instruction counts barely move between runs: three rounds suffice.
        for _ in 0..plan.rounds.min(3) {
            if let Some(counted) = callgrind::count(shape, "ours", scratch.path()) {
                ours.push(counted.instructions);
                ours_allocs = counted.allocations;
            }
            if let Some(counted) = callgrind::count(shape, "peer", scratch.path()) {
                peer.push(counted.instructions);
                peer_allocs = counted.allocations;
            }
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | **{}** | {ours_allocs:.1} / {peer_allocs:.1} |",
            shape.label(),
            ours.cell(|v| format!("{v:.0}")),
            peer.cell(|v| format!("{v:.0}")),
            ratio(&ours, &peer)
        );
    }
    let _ = writeln!(out);
}

/// One implementation's samples of one workload.
#[derive(Default)]
struct Runs {
    per_second: Samples,
    allocations: Samples,
    bytes: Samples,
}

impl Runs {
    fn push(&mut self, sample: cluster::Sample) {
        self.per_second.push(sample.per_second());
        self.allocations.push(sample.allocations_per_command());
        self.bytes.push(sample.bytes_per_command());
    }

    fn throughput_cell(&self) -> String {
        self.per_second.cell(|v| format!("{}/s", rate(v)))
    }

    fn allocations_cell(&self) -> String {
        format!(
            "{:.1} ({:.0} B)",
            self.allocations.median(),
            self.bytes.median()
        )
    }
}

fn memory_clusters(plan: Plan, out: &mut String) {
    let _ = writeln!(
        out,
        "### In-memory cluster on one thread: commands applied on every node per second\n\n\
         {} commands of 64 B per run, one `step` per delivered message (raft-rs: \
         `RawNode::step` and its ready loop over `MemStorage`), {} rounds \
         alternating ours, raft-io 1.0, raft-rs. Allocations per command count \
         everything in the process (all nodes, the driver, the 64 B payloads). \
         Targets: ≥ 2× the peer at 1 and 16 in flight, ≥ 5× at 256; allocations \
         per command ≤ half the peer's.\n",
        plan.cluster_commands, plan.rounds
    );
    let _ = writeln!(
        out,
        "| nodes | in flight | ours | raft-io 1.0 | raft-rs 0.7 | ours/peer | ours/raft-rs | allocations per command (B): ours / peer / raft-rs |\n|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    let budget = Duration::from_secs(20);
    let mut fast_rows = Vec::new();
    for count in [3, 5] {
        for window in [1, 16, 256] {
            eprintln!("in-memory cluster: {count} nodes, {window} in flight ...");
            let (mut ours, mut peer, mut rs) = (Runs::default(), Runs::default(), Runs::default());
            let mut fast = Runs::default();
            for _ in 0..plan.rounds {
                let commands = plan.cluster_commands;
                ours.push(cluster::ours::run(count, window, commands, budget));
                fast.push(fast_cluster::run(count, window, commands, budget));
                peer.push(cluster::peer::run(count, window, commands, budget));
                rs.push(raftrs::run(count, window, commands, budget));
            }
            fast_rows.push(format!(
                "| {count} | {window} | {} | {} | **{}** | **{}** | **{}** | {} ({:.2} per node) |",
                fast.throughput_cell(),
                ours.throughput_cell(),
                ratio(&fast.per_second, &ours.per_second),
                ratio(&fast.per_second, &peer.per_second),
                ratio(&fast.per_second, &rs.per_second),
                fast.allocations_cell(),
                fast.allocations.median() / count as f64
            ));
            let _ = writeln!(
                out,
                "| {count} | {window} | {} | {} | {} | **{}** | **{}** | {} / {} / {} |",
                ours.throughput_cell(),
                peer.throughput_cell(),
                rs.throughput_cell(),
                ratio(&ours.per_second, &peer.per_second),
                ratio(&ours.per_second, &rs.per_second),
                ours.allocations_cell(),
                peer.allocations_cell(),
                rs.allocations_cell()
            );
        }
    }
    let _ = writeln!(
        out,
        "\n#### Our fast path: `step_into` and shared commands\n\n\
         The same runs (alternating with the three above), our nodes under \
         `with_shared_commands(true)` driven through `step_into` with one reused \
         output buffer, proposals through `propose_shared` (the driver's one \
         allocation per command). Targets: ahead of raft-rs at every depth; at most \
         1 allocation per node per command.\n"
    );
    let _ = writeln!(
        out,
        "| nodes | in flight | ours, fast path | ours, `step` | fast / `step` | fast / raft-io 1.0 | fast / raft-rs | allocations per command (B), fast path |\n|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for row in fast_rows {
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out);
}

fn cluster_instructions(plan: Plan, out: &mut String) {
    let commands = plan.cluster_commands / 4;
    let _ = writeln!(
        out,
        "### In-memory cluster: instructions per applied command (callgrind)\n\n\
         The same runs as above, {commands} commands, one run each under callgrind \
         (instruction counts do not depend on the machine's load, so this \
         table is the one to compare across runs; cache misses and the \
         allocator's memory behaviour are not in it).\n"
    );
    if !callgrind::available() {
        let _ = writeln!(out, "valgrind is not installed: not measured.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| nodes | in flight | ours | raft-io 1.0 | raft-rs 0.7 | ours/peer | ours/raft-rs | ours, fast path | fast/peer | fast/raft-rs |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for count in [3, 5] {
        for window in [1, 16, 256] {
            eprintln!("cluster instructions: {count} nodes, {window} in flight ...");
            let counted: Vec<Option<f64>> = ["ours", "peer", "raft-rs", "ours-fast"]
                .iter()
                .map(|which| callgrind::cluster(which, count, window, commands))
                .collect();
            let cell = |value: Option<f64>| value.map_or("n/a".to_owned(), |v| format!("{v:.0}"));
            let ratio = |ours: Option<f64>, other: Option<f64>| match (ours, other) {
                (Some(ours), Some(other)) => format!("**{:.2}×**", ours / other),
                _ => "n/a".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {count} | {window} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(counted[0]),
                cell(counted[1]),
                cell(counted[2]),
                ratio(counted[0], counted[1]),
                ratio(counted[0], counted[2]),
                cell(counted[3]),
                ratio(counted[3], counted[1]),
                ratio(counted[3], counted[2])
            );
        }
    }
    let _ = writeln!(out);
}

fn wal_clusters(plan: Plan, out: &mut String) {
    use wal_rounds::Calling;
    eprintln!("durable clusters ...");
    let scratch = tempfile::tempdir().unwrap();
    let start_fsyncs = wal::raw_fsyncs_per_second(scratch.path(), plan.wal_budget);
    let _ = writeln!(
        out,
        "### 3-node cluster on `WalLog`: commands applied on every node per second\n\n\
         Each node on its own log in a temp dir on the same disk, {:.1} s per run, \
         {} rounds alternating the five drivers (A B C D E, A B C D E ...). \
         *`step`*: ours runs the peer's very code (one `step` per delivered \
         message, every step syncs). The round drivers hand each node, once per \
         delivery round, everything sent to it so far: *`step_many`* in one call \
         (one fsync per node per round, sends after the sync); *`step` + `flush`* \
         with `with_deferred_sync(true)`, one `step` per event (the raft-io 1.0 \
         calling style) then one `flush` per node per round (group commit, and the \
         leader's appends leave before its own fsync, thesis 10.2.1); \
         *`step_many` + `flush`* the same with one `step_many`. Raw fsync limit of \
         this disk in this run: **{}** 91 B write + `sync_data` per second at the \
         start, {{END_FSYNCS}} at the end (one proposal in flight needs three \
         fsyncs in sequence without the parallel leader write, two with it).\n",
        plan.wal_budget.as_secs_f64(),
        plan.rounds,
        rate(start_fsyncs),
    );
    let _ = writeln!(
        out,
        "| in flight | ours, `step` | ours, `step_many` | ours, `step` + `flush` (deferred) | ours, `step_many` + `flush` (deferred) | raft-io 1.0, `step` |\n|---:|---:|---:|---:|---:|---:|"
    );
    let mut ratios = String::new();
    for window in [1, 64] {
        let mut runs: [Runs; 5] = Default::default();
        for _ in 0..plan.rounds {
            runs[0].push(wal::ours::cluster(window, plan.wal_budget));
            runs[1].push(wal_rounds::run(Calling::StepMany, window, plan.wal_budget));
            runs[2].push(wal_rounds::run(
                Calling::StepThenFlush,
                window,
                plan.wal_budget,
            ));
            runs[3].push(wal_rounds::run(
                Calling::StepManyThenFlush,
                window,
                plan.wal_budget,
            ));
            runs[4].push(wal::peer::cluster(window, plan.wal_budget));
        }
        let cells: Vec<String> = runs.iter().map(Runs::throughput_cell).collect();
        let _ = writeln!(out, "| {window} | {} |", cells.join(" | "));
        let peer = &runs[4].per_second;
        let _ = writeln!(
            ratios,
            "| {window} | {} | {} | {} | {} | **{}** | **{}** |",
            ratio(&runs[0].per_second, peer),
            ratio(&runs[1].per_second, peer),
            ratio(&runs[2].per_second, peer),
            ratio(&runs[3].per_second, peer),
            ratio(&runs[2].per_second, &runs[0].per_second),
            ratio(&runs[3].per_second, &runs[1].per_second),
        );
    }
    let _ = writeln!(
        out,
        "\nRatios of the medians. Targets (issue 10): at 64 in flight a batching \
         path (`step_many`, `step` + `flush`) ≥ 20× raft-io 1.0; at 1 in flight, \
         deferred ≥ 1.5× our `step` figure (the parallel leader write).\n\n\
         | in flight | `step`/peer | `step_many`/peer | `step`+`flush`/peer | `step_many`+`flush`/peer | `step`+`flush` / ours `step` | `step_many`+`flush` / ours `step_many` |\n|---:|---:|---:|---:|---:|---:|---:|\n{ratios}"
    );
    wal_threaded(plan, out);
    let end = wal::raw_fsyncs_per_second(scratch.path(), plan.wal_budget);
    let parallel = wal::raw_parallel_fsyncs_per_second(scratch.path(), 3, plan.wal_budget);
    *out = out.replace("{END_FSYNCS}", &rate(end));
    *out = out.replace("{PARALLEL_FSYNCS}", &rate(parallel));
}

/// Our four calling styles with a thread per node, where the nodes' fsyncs
/// can overlap: the parallel leader write shows here, not on one thread.
fn wal_threaded(plan: Plan, out: &mut String) {
    use wal_rounds::Calling;
    const STYLES: [Calling; 4] = [
        Calling::Step,
        Calling::StepMany,
        Calling::StepThenFlush,
        Calling::StepManyThenFlush,
    ];
    let _ = writeln!(
        out,
        "\n#### The same cluster with one thread per node (ours)\n\n\
         One thread per node, so the three nodes' fsyncs may overlap as on three \
         machines (they still share this one disk); each thread hands its node \
         everything queued for it in one of the styles above. {} rounds \
         alternating the four styles. The deferred/non-deferred ratio at 1 in \
         flight is the gain of the parallel leader write. Raw fsyncs with three \
         threads syncing their own files at once (measured at the end): \
         **{{PARALLEL_FSYNCS}}** per second per thread, against the one-thread \
         rate above: how much this disk lets three nodes' syncs overlap.\n\n\
         | in flight | `step` | `step_many` | `step` + `flush` (deferred) | `step_many` + `flush` (deferred) | `step`+`flush` / `step` | `step_many`+`flush` / `step_many` |\n|---:|---:|---:|---:|---:|---:|---:|",
        plan.rounds
    );
    for window in [1, 64] {
        let mut runs: [Runs; 4] = Default::default();
        for _ in 0..plan.rounds {
            for (runs, calling) in runs.iter_mut().zip(STYLES) {
                runs.push(crate::wal_threads::run(calling, window, plan.wal_budget));
            }
        }
        let cells: Vec<String> = runs.iter().map(Runs::throughput_cell).collect();
        let _ = writeln!(
            out,
            "| {window} | {} | **{}** | **{}** |",
            cells.join(" | "),
            ratio(&runs[2].per_second, &runs[0].per_second),
            ratio(&runs[3].per_second, &runs[1].per_second)
        );
    }
    let _ = writeln!(out);
}

fn recovery(plan: Plan, out: &mut String) {
    eprintln!("recovery of {} entries ...", plan.entries);
    let dir = tempfile::tempdir().unwrap();
    let (ours_path, peer_path) = (dir.path().join("ours"), dir.path().join("peer"));
    wal::ours::write_log(&ours_path, plan.entries);
    wal::peer::write_log(&peer_path, plan.entries);
    let (mut ours, mut peer) = (Samples::default(), Samples::default());
    for _ in 0..plan.rounds.min(3) {
        ours.push(wal::ours::recover(&ours_path, plan.entries).as_secs_f64() * 1e3);
        peer.push(wal::peer::recover(&peer_path, plan.entries).as_secs_f64() * 1e3);
    }
    let _ = writeln!(
        out,
        "### Recovery: `WalLog::open` of {} × 64 B entries\n\n\
         Each log written by its own implementation, 64 entries per append, one \
         sync per 1,024; reopened {} times alternating (page cache warm).\n\n\
         | ours | raft-io 1.0 | ours/peer (time) |\n|---:|---:|---:|\n| {} | {} | **{}** |\n",
        rate(plan.entries as f64),
        plan.rounds.min(3),
        ours.cell(|v| format!("{v:.1} ms")),
        peer.cell(|v| format!("{v:.1} ms")),
        ratio(&ours, &peer)
    );
}

fn leader_memory(plan: Plan, out: &mut String) {
    eprintln!(
        "leader memory with {} uncommitted entries ...",
        plan.entries
    );
    let budget = Duration::from_secs(60);
    let ours = leader_memory::ours::run(plan.entries, budget);
    let peer = leader_memory::peer::run(plan.entries, budget);
    let _ = writeln!(
        out,
        "### Leader memory: {} uncommitted 64 B entries\n\n\
         Node 1 of three, elected, its peers gone, so nothing commits; bytes live \
         above the level before the first proposal (counting allocator).\n\n\
         | | entries held | live at the end | peak | per entry (live) | proposing took |\n|---|---:|---:|---:|---:|---:|",
        rate(plan.entries as f64)
    );
    for (name, held) in [("ours", ours), ("raft-io 1.0", peer)] {
        let _ = writeln!(
            out,
            "| {name} | {} | {:.1} MiB | {:.1} MiB | {:.0} B | {:.2} s |",
            rate(held.entries as f64),
            held.live as f64 / 1_048_576.0,
            held.peak as f64 / 1_048_576.0,
            held.live as f64 / held.entries.max(1) as f64,
            held.elapsed.as_secs_f64()
        );
    }
    let per_entry = |held: leader_memory::Held| held.live as f64 / held.entries.max(1) as f64;
    let _ = writeln!(
        out,
        "\nours/peer, live bytes per entry: **{:.2}×**{}\n",
        per_entry(ours) / per_entry(peer),
        if peer.entries < plan.entries || ours.entries < plan.entries {
            format!(
                " (an implementation that had not reached {} entries within {} s stopped there)",
                rate(plan.entries as f64),
                budget.as_secs()
            )
        } else {
            String::new()
        }
    );
}

fn snapshot_catch_up(plan: Plan, out: &mut String) {
    use crate::snapshot_stream as stream;
    const CHUNK: usize = 1 << 20;
    let bytes = plan.snapshot_bytes;
    let mib = |bytes: f64| bytes / 1_048_576.0;
    eprintln!("snapshot catch-up of {:.0} MiB ...", mib(bytes as f64));
    let scratch = tempfile::tempdir().unwrap();
    // Alternating: memcpy, pipe, file + fsync, streamed to a MemoryLog
    // follower, streamed to a WalLog follower; then again.
    let mut times: [Samples; 5] = Default::default();
    let mut last: [Option<stream::CatchUp>; 2] = [None, None];
    let rounds = plan.rounds.min(3);
    for _ in 0..rounds {
        times[0].push(stream::memcpy(bytes).as_secs_f64() * 1e3);
        times[1].push(stream::pipe(bytes).as_secs_f64() * 1e3);
        times[2].push(stream::file_write_sync(scratch.path(), bytes).as_secs_f64() * 1e3);
        for (slot, on_wal) in [(0, false), (1, true)] {
            let catch_up = stream::catch_up(bytes, CHUNK, on_wal);
            times[3 + slot].push(catch_up.elapsed.as_secs_f64() * 1e3);
            last[slot] = Some(catch_up);
        }
    }
    let [Some(memory), Some(wal)] = last else {
        return;
    };
    let throughput = |ms: &Samples| format!("{:.0} MiB/s", mib(bytes as f64) / (ms.median() / 1e3));
    let row = |name: String, samples: &Samples| {
        format!(
            "| {name} | {} | {} | {} | {} |\n",
            samples.cell(|v| format!("{v:.0} ms")),
            throughput(samples),
            ratio(&times[3], samples),
            ratio(&times[4], samples),
        )
    };
    let _ = writeln!(
        out,
        "### Snapshot catch-up: a fresh follower installs a {:.0} MiB snapshot in {} KiB chunks\n\n\
         Leader (node 1 of 2) holding the snapshot, in this process; the \
         follower, fresh, in a child process (`raft-bench snapshot-follower \
         [DIR]`); both on `MemoryLog`s, or both on `WalLog`s in temp dirs (the \
         leader's snapshot written to its log in 1 MiB `stage_write` pieces; the \
         follower's chunks staged to its snapshot file as they arrive). The \
         follower restores from the log (`with_restore_from_log`), reading the \
         snapshot back through `snapshot_reader` in 1 MiB reads before it \
         answers the last chunk. Every message a raft-wire frame over the child's \
         stdin/stdout pipes, the follower answering each. Timed from the leader's \
         election to the chunk reply that says installed ({} chunks); {rounds} rounds \
         alternating with the raw copies of the same bytes: a `memcpy` in process, \
         1 MiB writes through a pipe to a child that discards them, and 1 MiB \
         writes to a file then one `sync_data`.\n\n\
         | | time | throughput | `MemoryLog` catch-up / this | `WalLog` catch-up / this |\n|---|---:|---:|---:|---:|\n{}{}{}{}{}",
        mib(bytes as f64),
        CHUNK / 1024,
        memory.chunks,
        row("streamed, both on `MemoryLog`".into(), &times[3]),
        row("streamed, both on `WalLog`".into(), &times[4]),
        row("`memcpy`".into(), &times[0]),
        row("pipe to a child".into(), &times[1]),
        row("file write + `sync_data`".into(), &times[2]),
    );
    let _ = writeln!(
        out,
        "Peak memory of the last round (`VmHWM` of each process; the leader's \
         reset after its log was built, so it covers the stream; heap peaks from \
         the counting allocator):\n\n\
         | side | peak RSS | heap peak | snapshot size |\n|---|---:|---:|---:|"
    );
    for (name, catch_up) in [("`MemoryLog` run", memory), ("`WalLog` run", wal)] {
        let _ = writeln!(
            out,
            "| leader, {name} | {:.0} MiB | {:.0} MiB above the {:.0} MiB its log held before | {:.0} MiB |\n\
             | follower, {name} | {:.0} MiB | {:.0} MiB | {:.0} MiB |",
            catch_up.leader_hwm_kib as f64 / 1024.0,
            mib(catch_up.leader_heap_peak as f64),
            mib(catch_up.leader_heap_before as f64),
            mib(bytes as f64),
            catch_up.follower_hwm_kib as f64 / 1024.0,
            mib(catch_up.follower_heap_peak as f64),
            mib(bytes as f64),
        );
    }
    let _ = writeln!(out);
}
