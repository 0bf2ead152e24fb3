//! Golden interaction transcripts: every `testdata/*.txt` script is run and
//! must print exactly what it records. `cargo xtask test --rewrite` (which
//! sets `RAFT_REWRITE=1`) writes the current output back instead.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests assert by unwrapping"
)]

use std::path::Path;

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
    assert!(
        scripts.len() >= 7,
        "expected the protocol transcripts in {dir:?}"
    );
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
