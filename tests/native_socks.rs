//! SOCKS5 proxies against real ones from Debian: microsocks (user/password,
//! and a log naming each destination as the client sent it) and dante (a
//! rule set that refuses). Every failure is a typed error of the proxy phase.
#![cfg(not(target_family = "wasm"))]

mod support;

use support::socks::{DanteBlockingAll, Microsocks, PASSWORD};
use support::tls::{serve, Pki, ServerOptions};
use unifetch::{Error, Phase, Proxy, Retry, Session};

fn through(proxy: &str) -> Session {
    Session::builder()
        .proxy(Proxy::all(proxy).unwrap())
        .retry(Retry::none())
        .build()
        .unwrap()
}

/// The port of the site that answers on `localhost` over either family
/// (so the proxy's own resolution of `localhost` cannot miss it).
fn site_port() -> &'static str {
    support::site_on_localhost().rsplit(':').next().unwrap()
}

/// Asserts a failure of the proxy phase whose message chain says `what`.
fn assert_proxy_error(error: &Error, what: &str) {
    assert_eq!(error.phase(), Some(Phase::Proxy), "{error:#}");
    assert!(error.is_connect(), "{error:#}");
    let chain = format!("{error:#}");
    assert!(chain.contains(what), "{chain:?} does not say {what:?}");
}

#[tokio::test]
async fn socks5h_leaves_the_name_to_the_proxy() {
    let proxy = Microsocks::start();
    let session = through(&proxy.url("socks5h", PASSWORD));
    let url = format!("http://localhost:{}/get?via=socks5h", site_port());
    let echo: serde_json::Value = session.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(echo["args"]["via"], "socks5h");
    let headers = echo["headers"].as_object().unwrap();
    assert!(
        headers
            .keys()
            .all(|name| !name.eq_ignore_ascii_case("proxy-authorization")),
        "SOCKS credentials never go in a header: {headers:?}"
    );
    let log = proxy.log();
    assert!(
        log.contains(&format!("connected to localhost:{}", site_port())),
        "{log}"
    );
}

#[tokio::test]
async fn socks5_resolves_the_name_here() {
    let proxy = Microsocks::start();
    let session = through(&proxy.url("socks5", PASSWORD));
    let url = format!("http://localhost:{}/get", site_port());
    assert_eq!(session.get(&url).send().await.unwrap().status(), 200);
    let log = proxy.log();
    assert!(
        log.contains(&format!("connected to 127.0.0.1:{}", site_port())),
        "{log}"
    );
    assert!(
        !log.contains("connected to localhost"),
        "the name leaked to the proxy: {log}"
    );
}

#[tokio::test]
async fn socks5_tries_each_address_until_the_proxy_reaches_one() {
    let proxy = Microsocks::start();
    let refused = format!("[::1]:{}", support::closed_port()).parse().unwrap();
    let site = format!("127.0.0.1:{}", site_port()).parse().unwrap();
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url("socks5", PASSWORD)).unwrap())
        .resolve_to_addrs("dual.test", &[refused, site])
        .retry(Retry::none())
        .build()
        .unwrap();
    let response = session.get("http://dual.test/get").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let log = proxy.log();
    assert!(
        log.contains(&format!("connected to 127.0.0.1:{}", site_port())),
        "{log}"
    );
}

#[tokio::test]
async fn https_goes_through_socks_with_tls_end_to_end() {
    let proxy = Microsocks::start();
    let pki = Pki::new();
    let addr = serve(&pki, ServerOptions::default()).await;
    let session = Session::builder()
        .proxy(Proxy::https(proxy.url("socks5h", PASSWORD)).unwrap())
        .tls_root_certificates(pki.ca_pem.clone())
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/get", addr.port());
    assert_eq!(session.get(&url).send().await.unwrap().status(), 200);
    assert!(proxy.log().contains(&format!("connected to localhost:{}", addr.port())));
}

#[tokio::test]
async fn rejected_credentials_are_a_proxy_error() {
    let proxy = Microsocks::start();
    let session = through(&proxy.url("socks5h", "wrong"));
    let error = session.get(support::site_url()).send().await.unwrap_err();
    assert_proxy_error(&error, "credentials not accepted");
    assert!(
        !format!("{error:#} {error:?}").contains("wrong"),
        "the password leaked: {error:?}"
    );
}

#[tokio::test]
async fn a_destination_the_proxy_cannot_reach_is_its_reply_error() {
    let proxy = Microsocks::start();
    let session = through(&proxy.url("socks5h", PASSWORD));
    let closed = format!("http://127.0.0.1:{}/", support::closed_port());
    let error = session.get(closed).send().await.unwrap_err();
    assert_proxy_error(&error, "connection refused");
}

#[tokio::test]
async fn a_rule_set_that_refuses_is_its_reply_error() {
    let proxy = DanteBlockingAll::start();
    let error = through(&proxy.url()).get(support::site_url()).send().await.unwrap_err();
    assert_proxy_error(&error, "connection not allowed");
}

#[tokio::test]
async fn a_proxy_that_is_not_there_is_a_proxy_error() {
    let proxy = format!("socks5://127.0.0.1:{}", support::closed_port());
    let error = through(&proxy).get(support::site_url()).send().await.unwrap_err();
    assert_proxy_error(&error, "connecting to the proxy socks5://127.0.0.1");
    assert!(
        error.causes().any(|cause| cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)),
        "{error:#}"
    );
}
