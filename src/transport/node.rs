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
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{BoxFuture, Phase, Platform, SendOptions, TimeoutKind, Transport};
use crate::{Body, Error, Result};

#[wasm_bindgen(inline_js = r#"
let loading;
export function nodeModules() {
  loading ??= Promise.all([import('node:http'), import('node:https'), import('node:zlib')]).then(
    ([http, https, zlib]) => ({ http, https, zlib }),
  );
  return loading;
}

export function nodeAgents(modules) {
  return {
    http: new modules.http.Agent({ keepAlive: true }),
    https: new modules.https.Agent({ keepAlive: true }),
  };
}

const DECODERS = { gzip: 'createGunzip', 'x-gzip': 'createGunzip', deflate: 'createInflate', br: 'createBrotliDecompress', zstd: 'createZstdDecompress' };

export function acceptedEncodings(modules) {
  return modules.zlib.createZstdDecompress ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br';
}

function failure(error, phase, code) {
  const failed = error instanceof Error ? error : new Error(String(error));
  failed.ufPhase ??= phase;
  if (code) failed.ufCode ??= code;
  return failed;
}

export class NodeExchange {
  constructor(modules, agents, url, method, headerBlock, body, decompress, wholeUpTo, connectMs, sockConnectMs) {
    this.done = false;
    this.phase = 'connect';
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const headers = {};
    for (const line of headerBlock.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1);
      const known = headers[name];
      headers[name] = known === undefined ? value : [].concat(known, value);
    }
    this.response = new Promise((resolve, reject) => {
      this.reject = reject;
      const options = { method, headers, agent: secure ? agents.https : agents.http };
      const request = (secure ? modules.https : modules.http).request(target, options, (response) =>
        this.#received(modules, response, decompress && method !== 'HEAD', wholeUpTo, resolve, reject),
      );
      this.request = request;
      request.on('error', (error) => this.#fail(failure(error, this.#phaseOf(error))));
      this.#guardConnect(request, secure, connectMs, sockConnectMs);
      request.end(body);
    });
  }

