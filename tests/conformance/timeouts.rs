//! The `total` and `sock_read` timeouts, enforced by the core on every target.

use std::time::Duration;

use unifetch::{Session, StatusCode, Timeout, TimeoutKind};

use super::{Failure, Outcome, Site};

fn expect_timeout<T>(result: unifetch::Result<T>, kind: TimeoutKind, phase: &str) -> Outcome {
    let err = match result {
        Ok(_) => return Err(Failure(format!("expected a {kind:?} timeout, got success"))),
        Err(err) => err,
    };
    ensure!(err.is_timeout(), "not a timeout: {}", Failure::from(err).0);
    ensure!(err.timeout_kind() == Some(kind), "wrong timeout: {err}");
    ensure!(
        err.to_string().contains(kind.as_str()),
        "message names the timeout: {err}"
    );
    ensure!(
        err.to_string().contains(phase),
        "message names the phase {phase}: {err}"
    );
    Ok(())
}

/// `total = 1 s` against a 3 s response: a total timeout during headers.
pub async fn total_timeout_stops_a_slow_head(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .timeout(Timeout::total(Duration::from_secs(1)))
        .build()?;
    let result = session.get("/delay/3").send().await;
    expect_timeout(result, TimeoutKind::Total, "headers")
}

/// `total` keeps counting while the body is read.
pub async fn total_timeout_covers_the_body(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .timeout(Timeout::total(Duration::from_secs(1)))
        .build()?;
    let response = session.get("/drip?duration=4&numbytes=4").send().await?;
    ensure!(response.status() == StatusCode::OK, "head arrives in time");
    expect_timeout(response.bytes().await, TimeoutKind::Total, "body")
}

fn sock_read(limit: Duration) -> Timeout {
    Timeout {
        sock_read: Some(limit),
        ..Timeout::NONE
    }
}

/// `sock_read` fires when the head does not come.
pub async fn sock_read_timeout_on_a_stalled_head(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .timeout(sock_read(Duration::from_millis(700)))
        .build()?;
    let result = session.get("/fault/stall-headers?seconds=30").send().await;
    expect_timeout(result, TimeoutKind::SockRead, "headers")
}

/// `sock_read` fires when the body goes silent.
pub async fn sock_read_timeout_on_a_stalled_body(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .timeout(sock_read(Duration::from_millis(700)))
        .build()?;
    let response = session.get("/fault/stall-body?bytes=100&seconds=30").send().await?;
    expect_timeout(response.bytes().await, TimeoutKind::SockRead, "body")
}

/// A body that takes 2 s but never pauses 1 s is not a `sock_read` timeout.
pub async fn sock_read_allows_a_slow_steady_body(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .timeout(sock_read(Duration::from_millis(1500)))
        .build()?;
    let body = session.get("/drip?duration=2&numbytes=8").send().await?.bytes().await?;
    ensure!(&body[..] == b"********", "body {body:?}");
    Ok(())
}

/// A request's own timeout replaces the session's.
pub async fn per_request_timeout_overrides_the_session(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .timeout(Timeout::total(Duration::from_millis(500)))
        .build()?;
    let relaxed = session
        .get("/delay/1")
        .timeout(Timeout::total(Duration::from_secs(10)))
        .send()
        .await?;
    ensure!(
        relaxed.status() == StatusCode::OK,
        "the longer per-request timeout applies"
    );
    let strict = session.get("/delay/2").send().await;
    expect_timeout(strict, TimeoutKind::Total, "headers")
}
