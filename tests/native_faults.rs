//! The fault matrix through the native library: every broken server of
//! the site (`/fault/…`, `/bomb`, `/drip`, redirects) and of its raw fault
//! server (`/fault/raw`: HTTP/1.1 broken below what axum can send). Each
//! case has a watchdog, asserts the error's kind and phase (or the exact
//! bytes of a response that is fine), and the session keeps working after
//! all of them.
#![cfg(not(target_family = "wasm"))]

mod support;

use std::time::Duration;

use unifetch::{Phase, Session, Timeout, TimeoutKind};

/// Longer than any case may take: reaching it is a hang.
const WATCHDOG: Duration = Duration::from_secs(20);

#[derive(Debug)]
enum Expect {
    /// An error of this kind (`Error::kind_name`) in this phase.
    Error(&'static str, Option<Phase>),
    /// A timeout of this kind in this phase.
    Timeout(TimeoutKind, Phase),
    /// A response whose body is exactly this.
    Body(&'static str),
}

async fn raw_base() -> String {
    let info: serde_json::Value = Session::new()
        .get(format!("{}/fault/raw", support::site_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    info["base"].as_str().unwrap().to_owned()
}

/// The session every case uses: a body limit of 1 MiB, `sock_read` 1 s,
/// `total` 4 s, the default retries and redirects.
fn session() -> Session {
    Session::builder()
        .max_body_size(1 << 20)
        .timeout(Timeout {
            total: Some(Duration::from_secs(4)),
            sock_read: Some(Duration::from_secs(1)),
            ..Timeout::default()
        })
        .build()
        .unwrap()
}

async fn check(session: &Session, url: &str, expect: &Expect) -> Result<(), String> {
    let fetched = async { session.get(url).send().await?.bytes().await };
    let outcome = tokio::time::timeout(WATCHDOG, fetched)
        .await
        .map_err(|_| format!("{url}: still running after {WATCHDOG:?} (a hang)"))?;
    match (expect, outcome) {
        (Expect::Body(text), Ok(body)) if body == text.as_bytes() => Ok(()),
        (Expect::Error(kind, phase), Err(e)) if e.kind_name() == *kind && e.phase() == *phase => Ok(()),
        (Expect::Timeout(kind, phase), Err(e)) if e.timeout_kind() == Some(*kind) && e.phase() == Some(*phase) => {
            Ok(())
        }
        (expect, Ok(body)) => Err(format!(
            "{url}: expected {expect:?}, got a body of {} bytes: {:?}",
            body.len(),
            String::from_utf8_lossy(&body[..body.len().min(60)])
        )),
        (expect, Err(e)) => Err(format!(
            "{url}: expected {expect:?}, got {} in {:?} ({:?}): {e:#}",
            e.kind_name(),
            e.phase(),
            e.timeout_kind()
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_gives_its_typed_error_and_never_a_short_success() {
    let site = support::site_url();
    let raw = raw_base().await;
    let cases: Vec<(String, Expect)> = vec![
        // Broken below HTTP: resets, framing, heads.
        (
            format!("{raw}/reset-before-head"),
            Expect::Error("request", Some(Phase::Headers)),
        ),
        (
            format!("{raw}/reset-mid-head"),
            Expect::Error("request", Some(Phase::Headers)),
        ),
        (
            format!("{raw}/reset-mid-body"),
            Expect::Error("body", Some(Phase::Body)),
        ),
        (format!("{raw}/length-shorter-than-body"), Expect::Body("first")),
        (format!("{raw}/chunked-cut"), Expect::Error("body", Some(Phase::Body))),
        (
            format!("{raw}/chunked-malformed"),
            Expect::Error("body", Some(Phase::Body)),
        ),
        (
            format!("{raw}/huge-header-block"),
            Expect::Error("request", Some(Phase::Headers)),
        ),
        (
            format!("{raw}/huge-header"),
            Expect::Error("request", Some(Phase::Headers)),
        ),
        (
            format!("{raw}/invalid-header-bytes"),
            Expect::Error("request", Some(Phase::Headers)),
        ),
        (format!("{raw}/continue-first"), Expect::Body("after")),
        (
            format!("{raw}/endless-body"),
            Expect::Error("too_large", Some(Phase::Body)),
        ),
        (format!("{raw}/lying-encoding"), Expect::Error("decode", None)),
        // Broken on top of HTTP: stalls, lies, bombs, redirects.
        (
            format!("{site}/fault/stall-headers"),
            Expect::Timeout(TimeoutKind::SockRead, Phase::Headers),
        ),
        (
            format!("{site}/fault/stall-body?bytes=100"),
            Expect::Timeout(TimeoutKind::SockRead, Phase::Body),
        ),
        (
            format!("{site}/fault/reset?bytes=100"),
            Expect::Error("body", Some(Phase::Body)),
        ),
        (
            format!("{site}/fault/truncated?length=1000&bytes=10"),
            Expect::Error("body", Some(Phase::Body)),
        ),
        // 20 bytes, one every 500 ms: under sock_read, over total.
        (
            format!("{site}/drip?numbytes=20&duration=10"),
            Expect::Timeout(TimeoutKind::Total, Phase::Body),
        ),
        (
            format!("{site}/bomb?mb=64"),
            Expect::Error("too_large", Some(Phase::Body)),
        ),
        (
            format!("{site}/bomb?mb=64&coding=br"),
            Expect::Error("too_large", Some(Phase::Body)),
        ),
        (
            format!("{site}/bomb?mb=64&coding=zstd"),
            Expect::Error("too_large", Some(Phase::Body)),
        ),
        (format!("{site}/redirect-loop"), Expect::Error("redirect", None)),
        (
            format!("{site}/redirect-to?url=file:///etc/passwd"),
            Expect::Error("redirect", None),
        ),
        (
            format!("{site}/redirect-to?url=ftp://127.0.0.1/"),
            Expect::Error("redirect", None),
        ),
    ];
    let session = session();
    let checks = cases.iter().map(|(url, expect)| check(&session, url, expect));
    let failures: Vec<String> = futures::future::join_all(checks)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Nothing a broken server did is left in the pool.
    let after = session.get(format!("{site}/get?after=faults")).send().await.unwrap();
    assert_eq!(after.status(), 200);
}

/// A streamed request body, of known length or not, sent to a server that
/// reads it and never answers: `sock_read` ends the wait for the head.
/// (hyper stops at a `Content-Length` without reading the body's end, so
/// the body being dropped counts as handed over.)
#[tokio::test]
async fn sock_read_counts_once_a_streamed_body_is_handed_over() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut sink = [0u8; 4096];
                while let Ok(1..) = tokio::io::AsyncReadExt::read(&mut tcp, &mut sink).await {}
            });
        }
    });
    let session = Session::builder()
        .retry(unifetch::Retry::none())
        .timeout(Timeout {
            total: Some(WATCHDOG),
            sock_read: Some(Duration::from_millis(300)),
            ..Timeout::default()
        })
        .build()
        .unwrap();
    let chunks = || futures::stream::iter([Ok::<_, std::io::Error>("hello "), Ok("world")]);
    let bodies = [
        ("known length", unifetch::Body::wrap_stream(chunks()).with_length(11)),
        ("chunked", unifetch::Body::wrap_stream(chunks())),
    ];
    for (name, body) in bodies {
        let error = session
            .put(format!("http://{addr}/"))
            .body(body)
            .send()
            .await
            .expect_err("no answer");
        assert_eq!(error.timeout_kind(), Some(TimeoutKind::SockRead), "{name}: {error:#}");
        assert_eq!(error.phase(), Some(Phase::Headers), "{name}: {error:#}");
    }
}
