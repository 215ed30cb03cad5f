//! Servers that misbehave, so clients can be tested against them:
//! stalled heads and bodies, resets mid-body, bodies shorter than announced.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Query;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct Fault {
    /// Bytes sent before misbehaving.
    bytes: Option<usize>,
    /// `Content-Length` announced (for `/fault/truncated`).
    length: Option<u64>,
    /// How long a stall lasts (default one hour: "forever" for a client).
    seconds: Option<u64>,
}

impl Fault {
    fn prefix(&self) -> Bytes {
        Bytes::from(vec![b'x'; self.bytes.unwrap_or(10).min(1 << 20)])
    }

    fn stall(&self) -> Duration {
        Duration::from_secs(self.seconds.unwrap_or(3600))
    }
}

/// `/fault/stall-headers`: accepts the request and never answers.
pub(crate) async fn stall_headers(Query(q): Query<Fault>) -> Response {
    tokio::time::sleep(q.stall()).await;
    "too late".into_response()
}

/// `/fault/stall-body?bytes=N`: sends the head and `N` bytes, then goes silent.
pub(crate) async fn stall_body(Query(q): Query<Fault>) -> Response {
    let stall = q.stall();
    let head = stream::once(std::future::ready(Ok::<_, std::io::Error>(q.prefix())));
    let silence = stream::once(async move {
        tokio::time::sleep(stall).await;
        Ok(Bytes::new())
    });
    Body::from_stream(head.chain(silence)).into_response()
}

/// `/fault/reset?bytes=N`: sends `N` bytes of a chunked body, then drops
/// the connection without finishing it.
pub(crate) async fn reset(Query(q): Query<Fault>) -> Response {
    let head = stream::once(std::future::ready(Ok(q.prefix())));
    let failure = stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault: reset mid-body",
        ))
    });
    Body::from_stream(head.chain(failure)).into_response()
}

/// `/fault/truncated?length=L&bytes=N`: announces `Content-Length: L`
/// (default 1000) but sends only `N` bytes, then closes.
pub(crate) async fn truncated(Query(q): Query<Fault>) -> Response {
    let prefix = q.prefix();
    let length = q.length.unwrap_or(1000).max(prefix.len() as u64 + 1);
    let head = stream::once(std::future::ready(Ok(prefix)));
    // Ending late (not at once) makes the server send the head and the
    // short body before it notices the lie and closes the connection.
    let end = stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "fault: body shorter than announced",
        ))
    });
    let mut response = Body::from_stream(head.chain(end)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// `/fault/raw`: where the fault server for broken HTTP itself listens
/// (see [`super::raw`]), started with the first call.
pub(crate) async fn raw(server: std::sync::Arc<tokio::sync::OnceCell<std::net::SocketAddr>>) -> Response {
    match server.get_or_try_init(super::raw::start).await {
        Ok(addr) => axum::Json(serde_json::json!({
            "base": format!("http://{addr}"),
            "cases": super::raw::CASES.iter().map(|(name, what)| serde_json::json!({"case": name, "sends": what})).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