  /** The phase of a request error: a reset of a reused keep-alive socket is
   *  the server closing it while idle, a connect failure (retried). */
  #phaseOf(error) {
    if (this.phase !== 'body' && this.request?.reusedSocket && error?.code === 'ECONNRESET') return 'connect';
    if (error?.code === 'ENOTFOUND' || error?.code === 'EAI_AGAIN') return 'dns';
    return this.phase;
  }

  #guardConnect(request, secure, connectMs, sockConnectMs) {
    const timers = [];
    const clear = () => timers.forEach(clearTimeout);
    const expire = (ms, code) => {
      if (ms >= 0) timers.push(setTimeout(() => request.destroy(failure(new Error(code), this.phase, code)), ms));
    };
    request.once('close', clear);
    expire(connectMs, 'connect');
    request.once('socket', (socket) => {
      const connected = () => {
        this.phase = 'headers';
        clear();
      };
      if (!socket.connecting && (!secure || socket.encrypted)) return connected();
      expire(sockConnectMs, 'sock_connect');
      if (secure) {
        socket.once('connect', () => (this.phase = 'tls'));
        socket.once('secureConnect', connected);
      } else {
        socket.once('connect', connected);
      }
    });
  }

  #received(modules, response, decompress, wholeUpTo, resolve, reject) {
    this.phase = 'body';
    this.status = response.statusCode;
    const raw = response.rawHeaders;
    let coding;
    let length;
    let block = '';
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (name === 'content-encoding') coding = raw[i + 1].trim().toLowerCase();
      if (name === 'content-length') length = Number(raw[i + 1]);
    }
    const bodiless = this.status === 204 || this.status === 304;
    const decoder = decompress && !bodiless && coding && DECODERS[coding] && modules.zlib[DECODERS[coding]];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (decoder && (name === 'content-encoding' || name === 'content-length')) continue;
      block += raw[i] + ':' + raw[i + 1] + '\n';
    }
    this.headerBlock = block;
    let stream = response;
    if (decoder) {
      stream = decoder.call(modules.zlib);
      response.on('error', (error) => stream.destroy(failure(error, 'body')));
      response.pipe(stream);
    }
    this.stream = stream;
    stream.on('end', () => (this.done = true));
    // Kept for the reader (an error before the first read must not go unheard).
    stream.on('error', (error) => (this.error ??= error));
    // A decoded body is read as it comes: its size is not its Content-Length.
    if (!decoder && length !== undefined && length <= wholeUpTo) {
      // Collected here; often complete before Rust looks (the parser ends
      // a small response in the same tick as its head).
      this.whole = new Promise((done, failed) => {
        const chunks = [];
        stream.on('data', (chunk) => chunks.push(chunk));
        stream.on('error', (error) => failed(failure(error, 'body')));
        stream.on('close', () => this.done || failed(failure(new Error('the connection closed before the body ended'), 'body')));
        stream.on('end', () => {
          this.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          done(this.body);
        });
      });
      this.whole.catch(() => {});
    } else {
      this.chunks = stream[Symbol.asyncIterator]();
      this.decoding = Boolean(decoder);
    }
    resolve();
  }

  #fail(error) {
    if (this.phase === 'body' && this.stream) this.stream.destroy(error);
    else this.reject(error);
  }

  /** The next chunk of a streamed body, `undefined` at its end. */
  read() {
    return this.chunks.next().then(
      (next) => (next.done ? undefined : next.value),
      (error) => {
        throw failure(error, 'body', this.decoding && !error.ufPhase ? 'decode' : undefined);
      },
    );
  }

  /** Ends the exchange early: the request and its socket are destroyed. */
  abort() {
    if (this.done) return;
    this.done = true;
    this.stream?.destroy();
    this.request?.destroy();
  }
}
"#)]
extern "C" {
    /// Loads `node:http`, `node:https` and `node:zlib` (once).
    #[wasm_bindgen(js_name = nodeModules)]
    fn node_modules() -> Promise;

    /// Keep-alive agents for `http:` and `https:`.
    #[wasm_bindgen(js_name = nodeAgents)]
    fn node_agents(modules: &JsValue) -> JsValue;

    /// The `Accept-Encoding` this Node can decode.
    #[wasm_bindgen(js_name = acceptedEncodings)]
    fn accepted_encodings(modules: &JsValue) -> String;

    type NodeExchange;

    #[wasm_bindgen(constructor, catch)]
    #[allow(clippy::too_many_arguments)]
    fn new(
        modules: &JsValue,
        agents: &JsValue,
        url: &str,
        method: &str,
        header_block: &str,
        body: Option<Uint8Array>,
        decompress: bool,
        whole_up_to: f64,
        connect_ms: f64,
        sock_connect_ms: f64,
    ) -> std::result::Result<NodeExchange, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn response(this: &NodeExchange) -> Promise;

    #[wasm_bindgen(method, getter)]
    fn status(this: &NodeExchange) -> u16;

    #[wasm_bindgen(method, getter, js_name = headerBlock)]
    fn header_block(this: &NodeExchange) -> String;

    /// The whole body, once a small one has been read.
    #[wasm_bindgen(method, getter)]
    fn body(this: &NodeExchange) -> Option<Uint8Array>;

    /// The promise of the whole body, for a small one.
    #[wasm_bindgen(method, getter)]
    fn whole(this: &NodeExchange) -> Option<Promise>;

    #[wasm_bindgen(method)]
    fn read(this: &NodeExchange) -> Promise;

    #[wasm_bindgen(method)]
    fn abort(this: &NodeExchange);
}

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
        .map_err(|e| Error::transport(Phase::Connect, NodeError::from(e)))?;
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
    let mut headers = String::new();
    for (name, value) in &parts.headers {
        headers.push_str(name.as_str());
        headers.push(':');
        headers.push_str(&String::from_utf8_lossy(value.as_bytes()));
        headers.push('\n');
    }
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
    .map_err(|e| Error::transport(Phase::Send, NodeError::from(e)))?;
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
        Some("decode") => Error::decode(NodeError::from(value)),
        _ => Error::transport(phase, NodeError::from(value)),
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

/// A Node error as a Rust error: its code and message.
#[derive(Debug)]
struct NodeError(String);

impl From<JsValue> for NodeError {
    fn from(value: JsValue) -> NodeError {
        let Some(error) = value.dyn_ref::<js_sys::Error>() else {
            return NodeError(value.as_string().unwrap_or_else(|| format!("{value:?}")));
        };
        let code = Reflect::get(error, &"code".into()).ok().and_then(|c| c.as_string());
        let message = String::from(error.message());
        NodeError(match code {
            Some(code) if !message.contains(&code) => format!("{code}: {message}"),
            _ => message,
        })
    }
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NodeError {}
