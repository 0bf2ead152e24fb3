//! Golden interaction transcripts: every `testdata/*.txt` script is run and
//! must print exactly what it records. `cargo xtask test --rewrite` (which
//! sets `RAFT_REWRITE=1`) writes the current output back instead.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use std::path::Path;

/// Every transcript CI must check (more may be present; all are run).
const EXPECTED: &[&str] = &[
    "check_quorum",
    "election",
    "figure8",
    "pre_vote",
    "read_index",
    "replication",
    "stickiness",
    "membership_add_remove",
    "membership_remove_leader",
    "membership_learner",
    "membership_joint",
    "membership_2015",
];

#[test]
fn transcripts_match_their_golden_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let rewrite = std::env::var_os("RAFT_REWRITE").is_some();
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    scripts.sort();
    for name in EXPECTED {
        assert!(
            scripts
                .iter()
                .any(|path| path.file_stem().is_some_and(|stem| stem == *name)),
            "transcript {name}.txt is missing from {dir:?}"
        );
    }
    let mut failures = Vec::new();
    for path in scripts {
        let script = std::fs::read_to_string(&path).unwrap();
        let result = raft_testkit::run_script(&script);
        if rewrite {
            std::fs::write(&path, &result).unwrap();
        } else if result != script {
            failures.push(format!(
                "{}:\n{}",
                path.display(),
                first_difference(&script, &result)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "transcripts differ (run `cargo xtask test --rewrite` if the change is intended):\n{}",
        failures.join("\n")
    );
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (number, (want, got)) in expected.lines().zip(actual.lines()).enumerate() {
        if want != got {
            return format!("  line {}:\n    want: {want}\n    got:  {got}", number + 1);
        }
    }
    "  (one is a prefix of the other)".to_owned()
}
