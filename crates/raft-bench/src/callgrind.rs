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
    let exe = std::env::current_exe().ok()?;
    let out_file = scratch.join(format!("callgrind.{}.{which}", shape.name()));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--toggle-collect=*measured_step*")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(exe)
        .args(["shape", shape.name(), which, &ITERATIONS.to_string()])
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "callgrind of {} on {which} failed: {}",
            shape.name(),
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let profile = std::fs::read_to_string(&out_file).ok()?;
    let total: f64 = profile
        .lines()
        .find_map(|line| line.strip_prefix("summary:"))?
        .trim()
        .parse()
        .ok()?;
    // The child prints "allocations N bytes M" for its measured steps.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let allocations: f64 = stdout.split_whitespace().nth(1)?.parse().ok()?;
    Some(Counted {
        instructions: total / ITERATIONS as f64,
        allocations: allocations / ITERATIONS as f64,
    })
}
