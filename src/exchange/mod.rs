//! The exchange: one request's way through the core, from
//! [`Session::execute`](crate::Session::execute) to the transport and back,
//! carried by one [`Exchange`] value.
//!
//! ```text
//! Exchange::run ── total ──────────────────────────────────────────────────────┐
//!   └ attempts: attempt, wait (backoff or Retry-After), attempt…  (retry.rs)    │
//!     (hooks.rs: before_request, after_response, before_retry around each)      │
//!       └ follow_redirects: hop, hop…  (redirect.rs; cookies from and to the jar) │
//!           └ send (send.rs): wait for slots (connect) → Transport::send        │
//!             (sock_read armed once the body is handed over) → response head ──┘
//!   └ response_from: the body decoded, size-limited, under total and sock_read (incoming.rs)
//! ```

mod send;

use std::borrow::Cow;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, COOKIE};
use http::{Method, StatusCode};
use url::Url;

use crate::cookies::SessionCookies;
use crate::decode::{Coding, Decoder};
use crate::error::TimeoutKind;
use crate::hooks::{BeforeRequest, Hooks, RetryDecision};
use crate::incoming::{Budget, Incoming};
use crate::last_origin::LastOrigin;
use crate::limit::{Limiter, Permit};
use crate::redirect::{self, Hop, Redirect};
use crate::request::Overrides;
use crate::retry::{Attempts, Next, RetryEvent, RetryReason};
use crate::timeout::{Deadline, IdleTimer};
use crate::transport::{BoxFuture, FinalUrl, Platform, Progress, Timer, Transport};
use crate::{headers, Body, Error, Proxy, Request, Response, Result, Retry, Timeout};

/// What the core asks servers for when it decodes bodies itself.
const ACCEPTED_ENCODINGS: &str = "gzip, deflate, br, zstd";

impl Defaults {
    /// `headers` with the `Accept-Encoding` of the core's decoders added,
    /// unless they name one.
    pub(crate) fn decoding(headers: &HeaderMap) -> HeaderMap {
        let mut decoding = headers.clone();
        if !decoding.contains_key(ACCEPT_ENCODING) {
            decoding.insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED_ENCODINGS));
        }
        decoding
    }
}

/// What a session lends each of its requests: the machinery (transport,
/// timer, limits, cookie jar) and the defaults a request starts from.
pub(crate) struct Client {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) timer: Arc<dyn Timer>,
    pub(crate) limiter: Limiter,
    pub(crate) cookies: SessionCookies,
    /// What the platform under the transport does by itself.
    pub(crate) platform: Platform,
    pub(crate) defaults: Defaults,
    /// The origin of the last URL the session resolved, parsed once.
    pub(crate) last_origin: LastOrigin,
}

/// The session's settings that a request may override.
pub(crate) struct Defaults {
    pub(crate) headers: HeaderMap,
    /// `headers` with the `Accept-Encoding` of the core's decoders, unless
    /// they name one: what a request the core decodes starts from.
    pub(crate) decoding_headers: HeaderMap,
    pub(crate) timeout: Timeout,
    pub(crate) redirect: Redirect,
    pub(crate) retry: Retry,
    pub(crate) decompress: bool,
    pub(crate) max_body: Option<u64>,
    pub(crate) hooks: Hooks,
}

impl Client {
    /// Sends `request` through this client's machinery. The exchange's
    /// future is boxed here, once: it is large, and the futures around it
    /// then move only a pointer.
    ///
    /// The exchange (about 500 bytes) is boxed apart from the future that
    /// runs it (about 930): two allocations of at most 1,032 bytes come
    /// from glibc's per-thread cache, where one of 1,400 takes its slow
    /// path, which costs more than both (160 instructions a request).
    ///
    /// Without a `tracing` subscriber that wants the request's span, the
    /// future is one without the span's layers: they would cost about
    /// 4 % of a request's CPU time in moves of larger futures alone.
    pub(crate) fn execute(&self, request: Request) -> BoxFuture<'_, Result<Response>> {
        let mut exchange = Box::new(Exchange::new(self, request));
        #[cfg(feature = "tracing")]
        if !exchange.span.is_disabled() {
            return Box::pin(async move { exchange.run_traced().await });
        }
        // Borrowed by `run` from inside the block, so that the future holds
        // the exchange once (an `async fn` taking it by value holds it twice).
        Box::pin(async move { exchange.run().await })
    }
}

