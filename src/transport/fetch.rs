//! The browser and Node transport: the global `fetch`, bound to
//! `globalThis`, so it works in a window, any worker and Node 18+.
//!
//! * Cancellation: every exchange owns an `AbortController` in an
//!   [`AbortGuard`]. The guard lives in the send future and then in the
//!   response body, so dropping either — the caller gave up, or the core's
//!   `total`/`sock_read` timer fired — aborts the fetch for real. The core
//!   records *why* (timeout or drop) on the Rust side; JS error strings are
//!   never inspected to decide it.
//! * Response bodies stream through the `ReadableStream` reader, chunk by
//!   chunk. Request bodies are sent whole: a streamed [`Body`] is collected
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
//! * A failed `fetch()` (refused, DNS, CORS, TLS: the platform does not say
//!   which) is an [`is_connect`](crate::Error::is_connect) error carrying the
//!   JS error's message and `cause`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http_body::Frame;
use http_body_util::BodyExt;
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, ReadableStreamDefaultReader, RequestCache, RequestCredentials, RequestInit, RequestRedirect,
    ResponseType,
};

use super::{BoxFuture, FinalUrl, Phase, Platform, SendOptions, Timer, Transport};
use crate::{Body, Error, Result};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &web_sys::Request) -> Promise;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, milliseconds: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

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
fn running_in_node() -> bool {
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
            RequestRedirect::Manual
        } else {
            RequestRedirect::Follow
        };
        let credentials = if options.cookies && !self.node {
            RequestCredentials::Include
        } else {
            RequestCredentials::SameOrigin
        };
        Box::pin(send(request, redirect, credentials))
    }

    fn platform(&self) -> Platform {
        Platform::new(true, !self.node)
    }
}

async fn send(
    request: http::Request<Body>,
    redirect: RequestRedirect,
    credentials: RequestCredentials,
) -> Result<http::Response<Body>> {
    let guard = AbortGuard::new()?;
    let init = RequestInit::new();
    init.set_redirect(redirect);
    init.set_credentials(credentials);
    // Like the native client, no HTTP cache: it would also serialize
    // identical requests in flight behind Chromium's cache lock.
    init.set_cache(RequestCache::NoStore);
    init.set_signal(Some(&guard.controller.signal()));
    let request = js_request(request, init).await?;

    let response: web_sys::Response = JsFuture::from(global_fetch(&request))
        .await
        .map_err(|e| Error::transport(Phase::Connect, JsError::from(e)))?
        .unchecked_into();
    if response.type_() == ResponseType::Opaqueredirect {
        return Err(Error::redirect(
            "the browser does not show redirect responses to scripts; this session's policy does not follow them",
        ));
    }
    let body = match response.body() {
        Some(stream) => {
            let reader = ReadableStreamDefaultReader::new(&stream)
                .map_err(|e| Error::transport(Phase::Body, JsError::from(e)))?;
            Body::from_http_body(FetchBody {
                reader,
                pending: None,
                _guard: guard,
            })
        }
        None => Body::empty(),
    };
    response_head(&response)
        .body(body)
        .map_err(|e| Error::transport(Phase::Headers, e))
}

/// The JS `Request` for `request`, its body collected first.
async fn js_request(request: http::Request<Body>, init: RequestInit) -> Result<web_sys::Request> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    init.set_method(parts.method.as_str());
    let headers = web_sys::Headers::new().map_err(|e| Error::transport(Phase::Send, JsError::from(e)))?;
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .append(name.as_str(), &value)
            .map_err(|e| Error::builder(JsError::from(e)))?;
    }
    init.set_headers(&headers);
    if !body.is_empty() {
        init.set_body(&Uint8Array::from(&body[..]));
    }
    let url = parts.uri.to_string();
    web_sys::Request::new_with_str_and_init(&url, &init).map_err(|e| Error::builder(JsError::from(e)))
}

/// Status, headers and (after redirects the browser followed) the final URL.
fn response_head(response: &web_sys::Response) -> http::response::Builder {
    let mut head = http::Response::builder().status(response.status());
    for entry in js_sys::try_iter(&response.headers())
        .ok()
        .flatten()
        .into_iter()
        .flatten()
    {
        let Ok(entry) = entry else { continue };
        let pair: js_sys::Array = entry.unchecked_into();
        if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            head = head.header(name, value);
        }
    }
    if response.redirected() {
        if let Ok(url) = url::Url::parse(&response.url()) {
            head = head.extension(FinalUrl(url));
        }
    }
    head
}

/// Aborts the fetch when dropped (a no-op once it has completed).
struct AbortGuard {
    controller: AbortController,
}

impl AbortGuard {
    fn new() -> Result<AbortGuard> {
        let controller = AbortController::new().map_err(|e| Error::transport(Phase::Send, JsError::from(e)))?;
        Ok(AbortGuard { controller })
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        self.controller.abort();
    }
}

/// A response body read from the stream's reader, one chunk per `read()`.
///
/// Dropping it drops the guard, whose abort errors the stream and releases
/// the connection.
struct FetchBody {
    reader: ReadableStreamDefaultReader,
    pending: Option<JsFuture>,
    _guard: AbortGuard,
}

impl http_body::Body for FetchBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
        let this = &mut *self;
        let reader = &this.reader;
        let read = this.pending.get_or_insert_with(|| JsFuture::from(reader.read()));
        let result = match read.poll_unpin(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.pending = None;
        let chunk = result.map_err(|e| Error::transport(Phase::Body, JsError::from(e)))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|done| done.as_bool())
            .unwrap_or(true);
        if done {
            return Poll::Ready(None);
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
        let bytes = value
            .dyn_into::<Uint8Array>()
            .map(|array| array.to_vec())
            .unwrap_or_default();
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(bytes)))))
    }
}

/// A JS exception as a Rust error: its name, message and `cause`.
#[derive(Debug)]
struct JsError(String);

impl From<JsValue> for JsError {
    fn from(value: JsValue) -> JsError {
        JsError(describe(&value))
    }
}

fn describe(value: &JsValue) -> String {
    let Some(error) = value.dyn_ref::<js_sys::Error>() else {
        return value.as_string().unwrap_or_else(|| format!("{value:?}"));
    };
    let mut text = format!("{}: {}", String::from(error.name()), String::from(error.message()));
    let cause = error.cause();
    if !cause.is_undefined() && !cause.is_null() {
        text.push_str(&format!(" (cause: {})", describe(&cause)));
    }
    text
}

impl std::fmt::Display for JsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsError {}

/// The [`Timer`] of `wasm32-unknown-unknown`: the global `setTimeout`,
/// cleared when the sleep is dropped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JsTimer;

impl Timer for JsTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(Sleep::new(duration))
    }
}

struct Sleep {
    fired: futures_channel::oneshot::Receiver<()>,
    handle: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Sleep {
    fn new(duration: Duration) -> Sleep {
        let (fire, fired) = futures_channel::oneshot::channel();
        let mut fire = Some(fire);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(fire) = fire.take() {
                let _ = fire.send(());
            }
        });
        // setTimeout's delay is a signed 32-bit number of milliseconds.
        let milliseconds = duration.as_millis().min(i32::MAX as u128) as f64;
        let handle = set_timeout(callback.as_ref().unchecked_ref(), milliseconds);
        Sleep {
            fired,
            handle,
            _callback: callback,
        }
    }
}

impl std::future::Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.fired.poll_unpin(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}
