//! Executing a request: the core's one pass over timeouts, retries,
//! redirects, cookies, limits and decompression around
//! [`Transport::send`](crate::transport::Transport::send).
//!
//! ```text
//! execute ── total ─────────────────────────────────────────────────────────────┐
//!   └ retries: attempt, wait (backoff or Retry-After), attempt…                  │
//!       └ redirects: hop, hop…  (cookies from the jar; Set-Cookie into it)      │
//!           └ send_once: wait for slots (connect) → transport.send               │
//!             (sock_read armed once the body is handed over) → response head ───┘
//!                 then the body: decoded, size-limited, under total and sock_read
//! ```

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, COOKIE};
use http::{Method, StatusCode};
use http_body::{Frame, SizeHint};
use url::Url;

use crate::decode::{Coding, Decoder};
use crate::error::{Phase, TimeoutKind};
use crate::incoming::Incoming;
use crate::limit::Permit;
use crate::redirect::{self, Redirect};
use crate::request::Request;
use crate::retry::{Attempts, Next};
use crate::session::Shared;
use crate::timeout::{Deadline, IdleTimer};
use crate::transport::{FinalUrl, Progress, SendOptions};
use crate::{Body, Error, Proxy, Response, Result, Session, Timeout};

/// What the core asks servers for when it decodes bodies itself.
const ACCEPTED_ENCODINGS: &str = "gzip, deflate, br, zstd";

/// One request's settings: its own where it has them, else the session's.
struct Plan<'a> {
    shared: &'a Shared,
    timeout: Timeout,
    redirect: Redirect,
    proxy: Option<Proxy>,
    /// Cookies given for this request only (`name=value` pairs).
    cookies: Vec<String>,
    /// Whether the core decodes `Content-Encoding` (the platform does not).
    decode: bool,
    max_body: u64,
}

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
    let Request {
        method,
        url,
        headers,
        body,
        timeout,
        retry,
        redirect,
        decompress,
        max_body,
        proxy,
        cookies,
    } = request;
    let plan = Plan {
        shared,
        timeout: timeout.unwrap_or(shared.timeout),
        redirect: redirect.unwrap_or_else(|| shared.redirect.clone()),
        proxy,
        cookies,
        decode: decompress.unwrap_or(shared.decompress) && !shared.platform.decompresses,
        max_body: max_body.unwrap_or(shared.max_body),
    };
    let mut headers = merge_headers(&shared.headers, headers);
    if plan.decode && !headers.contains_key(ACCEPT_ENCODING) {
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED_ENCODINGS));
    }
    let attempts = Attempts::new(
        retry.unwrap_or_else(|| shared.retry.clone()),
        body.try_clone().is_some(),
    );

    let progress = Progress::default();
    let mut total = Deadline::new(&*shared.timer, TimeoutKind::Total, plan.timeout.total);
    let received = total
        .race_with(
            || progress.get(),
            with_retries(&plan, attempts, &method, &url, &headers, body, &progress),
        )
        .await
        .map_err(|e| e.with_url(&url))?;

    let Received {
        mut head,
        body,
        url,
        history,
        permit,
    } = received;
    let decoder = plan.decoder_for(&method, &mut head);
    let idle = IdleTimer::new(shared.timer.clone(), plan.timeout.sock_read);
    let body = Incoming::new(body, total, idle, url.clone(), permit, decoder, plan.max_body);
    Ok(Response::new(head, url, history, body))
}

