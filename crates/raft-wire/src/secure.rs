//! How a connection is secured: plain TCP, or (feature `tls`) mutual TLS
//! where each node's certificate names it. The transport and the inbox ask
//! this one place to wrap their sockets, so neither knows which it is.

use std::io::{self, Read, Write};
use std::net::TcpStream;
#[cfg(feature = "tls")]
use std::sync::Arc;

use raft_core::NodeId;

/// The way connections are opened and accepted.
#[derive(Clone, Debug, Default)]
pub(crate) enum Security {
    /// Bytes go over the socket as they are; the hello is the only check.
    #[default]
    Plain,
    /// Mutual TLS; the peer's certificate must name the node its hello
    /// claims to be.
    #[cfg(feature = "tls")]
    Tls(Arc<crate::tls::TlsIdentity>),
}

/// An accepted connection, ready to read the hello from.
pub(crate) struct Inbound {
    /// Reads the plain bytes the peer sent.
    pub(crate) reader: Box<dyn Read + Send>,
    /// What the connection proved about itself.
    pub(crate) credentials: Credentials,
}

/// The peer's verified certificate (TLS only), to match against the node
/// its hello claims to be.
#[derive(Default)]
pub(crate) struct Credentials {
    #[cfg(feature = "tls")]
    certificate: Option<rustls::pki_types::CertificateDer<'static>>,
}

impl Security {
    /// Wraps an accepted socket. With TLS this runs the whole handshake
    /// (bounded by the socket's read timeout) and verifies the client's
    /// certificate against the cluster's CA.
    pub(crate) fn accept(&self, stream: &TcpStream) -> io::Result<Inbound> {
        let socket = stream.try_clone()?;
        match self {
            Security::Plain => Ok(Inbound {
                reader: Box::new(socket),
                credentials: Credentials::default(),
            }),
            #[cfg(feature = "tls")]
            Security::Tls(identity) => {
                let (reader, certificate) = identity.accept(socket)?;
                Ok(Inbound {
                    reader,
                    credentials: Credentials {
                        certificate: Some(certificate),
                    },
                })
            }
        }
    }

    /// Wraps a connected socket to `peer`. With TLS the server must present
    /// a certificate naming `peer`; the handshake runs on the first write.
    pub(crate) fn connect(
        &self,
        stream: TcpStream,
        peer: NodeId,
    ) -> io::Result<Box<dyn Write + Send>> {
        match self {
            Security::Plain => {
                let _ = peer;
                Ok(Box::new(stream))
            }
            #[cfg(feature = "tls")]
            Security::Tls(identity) => identity.connect(stream, peer),
        }
    }
}

impl Credentials {
    /// Whether the connection may speak for `node`: always over plain TCP,
    /// only with a certificate naming `node` over TLS.
    pub(crate) fn certifies(&self, node: NodeId) -> bool {
        #[cfg(feature = "tls")]
        if let Some(certificate) = &self.certificate {
            return crate::tls::certificate_names_node(certificate, node);
        }
        let _ = node;
        true
    }
}
