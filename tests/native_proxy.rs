//! Proxies against a real one: Debian's tinyproxy on 127.0.0.1. Its own
//! log shows which requests went through it.
#![cfg(not(target_family = "wasm"))]

mod support;

use support::tinyproxy::Tinyproxy;
use support::tls::{serve, Pki, ServerOptions};
use unifetch::{Proxy, Retry, Session};

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
    let addr = serve(
        &pki,
        ServerOptions {
            require_client_certificate: false,
            tls12_only: false,
        },
    )
    .await;
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
fn only_http_proxy_urls_are_accepted() {
    assert!(Proxy::all("socks5://127.0.0.1:1080").unwrap_err().is_builder());
    assert!(Proxy::all("not a url").unwrap_err().is_builder());
}
