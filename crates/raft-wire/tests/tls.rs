//! Mutual TLS on loopback with certificates generated at test time: nodes
//! with CA-signed certificates naming them talk; a peer with no
//! certificate, one from another CA, or one naming another node delivers
//! nothing.

#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{PATIENCE, eventually};
use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use raft_core::{Message, RaftTransport, TimeoutNow};
use raft_wire::{Hello, TcpConfig, TcpInbox, TcpTransport, TlsIdentity, node_dns_name};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

/// A certificate authority that signs node certificates.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The identity of node `id` (its certificate names `name_id`),
    /// trusting `trusted`.
    fn identity(&self, name_id: u64, trusted: &Ca) -> Arc<TlsIdentity> {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec![node_dns_name(name_id)]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Arc::new(
            TlsIdentity::from_pem(
                trusted.pem.as_bytes(),
                cert.pem().as_bytes(),
                key.serialize_pem().as_bytes(),
            )
            .unwrap(),
        )
    }
}

fn message(term: u64, leader: u64) -> Message {
    Message::TimeoutNow(TimeoutNow { term, leader })
}

#[test]
fn nodes_with_certificates_naming_them_exchange_messages() {
    let ca = Ca::new();
    let config = TcpConfig::default();
    let inbox2 = TcpInbox::bind_tls(
        "127.0.0.1:0".parse().unwrap(),
        &config,
        [1],
        ca.identity(2, &ca),
    )
    .unwrap();
    let mut node1 =
        TcpTransport::new(1, [(2, inbox2.local_addr())], config).with_tls(ca.identity(1, &ca));
    node1.send(2, message(4, 1)).unwrap();
    assert_eq!(inbox2.recv_timeout(PATIENCE), Some(message(4, 1)));
    assert_eq!(inbox2.stats().authenticated, 1);
}

/// Something done to an inbox's address.
type Attack = Box<dyn FnOnce(std::net::SocketAddr)>;

/// An inbox of node 2 (trusting `ca`, admitting nodes 1 and 3), after
/// `attack` has run against its address.
fn inbox_after(ca: &Ca, attack: impl FnOnce(std::net::SocketAddr)) -> TcpInbox {
    let inbox = TcpInbox::bind_tls(
        "127.0.0.1:0".parse().unwrap(),
        &TcpConfig::default(),
        [1, 3],
        ca.identity(2, ca),
    )
    .unwrap();
    attack(inbox.local_addr());
    inbox
}

/// Sends as node 1 with `identity` for a while.
fn send_as_node_1(identity: Arc<TlsIdentity>) -> impl FnOnce(std::net::SocketAddr) {
    move |addr| {
        let config = TcpConfig {
            reconnect_backoff: Duration::from_millis(5),
            ..TcpConfig::default()
        };
        let mut node1 = TcpTransport::new(1, [(2, addr)], config).with_tls(identity);
        for term in 0..10 {
            node1.send(2, message(term, 1)).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn a_peer_without_a_valid_certificate_cannot_connect() {
    let ca = Ca::new();
    let rogue_ca = Ca::new();
    let attacks: Vec<(&str, Attack)> = vec![
        (
            "plain TCP with a good hello",
            Box::new(|addr| {
                let mut plain = TcpStream::connect(addr).unwrap();
                let mut bytes = Vec::new();
                Hello {
                    cluster_id: 0,
                    node_id: 1,
                }
                .write_to(&mut bytes)
                .unwrap();
                bytes.extend_from_slice(&[4, 0, 0, 0, 1, 9, 1, 1]);
                let _ = plain.write_all(&bytes);
            }),
        ),
        (
            // The rogue trusts our CA, so only the inbox's check stops it.
            "a certificate of an untrusted CA",
            Box::new(send_as_node_1(rogue_ca.identity(1, &ca))),
        ),
        (
            "a certificate of our CA naming node 3",
            Box::new(send_as_node_1(ca.identity(3, &ca))),
        ),
    ];
    for (what, attack) in attacks {
        let inbox = inbox_after(&ca, attack);
        eventually(what, || inbox.stats().refused_handshakes >= 1);
        assert_eq!(
            inbox.stats().authenticated,
            0,
            "{what}: {:?}",
            inbox.stats()
        );
        assert_eq!(inbox.try_recv(), None, "{what}");
    }
    // The same harness with a proper certificate does get through.
    let inbox = inbox_after(&ca, send_as_node_1(ca.identity(1, &ca)));
    assert_eq!(inbox.recv_timeout(PATIENCE), Some(message(0, 1)));
}