/// One request's state through its attempts: what it asked for, with the
/// session's defaults filled in, and where it stands.
struct Exchange<'a> {
    client: &'a Client,
    method: Method,
    url: Url,
    /// The session's default headers merged with the request's own
    /// (borrowed from the session when the request has none).
    headers: Cow<'a, HeaderMap>,
    /// The body for the next attempt; `None` once a stream has been sent.
    body: Option<Body>,
    timeout: Timeout,
    /// The session's policies and hooks unless the request has its own.
    retry: Setting<'a, Retry>,
    redirect: Setting<'a, Redirect>,
    /// Boxed: rare, and the exchange is moved into its future.
    proxy: Option<Box<Proxy>>,
    /// Cookies given for this request only (`name=value` pairs).
    cookies: Vec<String>,
    /// Whether the caller wants bodies decoded.
    decompress: bool,
    /// Whether the core decodes `Content-Encoding` (the platform does not).
    decode: bool,
    max_body: Option<u64>,
    /// The session's hooks, then the request's.
    hooks: Setting<'a, Hooks>,
    /// Which phase the exchange is in, for the message of a `total` timeout.
    progress: Progress,
    /// The errors of the attempts that were retried: kept here, not in the
    /// attempts' future, so that a `total` timeout that ends it keeps them.
    previous: Vec<Error>,
    /// The request's span, until the end of its body.
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// A setting of the session's (borrowed: most requests take those), or
/// the request's own (boxed, so that the exchange stays small).
#[derive(Clone)]
enum Setting<'a, T> {
    Session(&'a T),
    Own(Box<T>),
}

impl<T> std::ops::Deref for Setting<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Setting::Session(setting) => setting,
            Setting::Own(setting) => setting,
        }
    }
}

/// An attempt's outcome, as the retry policy sees it.
enum Attempted {
    /// From the network, its body not yet wrapped for reading (the common
    /// case: no hook needed a [`Response`]).
    Received(Received),
    /// A response a hook answered with or went through `after_response`.
    Response(Response),
}

impl Attempted {
    fn status(&self) -> StatusCode {
        match self {
            Attempted::Received(received) => received.head.status,
            Attempted::Response(response) => response.status(),
        }
    }

    fn headers(&self) -> &HeaderMap {
        match self {
            Attempted::Received(received) => &received.head.headers,
            Attempted::Response(response) => response.headers(),
        }
    }

    fn url(&self) -> &Url {
        match self {
            Attempted::Received(received) => &received.url,
            Attempted::Response(response) => response.url(),
        }
    }
}

/// A response head with its body, before the body is wrapped for reading.
struct Received {
    head: http::response::Parts,
    body: Body,
    url: Url,
    history: Vec<Url>,
    permit: Permit,
}

