//! HTTPS on the control listener: `[control] tls_cert` / `tls_key`.
//!
//! rustls with the *ring* provider (no OpenSSL). The certificate chain and key are read once at
//! start-up; any problem with them stops the server with one line naming the file. Handshakes run
//! in their own tasks (bounded in number and time), so a client that connects and says nothing
//! cannot hold up the others; only finished handshakes reach axum through [`TlsListener`].

use crate::error::ControlStartError;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Longest a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes in progress at once; further connections wait in the kernel's accept queue.
const MAX_HANDSHAKES: usize = 64;

/// Finished handshakes waiting for axum to pick them up.
const READY_QUEUE: usize = 64;

/// Builds the server configuration from the PEM certificate chain `cert` (leaf first) and the
/// PEM private key `key` (PKCS#8, PKCS#1 or SEC1). Every error names the file at fault.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, ControlStartError> {
    let cert_pem = std::fs::read(cert).map_err(|source| ControlStartError::TlsRead {
        what: "certificate",
        path: cert.to_path_buf(),
        source,
    })?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ControlStartError::Tls(format!(
                "the control TLS certificate {} is not valid PEM: {e}",
                cert.display()
            ))
        })?;
    if chain.is_empty() {
        return Err(ControlStartError::Tls(format!(
            "the control TLS certificate {} holds no PEM CERTIFICATE block",
            cert.display()
        )));
    }
    let key_pem = std::fs::read(key).map_err(|source| ControlStartError::TlsRead {
        what: "key",
        path: key.to_path_buf(),
        source,
    })?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        ControlStartError::Tls(format!(
            "the control TLS key {} holds no usable PEM private key (PKCS#8, RSA or EC): {e}",
            key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            ControlStartError::Tls(format!("the TLS provider offers no protocol version: {e}"))
        })?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            ControlStartError::Tls(format!(
                "the control TLS key {} cannot be used with the certificate {}: {e}",
                key.display(),
                cert.display()
            ))
        })?;
    // axum is built with HTTP/1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener that hands axum only connections whose TLS handshake has completed.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp`, handshaking with `config`. Must be called inside the runtime.
    pub fn spawn(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(TlsListener { ready, local })
    }
}

/// Accepts TCP connections and handshakes each in its own task until the listener is dropped.
async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = tokio::select! {
            accepted = tcp.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait instead of spinning.
                    tracing::warn!("control API accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = tx.closed() => return,
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, "control API TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "control API TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop only ends when this receiver is gone, so this is never reached;
            // wait forever rather than fail the server.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let err = crate::error::chain(&server_config(&cert, &key).expect_err("missing"));
        assert!(err.contains("cert.pem"), "{err}");
        std::fs::write(&cert, "not pem\n").expect("write");
        let err = crate::error::chain(&server_config(&cert, &key).expect_err("no cert"));
        assert!(
            err.contains("cert.pem") && err.contains("no PEM CERTIFICATE"),
            "{err}"
        );
        let a = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("cert a");
        let b = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("cert b");
        std::fs::write(&cert, a.cert.pem()).expect("write");
        let err = crate::error::chain(&server_config(&cert, &key).expect_err("no key"));
        assert!(err.contains("key.pem"), "{err}");
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .expect("write");
        let err = crate::error::chain(&server_config(&cert, &key).expect_err("bad key"));
        assert!(err.contains("key.pem"), "{err}");
        std::fs::write(&key, b.signing_key.serialize_pem()).expect("write");
        let err = crate::error::chain(&server_config(&cert, &key).expect_err("mismatch"));
        assert!(err.contains("key.pem") && err.contains("cert.pem"), "{err}");
        std::fs::write(&key, a.signing_key.serialize_pem()).expect("write");
        server_config(&cert, &key).expect("matching pair");
    }
}
