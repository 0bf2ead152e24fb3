//! Three `kv_server` processes talking mutual TLS (certificates generated
//! at test time): the cluster elects a leader and replicates, and a peer
//! that speaks plain TCP, even with a perfect hello, is refused by every
//! node and changes nothing.

#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use kv_server::LocalCluster;
use raft_wire::Hello;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

/// Writes `ca.pem` and `node-N.pem` / `node-N.key` for nodes 1..=3.
fn write_certificates(dir: &Path) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    for id in 1..=3u64 {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec![raft_wire::node_dns_name(id)]).unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        std::fs::write(dir.join(format!("node-{id}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("node-{id}.key")), key.serialize_pem()).unwrap();
    }
}

#[test]
fn a_tls_cluster_replicates_and_refuses_plain_peers() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    write_certificates(&certs);
    let certs_arg = certs.display().to_string();
    let cluster = LocalCluster::start(
        env!("CARGO_BIN_EXE_kv_server"),
        &["--tls-dir", &certs_arg],
        3,
        &dir.path().join("nodes"),
    )
    .unwrap();
    let leader = cluster
        .leader(Duration::from_secs(10))
        .expect("a leader over TLS");
    let mut kv = cluster.client(leader);
    kv.put("secret", "1").unwrap();
    assert_eq!(kv.get("secret").unwrap().as_deref(), Some("1"));
    let term = cluster.status(leader).unwrap()["term"].as_u64();

    for node in cluster.nodes().values() {
        let mut plain = TcpStream::connect(node.args.raft).unwrap();
        let mut bytes = Vec::new();
        Hello {
            cluster_id: 1,
            node_id: if node.args.id == 1 { 2 } else { 1 },
        }
        .write_to(&mut bytes)
        .unwrap();
        let _ = plain.write_all(&bytes);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for id in cluster.nodes().keys() {
        loop {
            let status = cluster.status(*id).unwrap();
            if status["connections_refused"].as_u64() == Some(1) {
                assert_eq!(status["term"].as_u64(), term, "node {id}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node {id} did not refuse: {status}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    kv.put("secret", "2").unwrap();
}
