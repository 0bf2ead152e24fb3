//! The HTTP API of one in-process node: the happy paths of every request,
//! and a 4xx naming what was wrong for each kind of malformed request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kv_server::{Api, HttpClient, HttpResponse, KvStore, router};
use raft_server::{RaftServer, ServerConfig};

/// A single-node cluster serving HTTP on a free port.
struct Node {
    _server: RaftServer,
    _runtime: tokio::runtime::Runtime,
    client: HttpClient,
    _dir: tempfile::TempDir,
}

fn start() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig::new(1, "127.0.0.1:0".parse().unwrap());
    let server = RaftServer::start_with_wal(config, dir.path(), KvStore::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_io()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let api = Api::new(server.handle(), BTreeMap::from([(1, addr)]));
    runtime.spawn(async move { axum::serve(listener, router(api)).await });
    let mut client = HttpClient::new(addr, Duration::from_secs(5));
    // Wait for the single node to elect itself.
    let deadline = Instant::now() + Duration::from_secs(10);
    while client
        .request("GET", "/kv/probe", b"")
        .map_or(true, |r| r.status != 404)
    {
        assert!(Instant::now() < deadline, "the node never became leader");
        std::thread::sleep(Duration::from_millis(20));
    }
    Node {
        _server: server,
        _runtime: runtime,
        client,
        _dir: dir,
    }
}

fn says(response: &HttpResponse, status: u16, text: &str) {
    assert_eq!(response.status, status, "{response:?}");
    assert!(
        response.text().contains(text),
        "{:?} lacks {text:?}",
        response.text()
    );
}

#[test]
fn every_request_works_on_the_leader() {
    let mut node = start();
    let c = &mut node.client;
    says(&c.request("PUT", "/kv/a", b"1").unwrap(), 200, "ok");
    says(&c.request("GET", "/kv/a", b"").unwrap(), 200, "1");
    let cas = br#"{"expected": "1", "new": "2"}"#;
    says(&c.request("POST", "/cas/a", cas).unwrap(), 200, "swapped");
    says(
        &c.request("POST", "/cas/a", cas).unwrap(),
        409,
        "not swapped",
    );
    let create = br#"{"expected": null, "new": "x"}"#;
    says(
        &c.request("POST", "/cas/b", create).unwrap(),
        200,
        "swapped",
    );
    says(&c.request("GET", "/kv/a", b"").unwrap(), 200, "2");
    says(&c.request("DELETE", "/kv/a", b"").unwrap(), 200, "deleted");
    says(
        &c.request("DELETE", "/kv/a", b"").unwrap(),
        200,
        "was absent",
    );
    says(&c.request("GET", "/kv/a", b"").unwrap(), 404, "not found");
    let status = c.request("GET", "/status", b"").unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.body).unwrap();
    assert_eq!(status["role"], "Leader");
    assert_eq!(status["members"], serde_json::json!([1]));
}

#[test]
fn malformed_requests_get_a_4xx_that_says_what_was_wrong() {
    let mut node = start();
    let c = &mut node.client;
    let long_key = format!("/kv/{}", "k".repeat(2000));
    says(
        &c.request("PUT", &long_key, b"v").unwrap(),
        400,
        "limit is 1024",
    );
    let big = vec![b'v'; kv_server::BODY_LEN_MAX + 1];
    says(
        &c.request("PUT", "/kv/big", &big).unwrap(),
        413,
        "1048576-byte limit",
    );
    says(
        &c.request("POST", "/cas/a", b"{not json").unwrap(),
        400,
        "malformed JSON body",
    );
    says(
        &c.request("POST", "/cas/a", br#"{"new": 5}"#).unwrap(),
        400,
        "expected a string",
    );
    says(
        &c.request("POST", "/members/zero", b"{}").unwrap(),
        400,
        "not a node id",
    );
    says(
        &c.request("POST", "/members/4", br#"{"raft": "nowhere"}"#)
            .unwrap(),
        400,
        "malformed JSON body",
    );
    says(
        &c.request("POST", "/transfer/0", b"").unwrap(),
        400,
        "not a node id",
    );
    assert_eq!(c.request("GET", "/nothing-here", b"").unwrap().status, 404);
    // The node is unharmed.
    says(&c.request("PUT", "/kv/a", b"1").unwrap(), 200, "ok");
}
