//! A node whose disk is wiped is removed from the cluster, started again
//! empty as a joining node, added back as a learner, promoted, and ends up
//! with every acknowledged write: it is made leader and read directly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, Instant};

use kv_server::{HttpClient, LocalCluster};

/// Polls `condition` for up to 20 s.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

fn members(cluster: &LocalCluster, id: u64) -> Option<Vec<u64>> {
    let status = cluster.status(id)?;
    serde_json::from_value(status["members"].clone()).ok()
}

/// Sends a membership request to the current leader until it is accepted.
fn change(cluster: &LocalCluster, method: &str, path: &str, body: &str) {
    eventually(&format!("{method} {path} to be accepted"), || {
        let Some(leader) = cluster.leader(Duration::from_secs(5)) else {
            return false;
        };
        let mut client =
            HttpClient::new(cluster.http_addr(leader).unwrap(), Duration::from_secs(3));
        match client.request(method, path, body.as_bytes()) {
            Ok(response) if response.status == 200 => true,
            Ok(response) => {
                eprintln!("{method} {path}: {} {}", response.status, response.text());
                false
            }
            Err(error) => {
                eprintln!("{method} {path}: {error}");
                false
            }
        }
    });
}

#[test]
fn a_wiped_node_rejoins_by_membership_change_and_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster =
        LocalCluster::start(env!("CARGO_BIN_EXE_kv_server"), &[], 3, dir.path()).unwrap();
    let leader = cluster.leader(Duration::from_secs(10)).expect("a leader");
    let wiped = if leader == 3 { 2 } else { 3 };

    let mut written = BTreeMap::new();
    let mut kv = cluster.client(leader);
    for n in 0..50 {
        let (key, value) = (format!("before-{n}"), format!("v{n}"));
        kv.put(&key, &value).unwrap();
        written.insert(key, value);
    }

    // The disk is lost: the node is removed, then comes back empty.
    cluster.kill(wiped).unwrap();
    cluster.wipe(wiped).unwrap();
    change(&cluster, "DELETE", &format!("/members/{wiped}"), "");
    eventually("the removal to take effect", || {
        members(&cluster, leader).is_some_and(|m| !m.contains(&wiped))
    });
    for n in 0..50 {
        let (key, value) = (format!("between-{n}"), format!("w{n}"));
        kv.put(&key, &value).unwrap();
        written.insert(key, value);
    }

    cluster.start_joining(wiped).unwrap();
    let args = &cluster.nodes()[&wiped].args;
    let body = format!(
        r#"{{"raft": "{}", "http": "{}", "learner": true}}"#,
        args.raft, args.http
    );
    change(&cluster, "POST", &format!("/members/{wiped}"), &body);
    eventually("the learner to catch up", || {
        let leader_applied = cluster
            .leader(Duration::from_secs(5))
            .and_then(|l| cluster.status(l))
            .and_then(|s| s["last_applied"].as_u64());
        let learner_applied = cluster
            .status(wiped)
            .and_then(|s| s["last_applied"].as_u64());
        leader_applied.is_some() && leader_applied == learner_applied
    });
    change(&cluster, "POST", &format!("/members/{wiped}/promote"), "");
    eventually("the promotion to take effect", || {
        members(&cluster, wiped).is_some_and(|m| m.contains(&wiped) && m.len() == 3)
    });
    for n in 0..20 {
        let (key, value) = (format!("after-{n}"), format!("x{n}"));
        kv.put(&key, &value).unwrap();
        written.insert(key, value);
    }

    // The rejoined node holds everything: make it the leader, read there.
    eventually("the rejoined node to lead", || {
        let Some(current) = cluster.leader(Duration::from_secs(5)) else {
            return false;
        };
        if current == wiped {
            return true;
        }
        let mut client =
            HttpClient::new(cluster.http_addr(current).unwrap(), Duration::from_secs(3));
        let _ = client.request("POST", &format!("/transfer/{wiped}"), b"");
        false
    });
    let mut direct = HttpClient::new(cluster.http_addr(wiped).unwrap(), Duration::from_secs(3));
    for (key, value) in &written {
        let mut response = direct.request("GET", &format!("/kv/{key}"), b"").unwrap();
        // A fresh leader may first answer 503 while it confirms leadership.
        let deadline = Instant::now() + Duration::from_secs(5);
        while response.status != 200 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
            response = direct.request("GET", &format!("/kv/{key}"), b"").unwrap();
        }
        assert_eq!(
            (response.status, response.text()),
            (200, value.clone()),
            "{key} on node {wiped}"
        );
    }
}
