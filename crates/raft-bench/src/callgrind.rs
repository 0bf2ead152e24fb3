//! Instruction counts of one step shape: this same binary re-run under
//! `valgrind --tool=callgrind`, collecting only inside `measured_step`
//! (`--toggle-collect`), so setup, warm-up and the driver cost nothing.
//! Counts are nearly deterministic, unlike wall time on a shared machine.

use std::path::Path;
use std::process::Command;

use crate::shapes::Shape;

/// Measured steps per callgrind run.
pub(crate) const ITERATIONS: u64 = 500;

/// What one callgrind run of a shape gave.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counted {
    /// Instructions per measured step.
    pub(crate) instructions: f64,
    /// Heap allocations per measured step.
    pub(crate) allocations: f64,
}

/// Whether valgrind can be run here.
pub(crate) fn available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Runs `shape` on `which` ("ours" or "peer") under callgrind; `None` (with
/// the reason on stderr) if valgrind failed.
pub(crate) fn count(shape: Shape, which: &str, scratch: &Path) -> Option<Counted> {
    let iterations = ITERATIONS.to_string();
    let (total, stdout) = collect(
        "*measured_step*",
        &["shape", shape.name(), which, &iterations],
        &scratch.join(format!("callgrind.{}.{which}", shape.name())),
    )?;
    // The child prints "allocations N bytes M" for its measured steps.
    let allocations: f64 = stdout.split_whitespace().nth(1)?.parse().ok()?;
    Some(Counted {
        instructions: total / ITERATIONS as f64,
        allocations: allocations / ITERATIONS as f64,
    })
}

/// Instructions per applied command of one in-memory cluster run of
/// `which` ("ours", "peer" or "raft-rs"), collected inside its run loop
/// only (the election before it is not counted; dropping the nodes is).
pub(crate) fn cluster(which: &str, nodes: u64, window: u64, commands: u64) -> Option<f64> {
    let pattern = match which {
        "ours" => "*cluster*ours*run_on*",
        "ours-fast" => "*fast_cluster*run_on*",
        "peer" => "*cluster*peer*run_on*",
        _ => "*raftrs*measured_run*",
    };
    let scratch = tempfile::tempdir().ok()?;
    let (total, stdout) = collect(
        pattern,
        &[
            "cluster",
            which,
            &nodes.to_string(),
            &window.to_string(),
            &commands.to_string(),
        ],
        &scratch.path().join("callgrind.cluster"),
    )?;
    // The child prints "WHICH: APPLIED applied in ...".
    let applied: f64 = stdout.split_whitespace().nth(1)?.parse().ok()?;
    Some(total / applied.max(1.0))
}

/// This binary with `args` under callgrind, collecting inside functions
/// matching `pattern`: the instructions collected and the child's stdout.
fn collect(pattern: &str, args: &[&str], out_file: &Path) -> Option<(f64, String)> {
    let exe = std::env::current_exe().ok()?;
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--toggle-collect={pattern}"))
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(exe)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "callgrind of {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let profile = std::fs::read_to_string(out_file).ok()?;
    let total: f64 = profile
        .lines()
        .find_map(|line| line.strip_prefix("summary:"))?
        .trim()
        .parse()
        .ok()?;
    Some((total, String::from_utf8_lossy(&output.stdout).into_owned()))
}
