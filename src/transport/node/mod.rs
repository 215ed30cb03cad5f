//! The Node transport: `node:http` and `node:https` with a keep-alive
//! agent per session, chosen on `wasm32-unknown-unknown` when the module
//! runs in Node (browsers, Deno and workers get [`FetchTransport`](super::FetchTransport)).
//!
//! Node's `fetch` is undici behind WHATWG streams and an `AbortController`
//! per request; `node:http` does the same exchange with a few times less
//! CPU, and shows what fetch hides:
//!
//! * Redirects and `Set-Cookie` reach the core (it follows and stores them).
//! * `connect` and `sock_connect` are enforced (from the request's start,
//!   and from the socket's, until TCP and TLS are done).
//! * Bodies are decoded with `node:zlib` (gzip, deflate, br, and zstd where
//!   Node has it), unless the request asks for them as sent.
//! * Errors say their phase: connect, TLS, the response head, the body.
//! * Small bodies (a declared length of at most 64 KiB, not compressed, no
//!   `sock_read`) are read in one piece; others stream chunk by chunk.
//!
//! Dropping the future or the body before its end destroys the request
//! (its socket is not reused); a finished exchange is left alone.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http_body::Frame;
use http_body_util::BodyExt;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

mod bindings;

use self::bindings::{accepted_encodings, node_agents, node_modules, NodeExchange};
use super::js::{header_lines, JsError};
use super::{BoxFuture, Phase, Platform, SendOptions, TimeoutKind, Transport};
use crate::{Body, Error, Result};

thread_local! {
    /// The Node modules once loaded (every session shares them).
    static MODULES: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// `node:http`, `node:https` and `node:zlib`.
async fn modules() -> Result<JsValue> {
    if let Some(modules) = MODULES.with(|m| m.borrow().clone()) {
        return Ok(modules);
    }
    let modules = JsFuture::from(node_modules())
        .await
        .map_err(|e| Error::transport(Phase::Connect, JsError::from(e)))?;
    MODULES.with(|m| *m.borrow_mut() = Some(modules.clone()));
    Ok(modules)
}

/// Bodies up to this declared length come with the head, in one piece.
const WHOLE_BODY: u64 = 64 * 1024;

/// The [`Transport`] of `wasm32-unknown-unknown` in Node: `node:http(s)`.
#[derive(Debug, Clone, Default)]
pub struct NodeTransport {
    /// This session's keep-alive agents, made at the first request.
    agents: Rc<RefCell<Option<JsValue>>>,
}

impl NodeTransport {
    /// A transport over `node:http` and `node:https` (in Node only).
    pub fn new() -> NodeTransport {
        NodeTransport::default()
    }

    fn agents(&self, modules: &JsValue) -> JsValue {
        self.agents
            .borrow_mut()
            .get_or_insert_with(|| node_agents(modules))
            .clone()
    }
}

impl Transport for NodeTransport {
    fn send(
        &self,
        request: http::Request<Body>,
        options: SendOptions,
    ) -> BoxFuture<'static, Result<http::Response<Body>>> {
        let transport = self.clone();
        Box::pin(async move {
            let modules = modules().await?;
            let agents = transport.agents(&modules);
            send(&modules, &agents, request, &options).await
        })
    }

    fn platform(&self) -> Platform {
        Platform::new(true, false)
    }
}

async fn send(
    modules: &JsValue,
    agents: &JsValue,
    request: http::Request<Body>,
    options: &SendOptions,
) -> Result<http::Response<Body>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let mut headers = header_lines(&parts.headers);
    // Node sends a body without a length for methods it expects none from.
    if !body.is_empty() && !parts.headers.contains_key(http::header::CONTENT_LENGTH) {
        headers.push_str(&format!("content-length:{}\n", body.len()));
    }
    if options.decompress && !parts.headers.contains_key(http::header::ACCEPT_ENCODING) {
        headers.push_str("accept-encoding:");
        headers.push_str(&accepted_encodings(modules));
    }
    let whole_up_to = if options.sock_read.is_none() { WHOLE_BODY } else { 0 };
    let millis = |limit: Option<Duration>| limit.map_or(-1.0, |d| d.as_millis() as f64);
    let exchange = NodeExchange::new(
        modules,
        agents,
        &parts.uri.to_string(),
        parts.method.as_str(),
        &headers,
        (!body.is_empty()).then(|| Uint8Array::from(&body[..])),
        options.decompress,
        whole_up_to as f64,
        millis(options.connect),
        millis(options.sock_connect),
    )
    .map_err(|e| Error::transport(Phase::Send, JsError::from(e)))?;
    let guard = Guard { exchange, armed: true };
    JsFuture::from(guard.exchange.response())
        .await
        .map_err(|e| error_from(e, options))?;
    let mut head = http::Response::builder().status(guard.exchange.status());
    for line in guard.exchange.header_block().lines() {
        if let Some((name, value)) = line.split_once(':') {
            head = head.header(name, value.trim_start());
        }
    }
    let body = if let Some(whole) = guard.exchange.body() {
        let mut guard = guard;
        guard.armed = false;
        Body::from(whole.to_vec())
    } else {
        let pending = guard.exchange.whole().map(JsFuture::from);
        Body::from_http_body(NodeBody { guard, pending })
    };
    head.body(body).map_err(|e| Error::transport(Phase::Headers, e))
}

/// The core's error for a JS failure, by the phase the glue gave it.
fn error_from(value: JsValue, options: &SendOptions) -> Error {
    let text = |key: &str| Reflect::get(&value, &key.into()).ok().and_then(|v| v.as_string());
    let code = text("ufCode");
    let phase = match text("ufPhase").as_deref() {
        Some("dns") => Phase::Resolve,
        Some("tls") => Phase::Tls,
        Some("headers") => Phase::Headers,
        Some("body") => Phase::Body,
        _ => Phase::Connect,
    };
    match code.as_deref() {
        Some("connect") => Error::timeout_after(TimeoutKind::Connect, phase, options.connect.unwrap_or_default()),
        Some("sock_connect") => Error::timeout_after(
            TimeoutKind::SockConnect,
            phase,
            options.sock_connect.unwrap_or_default(),
        ),
        Some("decode") => Error::decode(JsError::from(value)),
        _ => Error::transport(phase, JsError::from(value)),
    }
}

/// Destroys the exchange when dropped before it finished.
struct Guard {
    exchange: NodeExchange,
    armed: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.armed {
            self.exchange.abort();
        }
    }
}

/// A response body: the promise of a small one whole, or one `read()`
/// per chunk.
struct NodeBody {
    guard: Guard,
    pending: Option<JsFuture>,
}

impl http_body::Body for NodeBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
        let this = &mut *self;
        if !this.guard.armed {
            return Poll::Ready(None);
        }
        let exchange = &this.guard.exchange;
        let read = this.pending.get_or_insert_with(|| JsFuture::from(exchange.read()));
        let result = match read.poll_unpin(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.pending = None;
        let chunk = result.map_err(|e| error_from(e, &SendOptions::default()))?;
        match chunk.dyn_into::<Uint8Array>() {
            // A whole body ends the exchange with its one chunk.
            Ok(bytes) if this.guard.exchange.body().is_some() => {
                this.guard.armed = false;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(bytes.to_vec())))))
            }
            Ok(bytes) => Poll::Ready(Some(Ok(Frame::data(Bytes::from(bytes.to_vec()))))),
            Err(_) => {
                this.guard.armed = false;
                Poll::Ready(None)
            }
        }
    }
}
