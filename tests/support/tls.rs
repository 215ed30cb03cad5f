//! A real HTTPS server on 127.0.0.1 for tests: certificates made here with
//! rcgen (a CA, a server certificate for 127.0.0.1 and localhost, a client
//! certificate), rustls, and hyper serving HTTP/2 or HTTP/1.1 by ALPN.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
use tokio_rustls::rustls;

/// A certificate authority and what it signed.
pub struct Pki {
    pub ca_pem: String,
    pub server_chain_pem: String,
    pub server_key_pem: String,
    pub client_chain_pem: String,
    pub client_key_pem: String,
}

impl Pki {
    pub fn new() -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "unifetch test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("a CA key")).expect("the CA");

        let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).expect("server parameters");
        server_params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().expect("an IP")));
        let server_key = KeyPair::generate().expect("a server key");
        let server = server_params
            .signed_by(&server_key, &ca)
            .expect("the server certificate");

        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("client parameters");
        client_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "unifetch test client");
        let client_key = KeyPair::generate().expect("a client key");
        let client = client_params
            .signed_by(&client_key, &ca)
            .expect("the client certificate");

        Pki {
            ca_pem: ca.pem(),
            server_chain_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_chain_pem: client.pem(),
            client_key_pem: client_key.serialize_pem(),
        }
    }
}

impl Pki {
    /// A server certificate made by `openssl req -x509`, as users make
    /// them: self-signed, for `subject_alt_name` (e.g. `IP:127.0.0.1`),
    /// valid for a day, and marked as a CA (OpenSSL's default). It is its
    /// own "CA"; there is no client certificate.
    pub fn openssl_self_signed(subject_alt_name: &str) -> Pki {
        static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let scratch = super::openssl::Scratch::new(&format!("openssl-{made}"));
        let (cert, key) = scratch.self_signed("server", subject_alt_name);
        let (cert, key) = (
            std::fs::read_to_string(cert).expect("the certificate"),
            std::fs::read_to_string(key).expect("the key"),
        );
        Pki {
            ca_pem: cert.clone(),
            server_chain_pem: cert,
            server_key_pem: key,
            client_chain_pem: String::new(),
            client_key_pem: String::new(),
        }
    }
}

impl Pki {
    /// A self-signed server certificate for 127.0.0.1, marked as a CA
    /// like `openssl req -x509` ones, that expired in 2021.
    pub fn expired_self_signed() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().expect("an IP")));
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let key = KeyPair::generate().expect("a key");
        let cert = params.self_signed(&key).expect("the certificate").pem();
        Pki {
            ca_pem: cert.clone(),
            server_chain_pem: cert,
            server_key_pem: key.serialize_pem(),
            client_chain_pem: String::new(),
            client_key_pem: String::new(),
        }
    }
}

/// How the test server speaks TLS (default: TLS 1.2 and 1.3, no client
/// certificate asked for).
#[derive(Default)]
pub struct ServerOptions {
    pub require_client_certificate: bool,
    pub tls12_only: bool,
}

/// Serves the test site over HTTPS on 127.0.0.1:0; returns its address.
pub async fn serve(pki: &Pki, options: ServerOptions) -> SocketAddr {
    serve_counted(pki, options).await.0
}

/// The same, with the number of connections accepted so far.
pub async fn serve_counted(pki: &Pki, options: ServerOptions) -> (SocketAddr, Arc<AtomicUsize>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if options.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("TLS versions");
    let builder = if options.require_client_certificate {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(pem_certificates(&pki.ca_pem).remove(0))
            .expect("the CA as a root");
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .expect("a client verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    use rustls::pki_types::pem::PemObject;
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes()).expect("the key");
    let mut config = builder
        .with_single_cert(pem_certificates(&pki.server_chain_pem), key)
        .expect("the server certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = unifetch_native::site::router();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let app = app.layer(axum::Extension(axum::extract::ConnectInfo(peer)));
                let service = TowerToHyperService::new(app);
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, accepted)
}

fn pem_certificates(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("PEM certificates")
}
