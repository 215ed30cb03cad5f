//! The browser transport: the global `fetch`, bound to `globalThis`, so it
//! works in a window, any worker, Deno, and Node 18+ when asked for (Node's
//! default is [`NodeTransport`](super::NodeTransport)).
//!
//! * Cancellation: every exchange owns an `AbortController` in an
//!   [`AbortGuard`]. The guard lives in the send future and then in the
//!   response body, so dropping either — the caller gave up, or the core's
//!   `total`/`sock_read` timer fired — aborts the fetch for real. The core
//!   records *why* (timeout or drop) on the Rust side; JS error strings are
//!   never inspected to decide it.
//! * Response bodies stream through the `ReadableStream` reader, chunk by
//!   chunk; a small one that is not compressed is read with one
//!   `arrayBuffer()` when no `sock_read` watches it. Request bodies are sent whole: a streamed [`Body`] is collected
//!   first, because browsers only stream uploads over HTTP/2.
//! * What the platform does not expose: `connect`/`sock_connect` timeouts
//!   (folded into `total`), the pool, proxies and TLS options (the
//!   browser's), DNS. Bodies arrive decoded.
//! * Redirects: Node hands 3xx responses over (`redirect: "manual"`), so the
//!   core's policy applies in full. Browsers hide them (an opaque redirect),
//!   so they follow redirects themselves when the policy follows (the final
//!   URL is reported to the core with [`FinalUrl`]; a custom policy is not
//!   consulted and the browser's own limit of 20 hops applies), and
//!   `Redirect::none()` makes a redirect an `is_redirect()` error.
//! * Cookies: browsers keep them (`credentials: "include"` when the session
//!   has a cookie jar); Node has no jar, so the core's is used there.
//! * Requests bypass the HTTP cache (`cache: "no-store"`), as natively.
//! * A failed `fetch()` (refused, DNS, CORS, TLS, or a request the platform
//!   refuses: it does not say which) is an [`is_connect`](crate::Error::is_connect)
//!   error carrying the JS error's message and `cause`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http_body::Frame;
use http_body_util::BodyExt;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, ResponseType};

use super::js::{fetch_with, header_block, header_lines, start_timer, stop_timer, JsError};
use super::{BoxFuture, FinalUrl, Phase, Platform, SendOptions, Timer, Transport};
use crate::{Body, Error, Result};

/// The [`Transport`] of `wasm32-unknown-unknown`: the global `fetch`.
#[derive(Debug, Clone)]
pub struct FetchTransport {
    /// Node's fetch shows redirects and keeps no cookies; browsers differ.
    node: bool,
}

impl Default for FetchTransport {
    fn default() -> FetchTransport {
        FetchTransport::new()
    }
}

impl FetchTransport {
    /// A transport over the global `fetch`.
    pub fn new() -> FetchTransport {
        FetchTransport {
            node: running_in_node(),
        }
    }
}

/// Whether `globalThis.process.versions.node` exists.
pub(super) fn running_in_node() -> bool {
    let lookup = |target: &JsValue, key: &str| Reflect::get(target, &JsValue::from_str(key)).ok();
    lookup(&js_sys::global(), "process")
        .filter(|p| p.is_object())
        .and_then(|process| lookup(&process, "versions"))
        .filter(|v| v.is_object())
        .and_then(|versions| lookup(&versions, "node"))
        .is_some_and(|node| node.is_string())
}

impl Transport for FetchTransport {
    fn send(
        &self,
        request: http::Request<Body>,
        options: SendOptions,
    ) -> BoxFuture<'static, Result<http::Response<Body>>> {
        let redirect = if self.node || !options.follow_redirects {
            "manual"
        } else {
            "follow"
        };
        let credentials = if options.cookies && !self.node {
            "include"
        } else {
            "same-origin"
        };
        // Read whole, a body would show no progress to `sock_read`.
        let whole_if_small = options.sock_read.is_none();
        Box::pin(send(request, redirect, credentials, whole_if_small))
    }

    fn platform(&self) -> Platform {
        Platform::new(true, !self.node)
    }
}