impl Plan<'_> {
    /// A decoder for the response's `Content-Encoding`, if the core decodes
    /// it; the head then loses its `Content-Encoding` and `Content-Length`.
    // Without the `decompress` feature no coding exists, so the end is unreachable.
    #[cfg_attr(not(feature = "decompress"), allow(unreachable_code))]
    fn decoder_for(&self, method: &Method, head: &mut http::response::Parts) -> Option<Decoder> {
        let no_body =
            *method == Method::HEAD || head.status == StatusCode::NO_CONTENT || head.status == StatusCode::NOT_MODIFIED;
        if !self.decode || no_body {
            return None;
        }
        let coding = head
            .headers
            .get(CONTENT_ENCODING)?
            .to_str()
            .ok()
            .and_then(Coding::parse)?;
        head.headers.remove(CONTENT_ENCODING);
        head.headers.remove(CONTENT_LENGTH);
        Some(Decoder::new(coding))
    }

    /// The request's headers for a hop to `url`, with its cookies: those
    /// already in the headers, this request's own (while on the original
    /// origin) and the jar's.
    fn hop_headers(&self, headers: &HeaderMap, url: &Url, original: &Url) -> HeaderMap {
        let mut headers = headers.clone();
        let mut cookies: Vec<String> = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        if url.origin() == original.origin() {
            cookies.extend(self.cookies.iter().cloned());
        }
        if let Some(jar) = self.jar() {
            cookies.extend(jar.header_for(url));
        }
        headers.remove(COOKIE);
        if let Ok(value) = HeaderValue::from_str(&cookies.join("; ")) {
            if !cookies.is_empty() {
                headers.insert(COOKIE, value);
            }
        }
        headers
    }

    /// The session's jar, unless the platform keeps cookies itself.
    fn jar(&self) -> Option<&crate::CookieJar> {
        self.shared
            .cookies
            .as_deref()
            .filter(|_| !self.shared.platform.manages_cookies)
    }
}

/// Attempts the request until it succeeds or the retry policy gives up.
async fn with_retries(
    plan: &Plan<'_>,
    mut attempts: Attempts,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Body,
    progress: &Progress,
) -> Result<Received> {
    let replay = body.try_clone();
    let mut first_body = Some(body);
    let mut previous: Vec<Error> = Vec::new();
    loop {
        let body = first_body
            .take()
            .or_else(|| replay.as_ref().and_then(Body::try_clone))
            .unwrap_or_else(unreplayable);
        let outcome = follow_redirects(plan, method.clone(), url.clone(), headers, body, progress).await;
        let next = match &outcome {
            Ok(received) => attempts.after_status(method, &received.url, received.head.status, &received.head.headers),
            Err(error) => attempts.after_error(method, url, error),
        };
        let wait = match next {
            Next::Done => return outcome.map_err(|e| e.with_previous_attempts(previous)),
            Next::NotReplayable => {
                let why = "the request body is a stream and cannot be sent again";
                return outcome.map_err(|e| e.with_previous_attempts(previous).not_retried(why));
            }
            Next::RetryAfter(wait) => wait,
        };
        if let Err(error) = outcome {
            previous.push(error.with_url(url));
        }
        plan.shared.timer.sleep(wait).await;
    }
}

/// Follows redirects under the plan's policy, storing cookies on the way.
async fn follow_redirects(
    plan: &Plan<'_>,
    mut method: Method,
    mut url: Url,
    headers: &HeaderMap,
    mut body: Body,
    progress: &Progress,
) -> Result<Received> {
    let original = url.clone();
    let mut headers = headers.clone();
    let mut history: Vec<Url> = Vec::new();
    loop {
        let replay = body.try_clone();
        let hop_headers = plan.hop_headers(&headers, &url, &original);
        let (head, response_body, permit) = send_once(plan, &method, &url, &hop_headers, body, progress)
            .await
            .map_err(|e| e.with_url(&url))?;
        if let Some(jar) = plan.jar() {
            jar.store_response(&head.headers, &url);
        }
        history.push(url.clone());
        let current_body = replay.unwrap_or_else(unreplayable);
        let next = redirect::next_hop(
            &plan.redirect,
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
    plan: &Plan<'_>,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Body,
    progress: &Progress,
) -> Result<(http::response::Parts, Body, Option<Permit>)> {
    let shared = plan.shared;
    let timeout = &plan.timeout;
    progress.set(Phase::Pool);
    let waiting_since = web_time::Instant::now();
    let mut connect = Deadline::new(&*shared.timer, TimeoutKind::Connect, timeout.connect);
    let permit = connect
        .race_with(|| Phase::Pool, async { Ok(shared.limiter.acquire(url).await) })
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
        proxy: plan.proxy.clone(),
        follow_redirects: plan.redirect.follows(),
        cookies: shared.cookies.is_some(),
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

fn build_http_request(method: &Method, url: &Url, headers: &HeaderMap, body: Body) -> Result<http::Request<Body>> {
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

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
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
