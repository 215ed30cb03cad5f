//! Executing a request: the core's one pass over limits, timeouts and
//! redirects around [`Transport::send`](crate::transport::Transport::send).
//!
//! ```text
//! execute ── total ──────────────────────────────────────────────────────────┐
//!   └ follow redirects                                                       │
//!       └ send_once: wait for slots (connect) → transport.send (sock_read    │
//!         armed once the body is handed over) → 3xx? next hop : Response ───┘
//! ```

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http::header::HeaderMap;
use http::Method;
use http_body::{Frame, SizeHint};
use url::Url;

use crate::error::{Phase, TimeoutKind};
use crate::incoming::Incoming;
use crate::limit::Permit;
use crate::redirect;
use crate::request::Request;
use crate::session::Shared;
use crate::timeout::{Deadline, IdleTimer};
use crate::transport::{FinalUrl, Progress, SendOptions};
use crate::{Body, Error, Response, Result, Session, Timeout};

/// A response head with its body, before the `total` deadline is attached.
struct Received {
    head: http::response::Parts,
    body: Body,
    url: Url,
    history: Vec<Url>,
    permit: Option<Permit>,
}

pub(crate) async fn execute(session: &Session, request: Request) -> Result<Response> {
    let shared = &*session.inner;
    let timeout = request.timeout.unwrap_or(shared.timeout);
    let url = request.url.clone();
    let progress = Progress::default();
    let mut total = Deadline::new(&*shared.timer, TimeoutKind::Total, timeout.total);
    let received = total
        .race_with(
            || progress.get(),
            follow_redirects(shared, request, &timeout, &progress),
        )
        .await
        .map_err(|e| e.with_url(&url))?;
    let idle = IdleTimer::new(shared.timer.clone(), timeout.sock_read);
    let body = Incoming::new(
        received.body,
        total,
        idle,
        received.url.clone(),
        received.permit,
    );
    Ok(Response::new(
        received.head,
        received.url,
        received.history,
        body,
    ))
}

async fn follow_redirects(
    shared: &Shared,
    request: Request,
    timeout: &Timeout,
    progress: &Progress,
) -> Result<Received> {
    let Request {
        mut method,
        mut url,
        headers,
        mut body,
        ..
    } = request;
    let mut headers = merge_headers(&shared.headers, headers);
    let mut history: Vec<Url> = Vec::new();
    loop {
        let replay = body.try_clone();
        let (head, response_body, permit) =
            send_once(shared, &method, &url, &headers, body, timeout, progress)
                .await
                .map_err(|e| e.with_url(&url))?;
        history.push(url.clone());
        let current_body = replay.unwrap_or_else(unreplayable);
        let next = redirect::next_hop(
            &shared.redirect,
            head.status,
            &head.headers,
            &method,
            &current_body,
            &mut headers,
            &history,
        )
        .map_err(|e| e.with_url(&url))?;
        let Some(hop) = next else {
            history.pop();
            if let Some(FinalUrl(platform_url)) = head.extensions.get::<FinalUrl>() {
                history.push(std::mem::replace(&mut url, platform_url.clone()));
            }
            return Ok(Received {
                head,
                body: response_body,
                url,
                history,
                permit,
            });
        };
        tracing::debug!(status = %head.status, from = %url, to = %hop.url, "following redirect");
        drop((response_body, permit));
        method = hop.method;
        url = hop.url;
        body = hop.body;
    }
}

/// A stand-in for a body that was streamed and cannot be sent again.
fn unreplayable() -> Body {
    Body::wrap_stream(futures_util::stream::empty::<Result<Bytes>>())
}

/// The session's default headers, replaced name by name by the request's.
fn merge_headers(defaults: &HeaderMap, own: HeaderMap) -> HeaderMap {
    let mut merged = defaults.clone();
    for name in own.keys() {
        merged.remove(name);
    }
    let mut last = None;
    for (name, value) in own {
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            merged.append(name.clone(), value);
        }
    }
    merged
}

/// One exchange with the transport: wait for slots, send, wait for the head.
async fn send_once(
    shared: &Shared,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Body,
    timeout: &Timeout,
    progress: &Progress,
) -> Result<(http::response::Parts, Body, Option<Permit>)> {
    progress.set(Phase::Pool);
    let waiting_since = web_time::Instant::now();
    let mut connect = Deadline::new(&*shared.timer, TimeoutKind::Connect, timeout.connect);
    let permit = connect
        .race_with(|| Phase::Pool, async {
            Ok(shared.limiter.acquire(url).await)
        })
        .await?;
    let connect_left = timeout
        .connect
        .map(|limit| limit.saturating_sub(waiting_since.elapsed()));

    let sent = Arc::new(SentSignal::default());
    let body = if body.as_bytes().is_some() {
        sent.mark_sent();
        body
    } else {
        Body::from_http_body(TrackSent {
            body,
            sent: sent.clone(),
        })
    };
    let request = build_http_request(method, url, headers, body)?;
    let options = SendOptions {
        connect: connect_left,
        sock_connect: timeout.sock_connect,
        sock_read: timeout.sock_read,
        progress: progress.clone(),
    };
    progress.set(Phase::Headers);
    let mut exchange = shared.transport.send(request, options);
    let mut idle = IdleTimer::new(shared.timer.clone(), timeout.sock_read);
    let response = std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = exchange.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        if sent.is_sent(cx) {
            return idle.poll_expired(cx, Phase::Headers).map(Err);
        }
        Poll::Pending
    })
    .await?;
    let (head, body) = response.into_parts();
    Ok((head, body, Some(permit)))
}

fn build_http_request(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Body,
) -> Result<http::Request<Body>> {
    let mut target = url.clone();
    target.set_fragment(None);
    let uri: http::Uri = target.as_str().parse().map_err(Error::builder)?;
    let mut request = http::Request::new(body);
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers.clone();
    Ok(request)
}

/// Tells the core when a streamed request body has been fully handed over,
/// which is when `sock_read` starts to count the wait for the response head.
#[derive(Default)]
struct SentSignal {
    sent: AtomicBool,
    waker: AtomicWaker,
}

impl SentSignal {
    fn mark_sent(&self) {
        self.sent.store(true, Ordering::Release);
        self.waker.wake();
    }

    fn is_sent(&self, cx: &mut Context<'_>) -> bool {
        if self.sent.load(Ordering::Acquire) {
            return true;
        }
        self.waker.register(cx.waker());
        self.sent.load(Ordering::Acquire)
    }
}

struct TrackSent {
    body: Body,
    sent: Arc<SentSignal>,
}

impl http_body::Body for TrackSent {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(None) = frame {
            self.sent.mark_sent();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn request_headers_replace_session_defaults_by_name() {
        let mut defaults = HeaderMap::new();
        defaults.insert("user-agent", HeaderValue::from_static("default"));
        defaults.insert("accept", HeaderValue::from_static("*/*"));
        let mut own = HeaderMap::new();
        own.append("user-agent", HeaderValue::from_static("mine"));
        own.append("x-multi", HeaderValue::from_static("1"));
        own.append("x-multi", HeaderValue::from_static("2"));
        let merged = merge_headers(&defaults, own);
        assert_eq!(merged["user-agent"], "mine");
        assert_eq!(merged["accept"], "*/*");
        assert_eq!(merged.get_all("x-multi").iter().count(), 2);
    }
}
