//! Three `kv_server` processes on loopback: several HTTP clients write and
//! read while the leader is killed with SIGKILL and later restarted. Every
//! acknowledged write must then be readable on each node (each is made
//! leader in turn and read directly), and the clients' history must be
//! linearizable (the testkit's checker with its KV model).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use kv_server::{HttpClient, KvClient, KvError, LocalCluster};
use raft_testkit::{History, KvInput, KvModel, KvOutput, LinearizabilityChecker, Verdict};

type Input = KvInput<String, String>;
type Output = KvOutput<String>;

/// One operation as a client saw it; `output` is `None` when its outcome
/// is unknown (it stays pending in the history).
struct Record {
    client: u64,
    input: Input,
    output: Option<Output>,
    invoked_at: u64,
    returned_at: u64,
}

/// Everything the clients observed.
#[derive(Default)]
struct Observed {
    records: Vec<Record>,
    /// Keys written once each and acknowledged, with their value.
    acked_unique: BTreeMap<String, String>,
}

fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap()
}

/// A small xorshift, so the workload needs no dependency.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Runs one client until `stop`: puts, gets and compare-and-swaps on a few
/// shared keys, plus a write of a fresh key now and then.
fn run_client(
    thread_no: u64,
    mut kv: KvClient,
    start: Instant,
    stop: &AtomicBool,
    observed: &Mutex<Observed>,
) {
    let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (thread_no + 1);
    // A client whose operation's outcome is unknown never returns from it;
    // it carries on under a new client id.
    let mut generation = 0;
    let mut last_seen: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let client = thread_no * 1_000 + generation;
        let key = format!("k{}", next(&mut seed) % 3);
        let value = format!("c{thread_no}-{n}");
        let choice = next(&mut seed) % 10;
        let invoked_at = micros(start);
        let (input, result): (Input, Result<Output, KvError>) = match choice {
            0..=3 => (
                KvInput::Put(key.clone(), value.clone()),
                kv.put(&key, &value).map(|()| KvOutput::Done),
            ),
            4..=6 => {
                let result = kv.get(&key);
                if let Ok(seen) = &result {
                    last_seen.insert(key.clone(), seen.clone());
                }
                (KvInput::Get(key.clone()), result.map(KvOutput::Value))
            }
            7..=8 => {
                let expected = last_seen.get(&key).cloned().flatten();
                (
                    KvInput::Cas {
                        key: key.clone(),
                        expected: expected.clone(),
                        new: value.clone(),
                    },
                    kv.cas(&key, expected.as_deref(), &value).map(KvOutput::Cas),
                )
            }
            _ => {
                let unique = format!("u{thread_no}-{n}");
                let result = kv.put(&unique, &value);
                if result.is_ok() {
                    observed
                        .lock()
                        .unwrap()
                        .acked_unique
                        .insert(unique.clone(), value.clone());
                }
                (KvInput::Put(unique, value), result.map(|()| KvOutput::Done))
            }
        };
        let returned_at = micros(start);
        let output = match result {
            Ok(output) => Some(output),
            // It certainly did not happen: not part of the history.
            Err(KvError::NotApplied(_)) => continue,
            Err(KvError::Indeterminate(_)) => {
                generation += 1;
                None
            }
        };
        observed.lock().unwrap().records.push(Record {
            client,
            input,
            output,
            invoked_at,
            returned_at,
        });
    }
}

/// Makes `target` the leader (asking the current one to transfer), or
/// panics after a while.
fn make_leader(cluster: &LocalCluster, target: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let leader = cluster.leader(Duration::from_secs(5)).expect("a leader");
        if leader == target {
            // Confirmed by a read served there (it needs a quorum).
            let mut direct =
                HttpClient::new(cluster.http_addr(target).unwrap(), Duration::from_secs(3));
            if direct
                .request("GET", "/kv/k0", b"")
                .is_ok_and(|r| r.status == 200 || r.status == 404)
            {
                return;
            }
        } else {
            let mut client =
                HttpClient::new(cluster.http_addr(leader).unwrap(), Duration::from_secs(3));
            let _ = client.request("POST", &format!("/transfer/{target}"), b"");
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("node {target} never became leader");
}

#[test]
fn a_killed_leader_loses_no_acknowledged_write_and_the_history_stays_linearizable() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster =
        LocalCluster::start(env!("CARGO_BIN_EXE_kv_server"), &[], 3, dir.path()).unwrap();
    let first_leader = cluster
        .leader(Duration::from_secs(10))
        .expect("a first leader");

    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let observed = Arc::new(Mutex::new(Observed::default()));
    let clients: Vec<_> = (0..4u64)
        .map(|thread_no| {
            let kv = cluster.client(1 + thread_no % 3);
            let (stop, observed) = (Arc::clone(&stop), Arc::clone(&observed));
            thread::spawn(move || run_client(thread_no, kv, start, &stop, &observed))
        })
        .collect();

    thread::sleep(Duration::from_millis(1500));
    cluster.kill(first_leader).unwrap();
    let second_leader = cluster
        .leader(Duration::from_secs(10))
        .expect("a leader after the kill");
    assert_ne!(second_leader, first_leader);
    thread::sleep(Duration::from_millis(1500));
    cluster.restart(first_leader).unwrap();
    thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }

    let observed = Arc::try_unwrap(observed)
        .ok()
        .unwrap()
        .into_inner()
        .unwrap();
    let acked = observed
        .records
        .iter()
        .filter(|r| r.output.is_some())
        .count();
    eprintln!(
        "{} operations, {acked} acknowledged, {} fresh keys; leader {first_leader} killed, then {second_leader}",
        observed.records.len(),
        observed.acked_unique.len()
    );
    assert!(acked > 50, "too few operations completed: {acked}");
    assert!(
        !observed.acked_unique.is_empty(),
        "no fresh-key write was acknowledged"
    );
    let written_after_kill = observed
        .records
        .iter()
        .filter(|r| matches!(r.input, KvInput::Put(..)) && r.output.is_some())
        .any(|r| r.invoked_at > u64::try_from(Duration::from_millis(1600).as_micros()).unwrap());
    assert!(
        written_after_kill,
        "no write was acknowledged through the new leader"
    );

    // Every acknowledged fresh-key write is on every node: make each the
    // leader in turn and read them there, without redirects.
    for id in 1..=3 {
        make_leader(&cluster, id);
        let mut direct = HttpClient::new(cluster.http_addr(id).unwrap(), Duration::from_secs(3));
        for (key, value) in &observed.acked_unique {
            let response = direct.request("GET", &format!("/kv/{key}"), b"").unwrap();
            assert_eq!(
                (response.status, response.text()),
                (200, value.clone()),
                "node {id} lost acknowledged write {key}"
            );
        }
    }

    let mut history: History<Input, Output> = History::new();
    for record in observed.records {
        match record.output {
            Some(output) => {
                history
                    .record(
                        record.client,
                        record.input,
                        output,
                        record.invoked_at,
                        record.returned_at,
                    )
                    .unwrap();
            }
            None => {
                history.invoke(record.client, record.input, record.invoked_at);
            }
        }
    }
    let verdict = LinearizabilityChecker::new(KvModel::<String, String>::new()).check(&history);
    match verdict {
        Verdict::Ok => {}
        other => panic!(
            "the history of {} operations is not known linearizable: {other:?}",
            history.len()
        ),
    }
}
