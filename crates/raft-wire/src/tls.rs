//! Mutual TLS for the transport (feature `tls`): rustls with the `ring`
//! provider. Every node holds a certificate signed by the cluster's CA
//! whose subject alternative name is [`node_dns_name`] of its id, so a
//! certificate is bound to one node, as etcd binds its peers'.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use raft_core::NodeId;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection, StreamOwned,
};

/// The DNS name a node's certificate must carry (as a subject alternative
/// name) to speak as node `id`.
///
/// ```
/// assert_eq!(raft_wire::node_dns_name(3), "node-3.raft");
/// ```
pub fn node_dns_name(id: NodeId) -> String {
    format!("node-{id}.raft")
}

/// One node's TLS credentials: the cluster CA it trusts, and its own
/// certificate chain and key. Used both ways: the node presents its
/// certificate when it connects (client) and when it accepts (server), and
/// requires a CA-signed certificate of the right node from the other side.
///
/// Hand it to [`TcpTransport::with_tls`](crate::TcpTransport::with_tls)
/// and [`TcpInbox::bind_tls`](crate::TcpInbox::bind_tls).
pub struct TlsIdentity {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_string())
}

impl TlsIdentity {
    /// Credentials from PEM text: the CA certificate(s) to trust, this
    /// node's certificate chain (leaf first), and its private key.
    ///
    /// # Errors
    ///
    /// `InvalidInput` naming what was wrong: PEM that does not parse, no
    /// certificate, a key that does not match, or a CA rustls refuses.
    pub fn from_pem(ca_pem: &[u8], cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Self> {
        let parse_certs = |pem: &[u8], what: &str| -> io::Result<Vec<CertificateDer<'static>>> {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(format_args!("{what}: {e}")))?;
            if certs.is_empty() {
                return Err(invalid(format_args!("{what}: no certificate in the PEM")));
            }
            Ok(certs)
        };
        let cas = parse_certs(ca_pem, "CA certificate")?;
        let chain = parse_certs(cert_pem, "node certificate")?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| invalid(format_args!("node key: {e}")))?;
        Self::new(cas, chain, key)
    }

    /// [`from_pem`](Self::from_pem) reading the three files.
    ///
    /// # Errors
    ///
    /// Any error reading a file (naming it), then as `from_pem`.
    pub fn from_pem_files(ca: &Path, cert: &Path, key: &Path) -> io::Result<Self> {
        let read = |path: &Path| {
            std::fs::read(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        };
        Self::from_pem(&read(ca)?, &read(cert)?, &read(key)?)
    }

    fn new(
        cas: Vec<CertificateDer<'static>>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> io::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for ca in cas {
            roots
                .add(ca)
                .map_err(|e| invalid(format_args!("CA certificate: {e}")))?;
        }
        let roots = Arc::new(roots);
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::clone(&roots), Arc::clone(&provider))
                .build()
                .map_err(|e| invalid(format_args!("client verifier: {e}")))?;
        let mut server = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(|e| invalid(format_args!("node certificate and key: {e}")))?;
        // Connections are one-way (the client only writes), so the client
        // would never read session tickets: do not send any.
        server.send_tls13_tickets = 0;
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| invalid(format_args!("node certificate and key: {e}")))?;
        Ok(Self {
            client: Arc::new(client),
            server: Arc::new(server),
        })
    }

    /// Runs the server side of the handshake on an accepted socket; returns
    /// the plaintext reader and the client's verified leaf certificate.
    pub(crate) fn accept(
        &self,
        socket: TcpStream,
    ) -> io::Result<(Box<dyn Read + Send>, CertificateDer<'static>)> {
        let conn = ServerConnection::new(Arc::clone(&self.server)).map_err(io::Error::other)?;
        let mut tls = StreamOwned::new(conn, socket);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        let certificate = tls
            .conn
            .peer_certificates()
            .and_then(|certs| certs.first())
            .map(|cert| cert.clone().into_owned())
            .ok_or_else(|| invalid("the peer sent no certificate"))?;
        Ok((Box::new(tls), certificate))
    }

    /// Runs the client side of the handshake to `peer`, whose certificate
    /// must name it.
    pub(crate) fn connect(
        &self,
        socket: TcpStream,
        peer: NodeId,
    ) -> io::Result<Box<dyn Write + Send>> {
        let name = ServerName::try_from(node_dns_name(peer)).map_err(invalid)?;
        let conn =
            ClientConnection::new(Arc::clone(&self.client), name).map_err(io::Error::other)?;
        let mut tls = StreamOwned::new(conn, socket);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        Ok(Box::new(tls))
    }
}

/// Whether `certificate` (already verified against the CA) names `node`.
pub(crate) fn certificate_names_node(certificate: &CertificateDer<'_>, node: NodeId) -> bool {
    let Ok(cert) = webpki::EndEntityCert::try_from(certificate) else {
        return false;
    };
    let Ok(name) = ServerName::try_from(node_dns_name(node)) else {
        return false;
    };
    cert.verify_is_valid_for_subject_name(&name).is_ok()
}
