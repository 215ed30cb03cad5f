//! Server-side counters so tests can check what a client really did:
//! any request carrying `?track=KEY` or an `X-Track: KEY` header is counted
//! under that key (in flight until its response body is finished), and
//! `/track/KEY` reports the counts, the paths requested and the arrival
//! times as JSON.

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use serde::Serialize;

use super::echo::json_response;

/// The counters of every key seen so far.
#[derive(Clone, Default)]
pub struct Tracker {
    keys: Arc<Mutex<HashMap<String, KeyStats>>>,
}

/// What the server saw of the requests tagged with one key.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct KeyStats {
    /// Requests received.
    pub requests: u64,
    /// Requests whose response body is not finished yet.
    pub in_flight: u64,
    /// The most requests in flight at once.
    pub max_in_flight: u64,
    /// The same per `Host` header.
    pub hosts: BTreeMap<String, HostStats>,
    /// When each request arrived, in milliseconds after the first one.
    pub arrivals_ms: Vec<u64>,
    /// How many times each path was requested.
    pub paths: BTreeMap<String, u64>,
    #[serde(skip)]
    first: Option<Instant>,
}

/// What the server saw of one host under a key.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct HostStats {
    /// Requests received.
    pub requests: u64,
    /// Requests in flight now.
    pub in_flight: u64,
    /// The most requests in flight at once.
    pub max_in_flight: u64,
}

impl Tracker {
    /// The counters of `key`, if any request carried it.
    pub fn stats(&self, key: &str) -> Option<KeyStats> {
        self.lock().get(key).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KeyStats>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(&self, key: &str, host: &str, path: &str) -> InFlight {
        let mut keys = self.lock();
        let stats = keys.entry(key.to_owned()).or_default();
        *stats.paths.entry(path.to_owned()).or_default() += 1;
        let first = *stats.first.get_or_insert_with(Instant::now);
        stats.arrivals_ms.push(first.elapsed().as_millis() as u64);
        stats.requests += 1;
        stats.in_flight += 1;
        stats.max_in_flight = stats.max_in_flight.max(stats.in_flight);
        let host_stats = stats.hosts.entry(host.to_owned()).or_default();
        host_stats.requests += 1;
        host_stats.in_flight += 1;
        host_stats.max_in_flight = host_stats.max_in_flight.max(host_stats.in_flight);
        InFlight {
            tracker: self.clone(),
            key: key.to_owned(),
            host: host.to_owned(),
        }
    }
}

/// One tracked request; dropping it ends the request.
struct InFlight {
    tracker: Tracker,
    key: String,
    host: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut keys = self.tracker.lock();
        if let Some(stats) = keys.get_mut(&self.key) {
            stats.in_flight -= 1;
            if let Some(host) = stats.hosts.get_mut(&self.host) {
                host.in_flight -= 1;
            }
        }
    }
}

/// Counts requests that carry `?track=KEY` until their body is sent.
pub(crate) async fn middleware(State(tracker): State<Tracker>, request: Request, next: Next) -> Response {
    let from_query = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "track")
            .map(|(_, value)| value.into_owned())
    });
    let from_header = request
        .headers()
        .get("x-track")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let key = from_query.or(from_header);
    let Some(key) = key else {
        return next.run(request).await;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let in_flight = tracker.enter(&key, &host, request.uri().path());
    let response = next.run(request).await;
    response.map(|body| {
        Body::new(Tracked {
            body,
            _in_flight: in_flight,
        })
    })
}

/// `/track/{key}`: the counters as JSON (404 if no request carried the key).
pub(crate) async fn report(State(tracker): State<Tracker>, Path(key): Path<String>) -> Response {
    match tracker.stats(&key) {
        Some(stats) => json_response(
            axum::http::StatusCode::OK,
            &serde_json::to_value(stats).unwrap_or_default(),
        ),
        None => json_response(
            axum::http::StatusCode::NOT_FOUND,
            &serde_json::json!({"error": "unknown key"}),
        ),
    }
}

/// A response body that keeps its request counted until it is done.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
