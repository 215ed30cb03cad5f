//! `trust_env`: proxies from `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`,
//! checked against real proxies (tinyproxy, microsocks). One test in its
//! own binary, because it sets the process's environment before anything
//! else runs.
#![cfg(not(target_family = "wasm"))]

mod support;

use support::socks::{Microsocks, PASSWORD};
use support::tinyproxy::Tinyproxy;
use support::tls::{serve, Pki, ServerOptions};
use unifetch::Session;

#[tokio::test]
async fn trust_env_reads_http_proxy_and_no_proxy() {
    let proxy = Tinyproxy::start();
    let socks = Microsocks::start();
    // Set before any other thread could read the environment.
    std::env::set_var("HTTP_PROXY", proxy.url());
    std::env::set_var("ALL_PROXY", socks.url("socks5h", PASSWORD));
    std::env::set_var("NO_PROXY", "localhost");
    let site = support::site_url();
    let port = site.rsplit(':').next().unwrap();
    let key = format!("env-{}", std::process::id());

    let ignoring = Session::new();
    assert_eq!(
        ignoring
            .get(format!("{site}/get?mark={key}-off"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let trusting = Session::builder().trust_env(true).build().unwrap();
    let via = format!("{site}/get?mark={key}-via");
    assert_eq!(trusting.get(&via).send().await.unwrap().status(), 200);
    let direct = format!("http://localhost:{port}/get?mark={key}-direct");
    assert_eq!(trusting.get(&direct).send().await.unwrap().status(), 200);

    let log = proxy.log();
    assert!(
        !log.contains(&format!("{key}-off")),
        "trust_env is off by default:\n{log}"
    );
    assert!(
        log.contains(&format!("GET {via} HTTP/1.1")),
        "HTTP_PROXY was not used:\n{log}"
    );
    assert!(
        !log.contains(&format!("{key}-direct")),
        "NO_PROXY was not honoured:\n{log}"
    );

    // HTTPS has no HTTPS_PROXY here, so it takes ALL_PROXY's SOCKS proxy.
    let pki = Pki::new();
    let tls_site = serve(&pki, ServerOptions::default()).await;
    let trusting_tls = Session::builder()
        .trust_env(true)
        .tls_root_certificates(pki.ca_pem.clone())
        .build()
        .unwrap();
    let secure = format!("https://{tls_site}/get");
    assert_eq!(trusting_tls.get(&secure).send().await.unwrap().status(), 200);
    let socks_log = socks.log();
    assert!(
        socks_log.contains(&format!("connected to {tls_site}")),
        "ALL_PROXY was not used:\n{socks_log}"
    );
}
