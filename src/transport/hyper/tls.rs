//! The rustls client configuration of a session: roots (the operating
//! system's, Mozilla's with the `webpki-roots` feature, and added ones),
//! a client identity, the minimum version, or no verification at all.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::transport::{HttpVersions, TlsConfig};
use crate::{Error, Result, TlsVersion};

/// A rustls client configuration for `tls`, offering HTTP/2 and HTTP/1.1 by ALPN.
pub(super) fn client_config(tls: &TlsConfig, http: HttpVersions) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match tls.min_version {
        Some(TlsVersion::V1_3) => &[&rustls::version::TLS13],
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(Error::builder)?;
    let builder = if tls.accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else {
        let added = added_roots(tls)?;
        let roots = Arc::new(roots(tls, &added)?);
        if roots.is_empty() {
            // Every handshake fails with an unknown issuer.
            builder.with_root_certificates(roots)
        } else {
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(Error::builder)?;
            let system = !tls.only_extra_roots;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(DirectTrust { webpki, added, system }))
        }
    };
    let mut config = match &tls.identity_pem {
        Some((chain, key)) => {
            let chain = certificates(chain)?;
            let key = PrivateKeyDer::from_pem_slice(key)
                .map_err(|e| Error::builder(format!("invalid client private key: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::builder(format!("invalid client certificate: {e}")))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = match http {
        HttpVersions::Negotiated => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        HttpVersions::Http1Only => vec![b"http/1.1".to_vec()],
        HttpVersions::Http2PriorKnowledge => vec![b"h2".to_vec()],
    };
    Ok(config)
}

/// The trusted roots: the built-in ones (unless turned off) and `added`.
fn roots(tls: &TlsConfig, added: &[CertificateDer<'static>]) -> Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    if !tls.only_extra_roots {
        roots.add_parsable_certificates(system_roots().iter().cloned());
        #[cfg(feature = "webpki-roots")]
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for certificate in added {
        roots
            .add(certificate.clone())
            .map_err(|e| Error::builder(format!("invalid root certificate: {e}")))?;
    }
    Ok(roots)
}

/// The certificates the session was given as roots.
fn added_roots(tls: &TlsConfig) -> Result<Vec<CertificateDer<'static>>> {
    let mut added = Vec::new();
    for pem in &tls.roots_pem {
        added.extend(certificates(pem)?);
    }
    Ok(added)
}

/// The operating system's trusted roots, read once per process: the files
/// named by `SSL_CERT_FILE` and `SSL_CERT_DIR` when set (as OpenSSL and
/// curl read them), else the system's store. Unreadable ones are skipped.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// webpki's verification, plus the rule curl and browsers apply to a
/// certificate trusted directly: when the server shows exactly one of the
/// trusted certificates (the session's or the system's), it passes if it
/// names the server and is valid now, even when it is marked as a CA (as
/// `openssl req -x509` makes them), which webpki refuses
/// (`CaUsedAsEndEntity`).
#[derive(Debug)]
struct DirectTrust {
    webpki: Arc<WebPkiServerVerifier>,
    /// The certificates the session was given as roots.
    added: Vec<CertificateDer<'static>>,
    /// Whether the system's roots are trusted too.
    system: bool,
}

impl DirectTrust {
    fn trusts_directly(&self, certificate: &CertificateDer<'_>) -> bool {
        let system: &[CertificateDer<'static>] = if self.system { system_roots() } else { &[] };
        self.added
            .iter()
            .chain(system)
            .any(|trusted| trusted.as_ref() == certificate.as_ref())
    }
}

impl ServerCertVerifier for DirectTrust {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        if verdict.is_err() && self.trusts_directly(end_entity) {
            return verify_directly_trusted(end_entity, server_name, now);
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, certificate, signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, certificate, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A directly trusted certificate still has to name the server and be
/// within its validity period.
fn verify_directly_trusted(
    certificate: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let end_entity = webpki::EndEntityCert::try_from(certificate).map_err(|_| CertificateError::BadEncoding)?;
    end_entity
        .verify_is_valid_for_subject_name(server_name)
        .map_err(|_| CertificateError::NotValidForName)?;
    let (_, parsed) =
        x509_parser::parse_x509_certificate(certificate.as_ref()).map_err(|_| CertificateError::BadEncoding)?;
    let validity = parsed.validity();
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now < validity.not_before.timestamp() {
        return Err(CertificateError::NotValidYet.into());
    }
    if now > validity.not_after.timestamp() {
        return Err(CertificateError::Expired.into());
    }
    Ok(ServerCertVerified::assertion())
}

/// Every certificate in a PEM document (at least one).
fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::builder(format!("invalid PEM certificate: {e}")))?;
    if certificates.is_empty() {
        return Err(Error::builder("no certificate in the PEM data"));
    }
    Ok(certificates)
}

/// `danger_accept_invalid_certs`: any certificate for any name passes; the
/// handshake signatures are still checked, so the peer holds the key of the
/// certificate it shows.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            certificate,
            signature,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            certificate,
            signature,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
