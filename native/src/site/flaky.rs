//! Endpoints that fail on purpose, to test retries: `/flaky/{n}` fails `n`
//! times per `?id=`, then answers like `/get`; `/retry-after/{seconds}`
//! answers 429/503 with a `Retry-After` first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::echo::{json_response, Echo};

/// Requests seen per `(endpoint, id)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters(Arc<Mutex<HashMap<String, u32>>>);

impl Counters {
    /// Counts one more request for `key`; returns how many there were.
    fn hit(&self, key: String) -> u32 {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(key).or_default();
        *count += 1;
        *count
    }
}

#[derive(Deserialize)]
pub(crate) struct FlakyQuery {
    id: String,
    status: Option<u16>,
}

/// `/flaky/{n}?id=X[&status=503]`: the first `n` requests with this id get
/// `status` (default 503); later ones succeed with httpbin's echo.
pub(crate) async fn flaky(
    State(counters): State<Counters>,
    Path(failures): Path<u32>,
    Query(q): Query<FlakyQuery>,
    echo: Echo,
) -> Response {
    let attempt = counters.hit(format!("flaky/{}", q.id));
    if attempt <= failures {
        let status = q
            .status
            .and_then(|code| StatusCode::from_u16(code).ok())
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return json_response(status, &json!({"attempt": attempt, "failing": true}));
    }
    let mut body = echo.dict(&["url", "args", "headers", "origin", "method", "data", "json"]);
    body["attempt"] = json!(attempt);
    json_response(StatusCode::OK, &body)
}

#[derive(Deserialize)]
pub(crate) struct RetryAfterQuery {
    id: String,
    status: Option<u16>,
    times: Option<u32>,
    date: Option<bool>,
}

/// `/retry-after/{seconds}?id=X[&status=429][&times=1][&date=true]`: the
/// first `times` requests get `status` (default 429) with `Retry-After`
/// in seconds, or as an HTTP-date with `date=true`.
pub(crate) async fn retry_after(
    State(counters): State<Counters>,
    Path(seconds): Path<u64>,
    Query(q): Query<RetryAfterQuery>,
) -> Response {
    let attempt = counters.hit(format!("retry-after/{}", q.id));
    if attempt > q.times.unwrap_or(1) {
        return json_response(StatusCode::OK, &json!({"attempt": attempt}));
    }
    let status = q
        .status
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let value = if q.date == Some(true) {
        // HTTP-dates have whole seconds: round up so the wait is never shorter.
        httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(seconds + 1))
    } else {
        seconds.to_string()
    };
    let mut response = json_response(status, &json!({"attempt": attempt, "retry_after": value}));
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
