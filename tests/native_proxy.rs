//! HTTP and HTTPS proxies against real ones: Debian's tinyproxy on
//! 127.0.0.1, behind Debian's stunnel for the HTTPS proxy, and Squid where
//! a 407 is needed. tinyproxy's own
//! log shows which requests went through it.
#![cfg(not(target_family = "wasm"))]

mod support;

use support::squid::Squid;
use support::stunnel::HttpsProxy;
use support::tinyproxy::Tinyproxy;
use support::tls::{serve, Pki, ServerOptions};
use unifetch::{Phase, Proxy, Retry, Session};

fn key(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

#[tokio::test]
async fn plain_http_goes_through_the_proxy_with_credentials() {
    let proxy = Tinyproxy::start();
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url()).unwrap())
        .build()
        .unwrap();
    let key = key("proxied");
    let url = format!("{}/get?mark={key}", support::site_url());
    let echo: serde_json::Value = session.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(echo["args"]["mark"], key.as_str());
    assert!(
        proxy.log().contains(&format!("GET {url} HTTP/1.1")),
        "not in the proxy's log:\n{}",
        proxy.log()
    );
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_the_proxy() {
    let proxy = Tinyproxy::start();
    let url = format!("http://ann:wrong@127.0.0.1:{}", proxy.port);
    let session = Session::builder().proxy(Proxy::all(url).unwrap()).build().unwrap();
    let response = session
        .get(format!("{}/get", support::site_url()))
        .send()
        .await
        .unwrap();
    // tinyproxy 1.11 answers 401 where RFC 9110 says 407.
    assert!(
        [401, 407].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );
    let body = response.text().await.unwrap();
    assert!(!body.contains("\"origin\""), "the request reached the site: {body}");
}

#[tokio::test]
async fn https_is_tunnelled_with_connect() {
    let proxy = Tinyproxy::start();
    let pki = Pki::new();
    let addr = serve(&pki, ServerOptions::default()).await;
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url()).unwrap())
        .tls_root_certificates(pki.ca_pem.clone())
        .build()
        .unwrap();
    let response = session.get(format!("https://{addr}/get")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        proxy.log().contains(&format!("CONNECT {addr} HTTP/1.1")),
        "no tunnel in the log:\n{}",
        proxy.log()
    );
}

#[tokio::test]
async fn no_proxy_hosts_skip_the_proxy() {
    let proxy = Tinyproxy::start();
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url()).unwrap().no_proxy("localhost"))
        .build()
        .unwrap();
    let port = support::site_url().rsplit(':').next().unwrap().to_owned();
    let direct_key = key("direct");
    let direct = format!("http://localhost:{port}/get?mark={direct_key}");
    assert_eq!(session.get(&direct).send().await.unwrap().status(), 200);
    let proxied_key = key("via");
    let proxied = format!("http://127.0.0.1:{port}/get?mark={proxied_key}");
    assert_eq!(session.get(&proxied).send().await.unwrap().status(), 200);
    let log = proxy.log();
    assert!(
        !log.contains(&direct_key),
        "a NO_PROXY host went through the proxy:\n{log}"
    );
    assert!(log.contains(&proxied_key), "the other host did not:\n{log}");
}

