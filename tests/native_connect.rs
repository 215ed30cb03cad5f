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