async fn send(
    request: http::Request<Body>,
    redirect: &str,
    credentials: &str,
    whole_if_small: bool,
) -> Result<http::Response<Body>> {
    let guard = AbortGuard::new()?;
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let headers = header_lines(&parts.headers);
    let body = (!body.is_empty()).then(|| Uint8Array::from(&body[..]));
    // Like the native client, no HTTP cache (`cache: "no-store"`): it would
    // also serialize identical requests in flight behind Chromium's cache lock.
    let url = parts.uri.to_string();
    let method = parts.method.as_str();
    let signal = guard.controller.signal();
    let fetched = fetch_with(&url, method, &headers, body, redirect, credentials, &signal);
    let response: web_sys::Response = JsFuture::from(fetched)
        .await
        .map_err(|e| Error::transport(Phase::Connect, JsError::from(e)))?
        .unchecked_into();
    if response.type_() == ResponseType::Opaqueredirect {
        return Err(Error::redirect(
            "the browser does not show redirect responses to scripts; this session's policy does not follow them",
        ));
    }
    let head = response_head(&response)?;
    let body = match response.body() {
        None => {
            let mut guard = guard;
            guard.disarm();
            Body::empty()
        }
        Some(_) if whole_if_small && small_body(&head) => Body::from_http_body(FetchBody {
            state: Reading::Whole(JsFuture::from(
                response
                    .array_buffer()
                    .map_err(|e| Error::transport(Phase::Body, JsError::from(e)))?,
            )),
            guard: Some(guard),
        }),
        Some(stream) => {
            let reader = ReadableStreamDefaultReader::new(&stream)
                .map_err(|e| Error::transport(Phase::Body, JsError::from(e)))?;
            Body::from_http_body(FetchBody {
                state: Reading::Chunks { reader, pending: None },
                guard: Some(guard),
            })
        }
    };
    head.body(body).map_err(|e| Error::transport(Phase::Headers, e))
}

/// A body read from a JS `ReadableStream` of `Uint8Array`s, chunk by chunk
/// (dropping it cancels the stream): for a response made in JS, such as
/// one a JS hook returns.
pub fn body_from_stream(stream: &web_sys::ReadableStream) -> Result<Body> {
    let reader =
        ReadableStreamDefaultReader::new(stream).map_err(|e| Error::transport(Phase::Body, JsError::from(e)))?;
    Ok(Body::from_http_body(FetchBody {
        state: Reading::Chunks { reader, pending: None },
        guard: None,
    }))
}

/// Bodies up to this declared length are read in one call (`arrayBuffer()`)
/// rather than chunk by chunk: one promise instead of a reader and two reads.
const SMALL_BODY: u64 = 64 * 1024;

/// Whether the response declares a body of at most [`SMALL_BODY`] bytes
/// that is not compressed (decoded, a compressed body can be far larger).
fn small_body(head: &http::response::Builder) -> bool {
    let Some(headers) = head.headers_ref() else {
        return false;
    };
    !headers.contains_key(http::header::CONTENT_ENCODING)
        && headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|length| length <= SMALL_BODY)
}

/// Status, headers and (after redirects the browser followed) the final URL.
fn response_head(response: &web_sys::Response) -> Result<http::response::Builder> {
    let mut head = http::Response::builder().status(response.status());
    for line in header_block(&response.headers()).lines() {
        if let Some((name, value)) = line.split_once(':') {
            head = head.header(name, value);
        }
    }
    if response.redirected() {
        if let Ok(url) = url::Url::parse(&response.url()) {
            head = head.extension(FinalUrl(url));
        }
    }
    Ok(head)
}

/// Aborts the fetch when dropped, unless it has completed ([`disarm`](Self::disarm)).
struct AbortGuard {
    controller: AbortController,
    armed: bool,
}

impl AbortGuard {
    fn new() -> Result<AbortGuard> {
        let controller = AbortController::new().map_err(|e| Error::transport(Phase::Send, JsError::from(e)))?;
        Ok(AbortGuard {
            controller,
            armed: true,
        })
    }

    /// The exchange is over: nothing to abort (and aborting would cost a
    /// `DOMException` and an event for nothing).
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if self.armed {
            self.controller.abort();
        }
    }
}

/// A response body read from the platform: whole when it is small, else
/// from the stream's reader, one chunk per `read()`.
///
/// Dropping it before its end drops the guard, whose abort errors the
/// stream and releases the connection.
struct FetchBody {
    state: Reading,
    /// Aborts the fetch the body came from (none for a stream made in JS).
    guard: Option<AbortGuard>,
}

enum Reading {
    /// `arrayBuffer()` under way.
    Whole(JsFuture),
    Chunks {
        reader: ReadableStreamDefaultReader,
        pending: Option<JsFuture>,
    },
    Done,
}

