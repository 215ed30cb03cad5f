//! Spans for `tracing` (the `tracing` feature): one per request, one per
//! attempt inside it, with OpenTelemetry's HTTP client field names, and
//! the time each phase took. The retry and redirect events of the
//! exchange happen inside them. Without the feature none of this exists.
//!
//! | span | fields |
//! | --- | --- |
//! | `http.request` | `otel.name` (the method), `otel.kind`, `http.request.method`, `url.full` (credentials redacted), `server.address`, `server.port`, `http.response.status_code` or `error.type`, `http.request.resend_count` (retries made), `http.response.body.size` and `unifetch.body_ms` once the body is read |
//! | `http.attempt` | `http.request.resend_count` (0 for the first), `http.response.status_code` or `error.type`, and in milliseconds `unifetch.resolve_ms`, `unifetch.connect_ms` (direct) or `unifetch.proxy_ms` (to the proxy and through it), `unifetch.tls_ms` (for a new connection) and `unifetch.headers_ms` (from the request sent to the response head) |

use tracing::field::Empty;
use tracing::Span;
use url::Url;

use crate::transport::{Phase, Progress};
use crate::Error;

/// The span of a request, from its start to the end of its body.
pub(crate) fn request_span(method: &http::Method, url: &Url) -> Span {
    tracing::debug_span!(
        "http.request",
        otel.name = %method,
        otel.kind = "client",
        http.request.method = %method,
        url.full = %url_full(url),
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default(),
        http.response.status_code = Empty,
        error.type = Empty,
        http.request.resend_count = Empty,
        http.response.body.size = Empty,
        unifetch.body_ms = Empty,
    )
}

/// The span of one attempt; `resend_count` attempts came before it.
pub(crate) fn attempt_span(resend_count: u32) -> Span {
    tracing::debug_span!(
        "http.attempt",
        http.request.resend_count = resend_count,
        http.response.status_code = Empty,
        error.type = Empty,
        unifetch.resolve_ms = Empty,
        unifetch.connect_ms = Empty,
        unifetch.proxy_ms = Empty,
        unifetch.tls_ms = Empty,
        unifetch.headers_ms = Empty,
    )
}

/// Records how an attempt or a request ended.
pub(crate) fn record_outcome(span: &Span, outcome: Result<http::StatusCode, &Error>) {
    match outcome {
        Ok(status) => span.record("http.response.status_code", status.as_u16()),
        Err(error) => span.record("error.type", error.kind_name()),
    };
}

/// Records how long the phases of the last hop took.
pub(crate) fn record_phases(span: &Span, progress: &Progress) {
    if span.is_disabled() {
        return; // (nothing was timed)
    }
    let head_at = progress.head_at();
    let between = |from: Option<web_time::Instant>, to: Option<web_time::Instant>| match (from, to) {
        (Some(from), Some(to)) if to >= from => Some((to - from).as_secs_f64() * 1000.0),
        _ => None,
    };
    let at = |phase| progress.entered(phase);
    let sent = at(Phase::Headers);
    let fields = [
        (
            "unifetch.resolve_ms",
            between(at(Phase::Resolve), at(Phase::Connect).or(at(Phase::Proxy))),
        ),
        (
            "unifetch.connect_ms",
            between(at(Phase::Connect), at(Phase::Tls).or(sent)),
        ),
        ("unifetch.proxy_ms", between(at(Phase::Proxy), at(Phase::Tls).or(sent))),
        ("unifetch.tls_ms", between(at(Phase::Tls), sent)),
        ("unifetch.headers_ms", between(sent, head_at)),
    ];
    for (name, millis) in fields {
        if let Some(millis) = millis {
            span.record(name, millis);
        }
    }
}

/// `url` for `url.full`: user name and password become `REDACTED`, as
/// OpenTelemetry asks.
fn url_full(url: &Url) -> Url {
    let mut url = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username("REDACTED");
        let _ = url.set_password(Some("REDACTED"));
    }
    url
}

/// What the request span needs at the end of the body.
#[derive(Debug)]
pub(crate) struct BodySpan {
    pub(crate) span: Span,
    pub(crate) started: web_time::Instant,
}

impl BodySpan {
    /// Records the size of a body read to its end, and the time it took.
    pub(crate) fn finished(&self, bytes: u64) {
        self.span.record("http.response.body.size", bytes);
        self.span
            .record("unifetch.body_ms", self.started.elapsed().as_secs_f64() * 1000.0);
    }
}
