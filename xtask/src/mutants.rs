//! `cargo xtask mutants`: mutation testing of the protocol guards with
//! `cargo-mutants`, so that every rule has a test that fails without it.
//!
//! A long run (like `soak`), never part of `ci`. Each scope names the files
//! to mutate and the fastest tests that still kill mutants there; mutants
//! judged equivalent are excluded in `.cargo/mutants.toml`, which
//! cargo-mutants reads on its own. See docs/MUTANTS.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Outcome, cargo_bin, flag, run, workspace_root};

/// What one scope mutates and which tests judge its mutants.
struct Scope {
    name: &'static str,
    /// The package whose code is mutated.
    package: &'static str,
    /// Globs of the files to mutate (workspace-relative).
    files: &'static [&'static str],
    /// `cargo test` arguments that pick the test binaries: the fastest set
    /// that still kills the mutants of these files.
    test_args: &'static [&'static str],
}

/// The protocol: elections, replication, membership, snapshots, the log
/// interface. Judged by the unit tests beside the code, the per-rule tests,
/// the hostile-input proptest and the whole-cluster simulation (faults,
/// liveness bounds).
const CORE: Scope = Scope {
    name: "core",
    package: "raft-core",
    files: &[
        "crates/raft-core/src/node/**",
        "crates/raft-core/src/membership/**",
        "crates/raft-core/src/log/**",
    ],
    test_args: &[
        "--lib",
        "--test=rules",
        "--test=hostile",
        "--test=simulation",
    ],
};

/// The WAL's recovery path: decoding records, finding the torn tail,
/// remembering past damage. Judged by all of raft-log-wal's tests.
const WAL: Scope = Scope {
    name: "wal",
    package: "raft-log-wal",
    files: &[
        "crates/raft-log-wal/src/recovery.rs",
        "crates/raft-log-wal/src/past_damage.rs",
        "crates/raft-log-wal/src/format.rs",
    ],
    test_args: &[],
};

/// The testkit's fault-schedule proptest, added by `--testkit`: slower,
/// for mutants the default set lets through.
const TESTKIT_TEST_ARGS: &[&str] = &["--test=fault_plans", "--test=client_ops"];

/// The usage line of this task.
const USAGE: &str = "usage: cargo xtask mutants [core|wal] [--in-diff [BASE]] [--file GLOB].. \
                     [--exclude GLOB].. [--re REGEX].. [--shard K/N] [--jobs N] [--timeout S] [--testkit] [--list]";

/// `cargo xtask mutants [core|wal] [options]`.
pub(crate) fn mutants(args: &[String]) -> Outcome {
    let scope = match args.first().map(String::as_str) {
        None => &CORE,
        Some(arg) if arg.starts_with("--") => &CORE,
        Some("core") => &CORE,
        Some("wal") => &WAL,
        Some(other) => return Err(format!("unknown scope {other:?}\n{USAGE}")),
    };
    ensure_cargo_mutants()?;
    let root = workspace_root();
    let out_dir = root.join("target/mutants").join(scope.name);
    std::fs::create_dir_all(&out_dir)
        .map_err(|error| format!("could not create {}: {error}", out_dir.display()))?;

    let mut command = Command::new(cargo_bin());
    command.args([
        "mutants",
        "--package",
        scope.package,
        "--profile",
        "mutants",
    ]);
    command.arg("--output").arg(&out_dir);
    command.args([
        "--jobs",
        &flag(args, "--jobs").unwrap_or_else(|| "2".to_owned()),
    ]);
    // A mutant that makes a test spin (a leader that never commits, an
    // election that never ends) is cut off, and counts as caught. Without
    // `--timeout`, cargo-mutants allows five times the baseline test time,
    // 20 s at least.
    if let Some(timeout) = flag(args, "--timeout") {
        command.args(["--timeout", &timeout]);
    }
    let files = repeated(args, "--file");
    for glob in if files.is_empty() {
        scope.files.iter().map(|glob| (*glob).to_owned()).collect()
    } else {
        files
    } {
        command.args(["--file", &glob]);
    }
    // `--exclude GLOB`: leave these files out (after `--file` picked), e.g.
    // files someone else is rewriting while the run goes on.
    for glob in repeated(args, "--exclude") {
        command.args(["--exclude", &glob]);
    }
    if let Some(shard) = flag(args, "--shard") {
        command.args(["--shard", &shard]);
    }
    // `--re REGEX`: only the mutants whose name matches, e.g. to confirm that
    // a new test kills the survivors of the last run.
    for re in repeated(args, "--re") {
        command.args(["--re", &re]);
    }
    if args.iter().any(|arg| arg == "--in-diff") {
        let base = flag(args, "--in-diff")
            .filter(|value| !value.starts_with("--"))
            .unwrap_or_else(|| "main".to_owned());
        let Some(diff) = write_diff(&root, &base, &out_dir)? else {
            eprintln!("xtask mutants: no change against {base}: nothing to mutate");
            return Ok(());
        };
        command.arg("--in-diff").arg(diff);
    }
    if args.iter().any(|arg| arg == "--list") {
        command.arg("--list");
        return run(command);
    }
    let mut test_args: Vec<&str> = scope.test_args.to_vec();
    if args.iter().any(|arg| arg == "--testkit") {
        command.args(["--test-package", &format!("{},raft-testkit", scope.package)]);
        test_args.extend(TESTKIT_TEST_ARGS);
    }
    // `--cargo-arg`, not `--cargo-test-arg`: the build of each mutant
    // (`cargo test --no-run`) then compiles only these test binaries too.
    for arg in test_args {
        command.arg(format!("--cargo-arg={arg}"));
    }
    // cargo-mutants exits non-zero when a mutant survives or times out; the
    // verdict below reads its outcome files instead.
    let _ = run(command);
    summarize(&out_dir.join("mutants.out"))
}