impl<'a> Exchange<'a> {
    fn new(client: &'a Client, request: Request) -> Exchange<'a> {
        let (method, url, own_headers, body, own) = request.into_parts();
        let Overrides {
            timeout,
            retry,
            redirect,
            decompress,
            max_body,
            proxy,
            cookies,
            hooks,
        } = own;
        let defaults = &client.defaults;
        let decompress = decompress.unwrap_or(defaults.decompress);
        let decode = decompress && !client.platform.decompresses;
        #[cfg(feature = "tracing")]
        let span = crate::trace::request_span(&method, &url);
        let base = if decode {
            &defaults.decoding_headers
        } else {
            &defaults.headers
        };
        let headers = if own_headers.is_empty() {
            Cow::Borrowed(base)
        } else {
            Cow::Owned(headers::merge(base, own_headers))
        };
        Exchange {
            client,
            method,
            url,
            headers,
            body: Some(body),
            timeout: timeout.unwrap_or(defaults.timeout),
            retry: retry.map_or(Setting::Session(&defaults.retry), |own| Setting::Own(Box::new(own))),
            redirect: redirect.map_or(Setting::Session(&defaults.redirect), |own| Setting::Own(Box::new(own))),
            proxy: proxy.map(Box::new),
            cookies,
            decompress,
            decode,
            max_body: max_body.or(defaults.max_body),
            hooks: match hooks {
                Some(own) => Setting::Own(Box::new(defaults.hooks.clone().then(&own))),
                None => Setting::Session(&defaults.hooks),
            },
            progress: Progress::default(),
            previous: Vec::new(),
            #[cfg(feature = "tracing")]
            span,
        }
    }

    /// [`run`](Self::run) inside the request's span.
    #[cfg(feature = "tracing")]
    async fn run_traced(&mut self) -> Result<Response> {
        use tracing::Instrument;
        let span = self.span.clone();
        let outcome = self.run().instrument(span.clone()).await;
        crate::trace::record_outcome(&span, outcome.as_ref().map(Response::status));
        outcome
    }

    /// Everything up to the response head under the `total` deadline, which
    /// then goes on guarding the body.
    async fn run(&mut self) -> Result<Response> {
        let mut total = Deadline::new(&*self.client.timer, TimeoutKind::Total, self.timeout.total);
        let progress = self.progress.clone();
        let ends = total.ends();
        let outcome = total.race_with(|| progress.get(), self.attempts(ends)).await;
        let error = match self.finish(outcome, total) {
            Ok(response) => return Ok(response),
            Err(error) => error,
        };
        // Boxed, as the other hooks' futures: a rare path whose future
        // would otherwise make every exchange's larger.
        Err(Box::pin(self.hooks.run_before_error(error.with_url(&self.url))).await)
    }

    /// The response of the attempts' `outcome`, its body under `total`;
    /// or their error, with those of the attempts before. Not `async`, so
    /// that the outcome is not kept in [`run`](Self::run)'s future while
    /// the `before_error` hooks run.
    fn finish(&mut self, outcome: Result<Attempted>, total: Deadline) -> Result<Response> {
        match outcome {
            Ok(Attempted::Received(received)) => Ok(self.response_from(received, total)),
            Ok(Attempted::Response(response)) => Ok(response),
            Err(error) => Err(match std::mem::take(&mut self.previous) {
                previous if previous.is_empty() => error,
                previous => error.with_previous_attempts(previous),
            }),
        }
    }

    /// Attempts the request until it succeeds or the retry policy (or a
    /// `before_retry` hook) gives up; `total_ends` is when `total` fires.
    async fn attempts(&mut self, total_ends: Option<web_time::Instant>) -> Result<Attempted> {
        let replayable = self.body.as_ref().is_some_and(|body| body.try_clone().is_some());
        let retry = self.retry.clone();
        let mut attempts = Attempts::new(&retry, replayable, self.client.timer.clone());
        loop {
            // The outcome lives in this block only, so that the future
            // keeps no room for one while it waits to retry; it is judged
            // by reference and moved once, into the result or the wait.
            let waited = {
                let attempt = attempts.attempt();
                let outcome = self.traced_attempt(total_ends, attempt.saturating_sub(1)).await;
                let next = match &outcome {
                    Ok(attempted) => {
                        attempts.after_status(&self.method, attempted.url(), attempted.status(), attempted.headers())
                    }
                    Err(error) => attempts.after_error(&self.method, &self.url, error),
                };
                match next {
                    Next::Done => return outcome.map_err(|e| self.with_previous(e)),
                    Next::NotReplayable => {
                        let why = "the request body is a stream and cannot be sent again";
                        return outcome.map_err(|e| self.with_previous(e).not_retried(why));
                    }
                    // Boxed, as each rare path's future: the exchange's
                    // future would otherwise hold room for it on every
                    // request.
                    Next::RetryAfter(wait) => Box::pin(self.wait_to_retry(outcome, total_ends, wait, attempt)),
                }
            };
            if let Some(stopped) = waited.await? {
                return stopped;
            }
        }
    }

    /// `error`, with the errors of the attempts retried before it.
    fn with_previous(&mut self, error: Error) -> Error {
        error.with_previous_attempts(std::mem::take(&mut self.previous))
    }

    /// Waits `wait` before a retry, keeping a failed attempt's error for
    /// the end. With `before_retry` hooks, which may stop the retries, a
    /// failed attempt's response is read whole first so that it holds no
    /// connection while waiting. The outcome to end with if they stop.
    async fn wait_to_retry(
        &mut self,
        outcome: Result<Attempted>,
        total_ends: Option<web_time::Instant>,
        wait: std::time::Duration,
        attempt: u32,
    ) -> Result<Option<Result<Attempted>>> {
        let outcome = outcome.map_err(|e| e.with_url(&self.url));
        if !self.hooks.has_before_retry() {
            // A response is let go before the wait, with its connection
            // and its limit slots.
            match outcome {
                Err(error) => self.previous.push(error),
                Ok(attempted) => drop(attempted),
            }
            self.client.timer.sleep(wait).await;
            return Ok(None);
        }
        let failed = match outcome {
            Ok(attempted) => Ok(self.buffered(attempted, total_ends).await?),
            Err(error) => Err(error),
        };
        self.client.timer.sleep(wait).await;
        if self.retry_stopped(&failed, attempt, wait).await? {
            let previous = std::mem::take(&mut self.previous);
            return Ok(Some(
                failed
                    .map(Attempted::Response)
                    .map_err(|e| e.with_previous_attempts(previous)),
            ));
        }
        if let Err(error) = failed {
            self.previous.push(error);
        }
        Ok(None)
    }

    /// [`attempt`](Self::attempt), inside its own span when a `tracing`
    /// subscriber wants it; `resent` attempts came before it.
    async fn traced_attempt(&mut self, total_ends: Option<web_time::Instant>, resent: u32) -> Result<Attempted> {
        #[cfg(feature = "tracing")]
        {
            self.span.record("http.request.resend_count", resent);
            let span = crate::trace::attempt_span(resent);
            if !span.is_disabled() {
                // Boxed: the span's layers would make every attempt's
                // future larger, traced or not.
                return Box::pin(self.attempt_in(span, total_ends)).await;
            }
        }
        let _ = resent;
        self.attempt(total_ends).await
    }

    /// [`attempt`](Self::attempt) inside `span`.
    #[cfg(feature = "tracing")]
    async fn attempt_in(&mut self, span: tracing::Span, total_ends: Option<web_time::Instant>) -> Result<Attempted> {
        use tracing::Instrument;
        let outcome = self.attempt(total_ends).instrument(span.clone()).await;
        crate::trace::record_outcome(&span, outcome.as_ref().map(Attempted::status));
        crate::trace::record_phases(&span, &self.progress);
        outcome
    }

    /// One attempt: the `before_request` hooks, the exchange with its
    /// redirects (unless a hook answered), then the `after_response` hooks.
    async fn attempt(&mut self, total_ends: Option<web_time::Instant>) -> Result<Attempted> {
        if self.hooks.has_before_request() {
            // Boxed: its future holds a whole response, which the common
            // attempt's should not make room for.
            return Box::pin(self.attempt_with_before_request(total_ends)).await;
        }
        let received = self.follow_redirects().await?;
        // Without hooks the response is not moved through their future,
        // which is boxed: this future keeps no room for it (300 fewer
        // instructions a request).
        if !self.hooks.has_after_response() {
            return Ok(Attempted::Received(received));
        }
        Box::pin(self.after_response(received, total_ends)).await
    }

    /// [`attempt`](Self::attempt) with `before_request` hooks, which may
    /// change the request or answer it themselves.
    async fn attempt_with_before_request(&mut self, total_ends: Option<web_time::Instant>) -> Result<Attempted> {
        let request = self.hook_request();
        let response = match self.hooks.run_before_request(request).await? {
            BeforeRequest::Respond(response) => response,
            BeforeRequest::Send(request) => {
                self.adopt(request);
                let received = self.follow_redirects().await?;
                return self.after_response(received, total_ends).await;
            }
        };
        Ok(Attempted::Response(
            Box::pin(self.hooks.run_after_response(response)).await?,
        ))
    }

    /// `received` through the `after_response` hooks, if there are any.
    async fn after_response(&self, received: Received, total_ends: Option<web_time::Instant>) -> Result<Attempted> {
        if !self.hooks.has_after_response() {
            return Ok(Attempted::Received(received));
        }
        let response = self.response_until(received, total_ends);
        Ok(Attempted::Response(
            Box::pin(self.hooks.run_after_response(response)).await?,
        ))
    }

    /// The request as hooks see it: what the next attempt would send.
    fn hook_request(&mut self) -> Request {
        let mut request = Request::new(self.method.clone(), self.url.clone());
        *request.headers_mut() = self.headers.clone().into_owned();
        *request.body_mut() = self.next_body();
        request
    }

    /// Takes over what a `before_request` hook made of the request.
    fn adopt(&mut self, request: Request) {
        let (method, url, headers, body, _) = request.into_parts();
        self.method = method;
        self.url = url;
        self.headers = Cow::Owned(headers);
        self.body = Some(body);
    }

    /// Asks the `before_retry` hooks whether to go on after `failed`.
    async fn retry_stopped(&self, failed: &Result<Response>, attempt: u32, delay: std::time::Duration) -> Result<bool> {
        let reason = match failed {
            Ok(response) => RetryReason::Status(response.status()),
            Err(error) => RetryReason::Error(error),
        };
        let event = RetryEvent {
            url: &self.url,
            attempt,
            delay,
            reason,
            response: failed.as_ref().ok(),
        };
        Ok(self.hooks.run_before_retry(&event).await? == RetryDecision::Stop)
    }

    /// An attempt's response read whole (see [`Response::buffered`]).
    async fn buffered(&self, attempted: Attempted, total_ends: Option<web_time::Instant>) -> Result<Response> {
        let response = match attempted {
            Attempted::Received(received) => self.response_until(received, total_ends),
            Attempted::Response(response) => response,
        };
        response.buffered().await
    }

    /// The response of `received`, its body under the rest of `total`.
    fn response_until(&self, received: Received, total_ends: Option<web_time::Instant>) -> Response {
        let total = Deadline::until(&*self.client.timer, TimeoutKind::Total, self.timeout.total, total_ends);
        self.response_from(received, total)
    }

    /// The body for an attempt: a copy of the request's while it can be
    /// copied, else the request's own stream (which goes once; the retry
    /// policy knows it), else an empty stand-in.
    fn next_body(&mut self) -> Body {
        let copy = self.body.as_ref().and_then(Body::try_clone);
        copy.or_else(|| self.body.take()).unwrap_or_else(Body::unreplayable)
    }

    /// One attempt: follows redirects under the policy, storing cookies on
    /// the way.
    async fn follow_redirects(&mut self) -> Result<Received> {
        let body = self.next_body();
        let mut hop = Hop {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: Cow::Borrowed(&*self.headers),
            body,
        };
        let mut history: Vec<Url> = Vec::new();
        loop {
            let (head, body, permit) = self
                .send_on_open_connection(&mut hop)
                .await
                .map_err(|e| e.with_url(&hop.url))?;
            self.client.cookies.store(&head.headers, &hop.url, self.client.platform);
            let next =
                redirect::next_hop(&self.redirect, &hop, &head, &mut history).map_err(|e| e.with_url(&hop.url))?;
            let Some(next) = next else {
                let url = match head.extensions.get::<FinalUrl>() {
                    Some(FinalUrl(platform_url)) => {
                        history.push(hop.url);
                        platform_url.clone()
                    }
                    None => hop.url,
                };
                return Ok(Received {
                    head,
                    body,
                    url,
                    history,
                    permit,
                });
            };
            debug_event!(status = %head.status, from = %hop.url, to = %next.url, "following redirect");
            drop((body, permit));
            hop = next;
        }
    }

    /// The headers of `hop` with its cookies (those already in its
    /// headers, this request's own while on the original origin, and the
    /// jar's), every credential among them marked sensitive, also those
    /// set through `Request::headers_mut` or by hooks.
    fn hop_headers(&self, hop: &Hop<'_>) -> HeaderMap {
        let mut headers = self.with_cookies(hop);
        // The session's headers were marked when it was built, and a
        // `Cookie` header is marked as it is set: only a request's own
        // headers can hold unmarked credentials.
        if matches!(self.headers, Cow::Owned(_)) {
            headers::mark_sensitive(&mut headers);
        }
        headers
    }

    /// The headers of `hop` with its cookies.
    fn with_cookies(&self, hop: &Hop<'_>) -> HeaderMap {
        let jar_cookies = self.client.cookies.header_for(&hop.url, self.client.platform);
        let own_cookies = !self.cookies.is_empty() && hop.url.origin() == self.url.origin();
        if jar_cookies.is_none() && !own_cookies {
            return copy_with_room(&hop.headers);
        }
        let mut headers = hop.headers.clone().into_owned();
        let mut cookies: Vec<String> = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        if own_cookies {
            cookies.extend(self.cookies.iter().cloned());
        }
        cookies.extend(jar_cookies);
        headers.remove(COOKIE);
        if let Ok(mut value) = HeaderValue::from_str(&cookies.join("; ")) {
            value.set_sensitive(true);
            headers.insert(COOKIE, value);
        }
        headers
    }

    /// The response, its body read through the decoder, the size limit and
    /// the `total` and `sock_read` deadlines, holding the limit slots.
    fn response_from(&self, received: Received, total: Deadline) -> Response {
        let Received {
            mut head,
            body,
            url,
            history,
            permit,
        } = received;
        let decoder = self.decoder_for(&mut head);
        let budget = Budget {
            total,
            idle: IdleTimer::new(&self.client.timer, self.timeout.sock_read),
            max_bytes: self.max_body,
            streamed: false,
            #[cfg(feature = "tracing")]
            traced: (!self.span.is_disabled()).then(|| crate::trace::BodySpan {
                span: self.span.clone(),
                started: web_time::Instant::now(),
            }),
        };
        // A body the transport already holds in memory has left its
        // connection: it need not keep the request's slots.
        let permit = if body.as_bytes().is_some() {
            Permit::none()
        } else {
            permit
        };
        let body = Incoming::new(body, decoder, budget, permit);
        Response::new(head, url, history, body)
    }

    /// A decoder for the response's `Content-Encoding`, if the core decodes
    /// it; the head then loses its `Content-Encoding` and `Content-Length`.
    // Without the `decompress` feature no coding exists, so the end is unreachable.
    #[cfg_attr(not(feature = "decompress"), allow(unreachable_code))]
    fn decoder_for(&self, head: &mut http::response::Parts) -> Option<Decoder> {
        let no_body = self.method == Method::HEAD
            || head.status == StatusCode::NO_CONTENT
            || head.status == StatusCode::NOT_MODIFIED;
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
}

/// A copy of `headers` with room for one more: the `Host` that an
/// HTTP/1.1 connection adds. A clone is full to its capacity, and that
/// insert reallocated it: filling a map of the right size instead saved
/// 700 instructions a request (callgrind).
fn copy_with_room(headers: &HeaderMap) -> HeaderMap {
    // Room counts names (more values of a name go elsewhere); a map too
    // large for room is grown as it fills instead.
    let mut copy = HeaderMap::try_with_capacity(headers.keys_len() + 1).unwrap_or_default();
    copy.extend(headers.iter().map(|(name, value)| (name.clone(), value.clone())));
    copy
}
