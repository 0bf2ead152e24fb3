//! The directory lock: a second open is refused, in this process and in
//! another one; a reopen after drop succeeds.

// Tests assert by unwrapping and index freely; helper functions outside
// `#[test]` need the allowance spelled out (clippy.toml covers only tests).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use raft_core::{Error, RaftLog};
use raft_log_wal::WalLog;

const CHILD_ENV: &str = "RAFT_LOG_WAL_LOCK_CHILD";

fn assert_locked(result: raft_core::Result<WalLog>) {
    match result {
        Err(Error::Storage { detail, .. }) => {
            assert!(detail.contains("locked by another process"), "{detail}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a second open succeeded"),
    }
}

#[test]
fn second_open_in_this_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = WalLog::open(dir.path()).unwrap();
    assert_locked(WalLog::open(dir.path()));
    drop(log);
    let log = WalLog::open(dir.path()).unwrap();
    assert_eq!(log.last_index(), 0);
}

/// Run as a child process: holds the log open until stdin closes.
#[test]
fn lock_holder_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let _log = WalLog::open(&dir).unwrap();
    println!("LOCKED");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[test]
fn second_open_from_another_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("LOCKED") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "child exited early"
        );
    }
    assert_locked(WalLog::open(dir.path()));
    drop(child.stdin.take()); // let the child finish and release the lock
    assert!(child.wait().unwrap().success());
    WalLog::open(dir.path()).unwrap();
}