/// Installs cargo-mutants if `cargo mutants` is not there yet.
fn ensure_cargo_mutants() -> Outcome {
    let installed = Command::new(cargo_bin())
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if installed {
        return Ok(());
    }
    eprintln!("xtask mutants: installing cargo-mutants (cargo install --locked)");
    let mut command = Command::new(cargo_bin());
    command.args(["install", "--locked", "cargo-mutants"]);
    run(command)
}

/// The diff from the merge base with `base` to the working tree (committed
/// and uncommitted changes of this branch), or `None` when it is empty.
fn write_diff(root: &Path, base: &str, out_dir: &Path) -> Result<Option<PathBuf>, String> {
    let git = |args: &[&str]| -> Result<String, String> {
        let output = Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .map_err(|error| format!("could not run git: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let merge_base = git(&["merge-base", base, "HEAD"])?;
    let diff = git(&["diff", merge_base.trim()])?;
    if diff.trim().is_empty() {
        return Ok(None);
    }
    let path = out_dir.join("change.diff");
    std::fs::write(&path, diff)
        .map_err(|error| format!("could not write {}: {error}", path.display()))?;
    Ok(Some(path))
}

/// Prints the counts of a finished run and every survivor; fails when any
/// mutant survived (equivalent ones are excluded before the run).
fn summarize(results: &Path) -> Outcome {
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(results.join(name))
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (caught, missed, timeout, unviable) = (
        read("caught.txt"),
        read("missed.txt"),
        read("timeout.txt"),
        read("unviable.txt"),
    );
    let total = caught.len() + missed.len() + timeout.len() + unviable.len();
    if total == 0 {
        return Err(format!(
            "no outcomes in {} (did the baseline fail?)",
            results.display()
        ));
    }
    eprintln!(
        "xtask mutants: {total} mutants: {} killed, {} timed out, {} unviable, {} survived",
        caught.len(),
        timeout.len(),
        unviable.len(),
        missed.len()
    );
    for line in &timeout {
        eprintln!("  timed out (counts as killed): {line}");
    }
    for line in &missed {
        eprintln!("  SURVIVED: {line}");
    }
    if missed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} mutants survived: add a rules test that kills each, or list it as \
             equivalent in .cargo/mutants.toml with its reason (docs/MUTANTS.md)",
            missed.len()
        ))
    }
}

/// Every value of a flag that may be given more than once.
fn repeated(args: &[String], name: &str) -> Vec<String> {
    args.windows(2)
        .filter(|pair| pair[0] == name)
        .map(|pair| pair[1].clone())
        .collect()
}