impl FetchBody {
    /// The body has ended: nothing to abort or cancel any more.
    fn disarm(&mut self) {
        if let Some(guard) = &mut self.guard {
            guard.disarm();
        }
    }
}

impl Drop for FetchBody {
    fn drop(&mut self) {
        // A fetch's body is aborted by its guard; a stream made in JS is cancelled.
        if let (None, Reading::Chunks { reader, .. }) = (&self.guard, &self.state) {
            let _ = reader.cancel();
        }
    }
}

impl http_body::Body for FetchBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
        let this = &mut *self;
        let chunk = match &mut this.state {
            Reading::Done => return Poll::Ready(None),
            Reading::Whole(whole) => match whole.poll_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(buffer) => {
                    this.state = Reading::Done;
                    this.disarm();
                    let buffer = buffer.map_err(|e| Error::transport(Phase::Body, JsError::from(e)))?;
                    Some(Uint8Array::new(&buffer).to_vec()).filter(|bytes| !bytes.is_empty())
                }
            },
            Reading::Chunks { reader, pending } => {
                let read = pending.get_or_insert_with(|| JsFuture::from(reader.read()));
                let result = match read.poll_unpin(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result,
                };
                *pending = None;
                let chunk = result.map_err(|e| Error::transport(Phase::Body, JsError::from(e)))?;
                let done = Reflect::get(&chunk, &JsValue::from_str("done"))
                    .ok()
                    .and_then(|done| done.as_bool())
                    .unwrap_or(true);
                if done {
                    this.state = Reading::Done;
                    this.disarm();
                    None
                } else {
                    let value = Reflect::get(&chunk, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
                    Some(
                        value
                            .dyn_into::<Uint8Array>()
                            .map(|array| array.to_vec())
                            .unwrap_or_default(),
                    )
                }
            }
        };
        Poll::Ready(chunk.map(|bytes| Ok(Frame::data(Bytes::from(bytes)))))
    }
}

/// The [`Timer`] of `wasm32-unknown-unknown`: the global `setTimeout`,
/// cleared when the sleep is dropped. Every timer calls back the same
/// function with its number (a closure per timer would cost a JS function
/// and a finalizer each).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JsTimer;

impl Timer for JsTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(Sleep::new(duration))
    }
}

thread_local! {
    /// The sleeps waiting, by number: fired or not, and whom to wake.
    static SLEEPS: RefCell<Sleeps> = RefCell::new(Sleeps::default());
    /// `wake(id)`, the callback of every timer.
    static WAKE: Closure<dyn Fn(u32)> = Closure::new(|id: u32| {
        let waker = SLEEPS.with(|sleeps| {
            let mut sleeps = sleeps.borrow_mut();
            let state = sleeps.waiting.get_mut(&id)?;
            state.fired = true;
            state.waker.take()
        });
        if let Some(waker) = waker {
            waker.wake();
        }
    });
}

#[derive(Default)]
struct Sleeps {
    next: u32,
    waiting: HashMap<u32, SleepState>,
}

#[derive(Default)]
struct SleepState {
    fired: bool,
    waker: Option<Waker>,
}

struct Sleep {
    id: u32,
    handle: JsValue,
}

impl Sleep {
    fn new(duration: Duration) -> Sleep {
        let id = SLEEPS.with(|sleeps| {
            let mut sleeps = sleeps.borrow_mut();
            sleeps.next = sleeps.next.wrapping_add(1);
            let id = sleeps.next;
            sleeps.waiting.insert(id, SleepState::default());
            id
        });
        // setTimeout's delay is a signed 32-bit number of milliseconds.
        let milliseconds = duration.as_millis().min(i32::MAX as u128) as f64;
        let handle = WAKE.with(|wake| start_timer(wake.as_ref().unchecked_ref(), id, milliseconds));
        Sleep { id, handle }
    }
}

impl std::future::Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        SLEEPS.with(|sleeps| {
            let mut sleeps = sleeps.borrow_mut();
            let Some(state) = sleeps.waiting.get_mut(&self.id) else {
                return Poll::Ready(());
            };
            if state.fired {
                return Poll::Ready(());
            }
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        let fired = SLEEPS.with(|sleeps| sleeps.borrow_mut().waiting.remove(&self.id).is_some_and(|s| s.fired));
        if !fired {
            stop_timer(&self.handle);
        }
    }
}
