//! The connect-side timeouts, which only the native transport can see:
//! `sock_connect` (one socket), `connect` (waiting for a slot plus
//! connecting), and `total` naming the connect phase it interrupted.
#![cfg(not(target_family = "wasm"))]

mod support;

use std::time::Duration;

use futures::StreamExt;
use support::SaturatedListener;
use unifetch::{Phase, Retry, Session, Timeout, TimeoutKind};

fn timeout(f: impl FnOnce(&mut Timeout)) -> Timeout {
    let mut timeout = Timeout::NONE;
    f(&mut timeout);
    timeout
}

#[tokio::test]
async fn sock_connect_bounds_a_connection_that_never_completes() {
    let listener = SaturatedListener::new();
    let session = Session::builder()
        .timeout(timeout(|t| t.sock_connect = Some(Duration::from_millis(500))))
        .build()
        .unwrap();
    let err = session.get(listener.url()).send().await.unwrap_err();
    assert!(err.is_timeout() && err.is_connect(), "{err}");
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::SockConnect));
    assert_eq!(err.phase(), Some(Phase::Connect));
    assert!(
        err.to_string()
            .starts_with("timeout: sock_connect (500ms) elapsed during connect"),
        "{err}"
    );
}

#[tokio::test]
async fn connect_bounds_connecting() {
    let listener = SaturatedListener::new();
    let session = Session::builder()
        .timeout(timeout(|t| t.connect = Some(Duration::from_millis(500))))
        .build()
        .unwrap();
    let err = session.get(listener.url()).send().await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Connect), "{err}");
    assert!(err.is_connect());
}

#[tokio::test]
async fn connect_includes_the_wait_for_a_free_slot() {
    let site = support::site_url();
    // No retries: a retry would wait for the slot again, and win.
    let session = Session::builder()
        .base_url(site)
        .unwrap()
        .limit(1)
        .retry(Retry::none())
        .build()
        .unwrap();
    let slow = tokio::spawn({
        let session = session.clone();
        async move { session.get("/delay/2").send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = session
        .get("/get")
        .timeout(timeout(|t| t.connect = Some(Duration::from_millis(500))))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Connect), "{err}");
    assert_eq!(err.phase(), Some(Phase::Pool), "{err}");
    assert!(slow.await.unwrap().unwrap().is_success());
}

#[tokio::test]
async fn total_names_the_connect_phase_it_interrupted() {
    let listener = SaturatedListener::new();
    let session = Session::builder()
        .timeout(Timeout::total(Duration::from_millis(500)))
        .build()
        .unwrap();
    let err = session.get(listener.url()).send().await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(TimeoutKind::Total), "{err}");
    assert_eq!(err.phase(), Some(Phase::Connect), "{err}");
    assert!(err.is_connect(), "a timeout while connecting is a connect error: {err}");
}

#[tokio::test]
async fn sock_read_waits_for_a_slow_upload_to_finish() {
    // The upload takes ~1.2 s in 4 pieces; sock_read (0.8 s) only starts
    // counting the wait for the response head once the body is sent.
    let session = Session::builder()
        .base_url(support::site_url())
        .unwrap()
        .timeout(timeout(|t| t.sock_read = Some(Duration::from_millis(800))))
        .build()
        .unwrap();
    let pieces = futures::stream::iter(0..4).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<_, std::io::Error>(format!("piece{i};"))
    });
    let echo: serde_json::Value = session
        .post("/post")
        .body(unifetch::Body::wrap_stream(pieces))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["data"], "piece0;piece1;piece2;piece3;");
}

/// Happy Eyeballs: the host's IPv6 address (first, as DNS would prefer it)
/// never answers; after 250 ms the IPv4 one is tried too and wins, well
/// within `sock_connect`. Trying the addresses one after another would
/// wait on ::1 until `sock_connect` failed the request.
#[tokio::test]
async fn a_silent_address_family_falls_back_to_the_other() {
    let silent = match SaturatedListener::try_on("::1".parse().unwrap()) {
        Ok(silent) => silent,
        Err(e) => {
            eprintln!("skipped: this machine has no IPv6 loopback ({e})");
            return;
        }
    };
    let site: std::net::SocketAddr = support::site_url().trim_start_matches("http://").parse().unwrap();
    let ipv6 = std::net::SocketAddr::new("::1".parse().unwrap(), silent.port);
    let session = Session::builder()
        .resolve_to_addrs("dual.test", &[ipv6, site])
        .timeout(timeout(|t| t.sock_connect = Some(Duration::from_secs(5))))
        .retry(Retry::none())
        .build()
        .unwrap();
    let echo: serde_json::Value = session
        .get("http://dual.test/get?family=fallback")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["args"]["family"], "fallback");
    assert_eq!(echo["headers"]["Host"], "dual.test");
}

#[tokio::test]
async fn when_every_address_fails_the_error_is_the_connect_phase() {
    let closed = support::closed_port();
    let session = Session::builder()
        .resolve_to_addrs(
            "nowhere.test",
            &[
                format!("[::1]:{closed}").parse().unwrap(),
                format!("127.0.0.1:{closed}").parse().unwrap(),
            ],
        )
        .retry(Retry::none())
        .build()
        .unwrap();
    let err = session.get("http://nowhere.test/").send().await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Connect), "{err:#}");
    assert!(format!("{err:#}").contains("Connection refused"), "{err:#}");
}

#[tokio::test]
async fn connections_leave_from_the_local_address_asked_for() {
    let session = Session::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let echo: serde_json::Value = session
        .get(format!("{}/get", support::site_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["origin"], "127.0.0.2");
}