#[tokio::test]
async fn a_request_can_use_its_own_proxy() {
    let proxy = Tinyproxy::start();
    let session = Session::builder().retry(Retry::none()).build().unwrap();
    let key = key("own");
    let url = format!("{}/get?mark={key}", support::site_url());
    let direct = session.get(format!("{url}-direct")).send().await.unwrap();
    assert_eq!(direct.status(), 200);
    let via = session
        .get(&url)
        .proxy(Proxy::http(proxy.url()).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(via.status(), 200);
    let log = proxy.log();
    assert!(log.contains(&format!("GET {url} HTTP/1.1")), "{log}");
    assert!(
        !log.contains(&format!("{key}-direct")),
        "the session's own requests stay direct:\n{log}"
    );
}

#[test]
fn proxy_urls_name_a_supported_scheme() {
    for url in ["http://p:3128", "https://p", "socks5://p:1080", "socks5h://u:pw@p"] {
        assert!(Proxy::all(url).is_ok(), "{url}");
    }
    for url in ["socks4://127.0.0.1:1080", "ftp://p", "not a url"] {
        let error = Proxy::all(url).unwrap_err();
        assert!(error.is_builder(), "{url}: {error:#}");
    }
}

#[tokio::test]
async fn an_https_proxy_carries_plain_http_over_tls() {
    let pki = Pki::new();
    let proxy = HttpsProxy::start(&pki);
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url()).unwrap())
        .tls_root_certificates(pki.ca_pem.clone())
        .build()
        .unwrap();
    let key = key("over-tls");
    let url = format!("{}/get?mark={key}", support::site_url());
    assert_eq!(session.get(&url).send().await.unwrap().status(), 200);
    let log = proxy.tinyproxy.log();
    assert!(log.contains(&format!("GET {url} HTTP/1.1")), "{log}");
}

#[tokio::test]
async fn an_https_proxy_tunnels_https_tls_inside_tls() {
    let pki = Pki::new();
    let proxy = HttpsProxy::start(&pki);
    let addr = serve(&pki, ServerOptions::default()).await;
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url()).unwrap())
        .tls_root_certificates(pki.ca_pem.clone())
        .build()
        .unwrap();
    let response = session.get(format!("https://{addr}/get")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let log = proxy.tinyproxy.log();
    assert!(log.contains(&format!("CONNECT {addr} HTTP/1.1")), "{log}");
}

#[tokio::test]
async fn an_https_proxy_with_an_untrusted_certificate_fails_in_the_proxy_phase() {
    let proxy = HttpsProxy::start(&Pki::new());
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url()).unwrap())
        .retry(Retry::none())
        .build()
        .unwrap();
    let error = session.get(support::site_url()).send().await.unwrap_err();
    assert_eq!(error.phase(), Some(Phase::Proxy), "{error:#}");
    let chain = format!("{error:#}");
    assert!(
        chain.contains("connecting to the proxy https://localhost") && chain.contains("UnknownIssuer"),
        "{chain}"
    );
    assert!(proxy.tinyproxy.log().lines().all(|line| !line.contains("GET ")));
}

#[tokio::test]
async fn a_407_to_the_tunnel_says_the_proxy_wants_credentials() {
    let proxy = Squid::start();
    let session = Session::builder()
        .proxy(Proxy::all(proxy.url("wrong")).unwrap())
        .retry(Retry::none())
        .build()
        .unwrap();
    let error = session.get("https://127.0.0.1:9/").send().await.unwrap_err();
    assert_eq!(error.phase(), Some(Phase::Proxy), "{error:#}");
    assert!(
        format!("{error:#}").contains("proxy authorization required"),
        "{error:#}"
    );
    // Plain HTTP gets the proxy's 407 as its response, as from any server.
    let plain = session.get(support::site_url()).send().await.unwrap();
    assert_eq!(plain.status(), 407);
    let right = Session::builder()
        .proxy(Proxy::all(proxy.url(support::squid::PASSWORD)).unwrap())
        .build()
        .unwrap();
    assert_eq!(right.get(support::site_url()).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_refused_tunnel_is_a_proxy_error() {
    let proxy = Tinyproxy::start();
    let url = format!("http://ann:wrong@127.0.0.1:{}", proxy.port);
    let session = Session::builder()
        .proxy(Proxy::all(url).unwrap())
        .retry(Retry::none())
        .build()
        .unwrap();
    let error = session.get("https://127.0.0.1:9/").send().await.unwrap_err();
    assert_eq!(error.phase(), Some(Phase::Proxy), "{error:#}");
    assert!(error.is_connect());
    assert!(
        format!("{error:#}").contains(&format!(
            "CONNECT tunnel through the proxy http://127.0.0.1:{}",
            proxy.port
        )),
        "{error:#}"
    );
    assert!(!format!("{error:#} {error:?}").contains("wrong"), "{error:?}");
}
