//! TLS against a real HTTPS server on 127.0.0.1 with certificates made by
//! the test: verification on by default, a custom root, the explicit
//! opt-out, client certificates, a minimum version, HTTP/2 by ALPN.
#![cfg(not(target_family = "wasm"))]

mod support;

use std::net::SocketAddr;

use support::tls::{serve, Pki, ServerOptions};
use unifetch::{Phase, Retry, Session, TlsVersion, Version};

fn builder() -> unifetch::SessionBuilder {
    Session::builder().retry(Retry::none())
}

/// A session that trusts the test's certificate authority.
fn trusting(pki: &Pki) -> unifetch::SessionBuilder {
    builder().tls_root_certificates(pki.ca_pem.clone())
}

/// `GET https://{addr}/get`.
async fn get(session: &Session, addr: SocketAddr) -> unifetch::Result<unifetch::Response> {
    session.get(format!("https://{addr}/get")).send().await
}

#[tokio::test]
async fn an_unknown_authority_is_refused_with_a_tls_error() {
    let pki = Pki::new();
    let addr = serve(&pki, ServerOptions::default()).await;
    let err = builder()
        .build()
        .unwrap()
        .get(format!("https://{addr}/get"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
    assert_eq!(err.phase(), Some(Phase::Tls), "{err}");
    let chain = format!("{:?}", std::error::Error::source(&err));
    assert!(chain.contains("UnknownIssuer"), "the cause says why: {chain}");
}

#[tokio::test]
async fn a_custom_root_is_trusted_and_http2_is_negotiated() {
    let pki = Pki::new();
    let addr = serve(&pki, ServerOptions::default()).await;
    let session = trusting(&pki).build().unwrap();
    for host in [format!("https://{addr}"), format!("https://localhost:{}", addr.port())] {
        let response = session.get(format!("{host}/get")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), Version::HTTP_2, "ALPN picks h2 on {host}");
    }
}

#[tokio::test]
async fn the_http_version_can_be_chosen() {
    let pki = Pki::new();
    let addr = serve(&pki, ServerOptions::default()).await;
    let url = format!("https://{addr}/get");
    let http1 = trusting(&pki).http1_only().build().unwrap();
    assert_eq!(http1.get(&url).send().await.unwrap().version(), Version::HTTP_11);
    let http2 = trusting(&pki).http2_prior_knowledge().build().unwrap();
    assert_eq!(http2.get(&url).send().await.unwrap().version(), Version::HTTP_2);
    // In the clear: h2c with prior knowledge to the test site (hyper's
    // server speaks both), HTTP/1.1 otherwise.
    let site = format!("{}/get", support::site_url());
    let h2c = Session::builder().http2_prior_knowledge().build().unwrap();
    assert_eq!(h2c.get(&site).send().await.unwrap().version(), Version::HTTP_2);
    assert_eq!(
        Session::new().get(&site).send().await.unwrap().version(),
        Version::HTTP_11
    );
}

#[tokio::test]
async fn only_the_given_roots_when_built_in_ones_are_off() {
    let pki = Pki::new();
    let addr = serve(&pki, ServerOptions::default()).await;
    let session = builder()
        .tls_built_in_roots(false)
        .tls_root_certificates(pki.ca_pem.clone())
        .build()
        .unwrap();
    assert_eq!(get(&session, addr).await.unwrap().status(), 200);
    let bad_pem = builder().tls_root_certificates("not a certificate").build();
    assert!(matches!(bad_pem, Err(e) if e.is_builder()));
}

#[tokio::test]
async fn the_explicit_opt_out_accepts_any_certificate() {
    let pki = Pki::new();
    let addr = serve(&pki, ServerOptions::default()).await;
    let session = builder().danger_accept_invalid_certs(true).build().unwrap();
    let response = get(&session, addr).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_required() {
    let pki = Pki::new();
    let addr = serve(
        &pki,
        ServerOptions {
            require_client_certificate: true,
            tls12_only: false,
        },
    )
    .await;
    let anonymous = trusting(&pki).build().unwrap();
    let err = get(&anonymous, addr).await.unwrap_err();
    assert!(
        err.is_connect() || err.is_request(),
        "refused without a certificate: {err}"
    );
    let identified = builder()
        .tls_root_certificates(pki.ca_pem.clone())
        .tls_client_identity(pki.client_chain_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap();
    assert_eq!(get(&identified, addr).await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_minimum_version_refuses_older_servers() {
    let pki = Pki::new();
    let addr = serve(
        &pki,
        ServerOptions {
            require_client_certificate: false,
            tls12_only: true,
        },
    )
    .await;
    let default = trusting(&pki).build().unwrap();
    assert_eq!(get(&default, addr).await.unwrap().status(), 200);
    let strict = builder()
        .tls_root_certificates(pki.ca_pem.clone())
        .tls_min_version(TlsVersion::V1_3)
        .build()
        .unwrap();
    let err = get(&strict, addr).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Tls), "{err}");
}

#[tokio::test]
async fn a_self_signed_certificate_trusted_directly_passes_for_its_own_names() {
    // `openssl req -x509` marks the certificate as a CA, which webpki
    // refuses as a server's (`CaUsedAsEndEntity`); curl accepts it.
    let pki = Pki::openssl_self_signed("IP:127.0.0.1");
    let addr = serve(&pki, ServerOptions::default()).await;
    let session = trusting(&pki).build().unwrap();
    let response = get(&session, addr).await.expect("trusted directly");
    assert_eq!(response.status(), 200);

    // Still checked: the name (a certificate for another address is refused).
    let other = Pki::openssl_self_signed("IP:127.0.0.2");
    let addr = serve(&other, ServerOptions::default()).await;
    let err = get(&trusting(&other).build().unwrap(), addr).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Tls), "{err}");
    assert!(format!("{err:#}").contains("NotValidForName"), "{err:#}");

    // And its validity: an expired one is refused, trusted or not.
    let expired = Pki::expired_self_signed();
    let expired_addr = serve(&expired, ServerOptions::default()).await;
    let err = get(&trusting(&expired).build().unwrap(), expired_addr)
        .await
        .unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Tls), "{err}");
    assert!(format!("{err:#}").contains("Expired"), "{err:#}");

    // Not trusting it at all is an unknown issuer, as before.
    let err = get(&builder().build().unwrap(), addr).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Tls), "{err}");
}
