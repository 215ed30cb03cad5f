//! The WASI 0.2 transport: `wasi:http/outgoing-handler`, driven by the
//! `wstd` reactor (tokio cannot drive wasi:http).
//!
//! The raw `wasip2` bindings are used for the exchange itself, with wstd
//! only for its reactor, its async output stream and its timer:
//!
//! * request bodies stream from our [`Body`] (which is not `Send` on wasm,
//!   and wstd's client wants a `Send` body);
//! * a whole body is written and finished before the request starts when
//!   the host can buffer it, and an empty one never opens its stream —
//!   wstd 0.6.8 writes a zero-length body after the request started, which
//!   hosts reset about a third of the time (the `many_gets_in_a_row`
//!   scenario guards against it); larger and streamed bodies stream;
//! * errors keep the host's `error-code`, so each maps to a phase (DNS,
//!   connect, TLS, headers, body) and host-side timeouts to our timeout kinds.
//!
//! Timeouts: `connect`/`sock_connect` → `connect-timeout` (the smaller of
//! the two), `sock_read` → `first-byte-timeout` and `between-bytes-timeout`,
//! where the host supports them. The core's timer enforces `total` and
//! `sock_read` everywhere; the host's read timeouts are set a little longer
//! ([`HOST_READ_GRACE`]) so that the core's fires first and the error says
//! exactly what happened (wasmtime reports its own read timeouts as bare
//! stream errors), the host's remaining a backstop. DNS, the pool, proxies
//! and TLS are the host's.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http_body::Frame;
use http_body_util::BodyExt;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, HeaderError, IncomingBody, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};
use wstd::io::{AsyncOutputStream, AsyncPollable};
use wstd::runtime::WaitFor;

use super::{BoxFuture, Phase, SendOptions, TimeoutKind, Timer, Transport};
use crate::{Body, Error, Result};

/// The [`Transport`] of `wasm32-wasip2`: `wasi:http/outgoing-handler`.
///
/// Requests must be sent from within wstd's reactor
/// (`wstd::runtime::block_on`, `#[wstd::main]`, `#[wstd::test]`).
#[derive(Debug, Clone, Default)]
pub struct WasiTransport {
    _private: (),
}

impl WasiTransport {
    /// A transport over the host's `wasi:http`.
    pub fn new() -> WasiTransport {
        WasiTransport::default()
    }
}

impl Transport for WasiTransport {
    fn send(
        &self,
        request: http::Request<Body>,
        options: SendOptions,
    ) -> BoxFuture<'static, Result<http::Response<Body>>> {
        Box::pin(send(request, options))
    }
}

async fn send(request: http::Request<Body>, options: SendOptions) -> Result<http::Response<Body>> {
    let (parts, body) = request.into_parts();
    let outgoing = outgoing_request(&parts)?;
    let outgoing_body = outgoing
        .body()
        .map_err(|()| Error::transport(Phase::Send, "request body already taken"))?;
    let upload = Upload::start(outgoing_body, body)?;
    let (request_options, connect_kind) = request_options(&options);
    let pending = outgoing_handler::handle(outgoing, Some(request_options))
        .map_err(|code| from_error_code(code, Phase::Send, connect_kind, &options))?;

    let upload = upload.finish();
    let head = receive_head(pending, connect_kind, &options);
    let ((), incoming) = futures_util::future::try_join(upload, head).await?;

    let mut head = http::Response::builder().status(incoming.status());
    for (name, value) in incoming.headers().entries() {
        head = head.header(name, value);
    }
    let body = incoming
        .consume()
        .map_err(|()| Error::transport(Phase::Body, "response body already taken"))?;
    drop(incoming);
    let stream = body
        .stream()
        .map_err(|()| Error::transport(Phase::Body, "response stream already taken"))?;
    let body = Body::from_http_body(WasiBody {
        wait: None,
        subscription: None,
        stream: Some(stream),
        body: Some(body),
        sock_read: options.sock_read,
    });
    head.body(body).map_err(|e| Error::transport(Phase::Headers, e))
}

/// The request head as a wasi:http `outgoing-request`.
fn outgoing_request(parts: &http::request::Parts) -> Result<OutgoingRequest> {
    let fields = Fields::new();
    for (name, value) in &parts.headers {
        match fields.append(name.as_str(), value.as_bytes()) {
            Ok(()) => {}
            // Hosts manage some headers themselves (Host, Connection, …).
            Err(HeaderError::Forbidden) => {
                debug_event!(header = %name, "header forbidden by the wasi:http host: not sent");
            }
            Err(e) => return Err(Error::builder(format!("header {name}: {e:?}"))),
        }
    }
    let request = OutgoingRequest::new(fields);
    let method = match parts.method.as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    };
    let scheme = match parts.uri.scheme_str() {
        Some("https") => Scheme::Https,
        _ => Scheme::Http,
    };
    let authority = parts.uri.authority().map(|a| a.as_str());
    let path = parts.uri.path_and_query().map(|p| p.as_str());
    let set = request
        .set_method(&method)
        .and_then(|()| request.set_scheme(Some(&scheme)))
        .and_then(|()| request.set_authority(authority))
        .and_then(|()| request.set_path_with_query(path));
    set.map_err(|()| {
        Error::builder(format!(
            "the wasi:http host refused the request line {} {}",
            parts.method, parts.uri
        ))
    })?;
    Ok(request)
}

/// How much longer than `sock_read` the host's read timeouts are.
const HOST_READ_GRACE: Duration = Duration::from_millis(500);

/// wasi:http `request-options` from the core's budgets, and which of our
/// timeouts a host `connection-timeout` stands for.
fn request_options(options: &SendOptions) -> (RequestOptions, TimeoutKind) {
    let request_options = RequestOptions::new();
    let connect = match (options.connect, options.sock_connect) {
        (Some(connect), Some(sock)) if connect < sock => Some((connect, TimeoutKind::Connect)),
        (_, Some(sock)) => Some((sock, TimeoutKind::SockConnect)),
        (Some(connect), None) => Some((connect, TimeoutKind::Connect)),
        (None, None) => None,
    };
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    // A host that does not support an option refuses it; the core's timer
    // still enforces total and sock_read.
    if let Some((limit, _)) = connect {
        let _ = request_options.set_connect_timeout(Some(nanos(limit)));
    }
    if let Some(limit) = options.sock_read {
        let backstop = nanos(limit.saturating_add(HOST_READ_GRACE));
        let _ = request_options.set_first_byte_timeout(Some(backstop));
        let _ = request_options.set_between_bytes_timeout(Some(backstop));
    }
    (request_options, connect.map_or(TimeoutKind::Connect, |(_, kind)| kind))
}

/// The request body on its way to the host.
///
/// A whole body that fits in what the host buffers is written and finished
/// *before* the request starts, so the host has all of it when it sends
/// the head: an empty GET never opens its stream (see the module docs), and
/// a server that answers before reading a small body (a 307 to a POST)
/// cannot race it. Anything else streams once the request has started.
enum Upload {
    Sent,
    Streaming {
        body: Body,
        outgoing: OutgoingBody,
        stream: OutputStream,
    },
}

impl Upload {
    fn start(outgoing: OutgoingBody, body: Body) -> Result<Upload> {
        let send_error = |code: ErrorCode| Error::transport(Phase::Send, describe(&code));
        if body.as_bytes().is_some_and(<[u8]>::is_empty) {
            OutgoingBody::finish(outgoing, None).map_err(send_error)?;
            return Ok(Upload::Sent);
        }
        let stream = outgoing
            .write()
            .map_err(|()| Error::transport(Phase::Send, "request body stream already taken"))?;
        let budget = stream.check_write().unwrap_or(0);
        match body.as_bytes() {
            Some(bytes) if bytes.len() as u64 <= budget => {
                stream
                    .write(bytes)
                    .and_then(|()| stream.flush())
                    .map_err(|e| Error::transport(Phase::Send, format!("{e:?}")))?;
                drop(stream);
                OutgoingBody::finish(outgoing, None).map_err(send_error)?;
                Ok(Upload::Sent)
            }
            _ => Ok(Upload::Streaming { body, outgoing, stream }),
        }
    }

    /// Streams what is left, then finishes the body.
    async fn finish(self) -> Result<()> {
        let Upload::Streaming {
            mut body,
            outgoing,
            stream,
        } = self
        else {
            return Ok(());
        };
        let stream = AsyncOutputStream::new(stream);
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                stream
                    .write_all(&data)
                    .await
                    .map_err(|e| Error::transport(Phase::Send, e))?;
            }
        }
        stream.flush().await.map_err(|e| Error::transport(Phase::Send, e))?;
        drop(stream);
        OutgoingBody::finish(outgoing, None).map_err(|code| Error::transport(Phase::Send, describe(&code)))
    }
}

/// Waits for the response head.
async fn receive_head(
    pending: FutureIncomingResponse,
    connect_kind: TimeoutKind,
    options: &SendOptions,
) -> Result<IncomingResponse> {
    AsyncPollable::new(pending.subscribe()).wait_for().await;
    match pending.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(from_error_code(code, Phase::Headers, connect_kind, options)),
        Some(Err(())) => Err(Error::transport(Phase::Headers, "the response was already taken")),
        None => Err(Error::transport(
            Phase::Headers,
            "the host reported a response that is not ready",
        )),
    }
}

/// A host error code as our error, with the phase it belongs to.
fn from_error_code(code: ErrorCode, during: Phase, connect_kind: TimeoutKind, options: &SendOptions) -> Error {
    let sock_read = options.sock_read.unwrap_or_default();
    match code {
        ErrorCode::ConnectionTimeout => Error::timeout(connect_kind, Phase::Connect),
        ErrorCode::HttpResponseTimeout => Error::timeout_after(TimeoutKind::SockRead, Phase::Headers, sock_read),
        ErrorCode::ConnectionReadTimeout => Error::timeout_after(TimeoutKind::SockRead, during, sock_read),
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            Error::transport(Phase::Resolve, describe(&code))
        }
        ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionLimitReached => Error::transport(Phase::Connect, describe(&code)),
        ErrorCode::TlsProtocolError | ErrorCode::TlsCertificateError | ErrorCode::TlsAlertReceived(_) => {
            Error::transport(Phase::Tls, describe(&code))
        }
        ErrorCode::HttpRequestUriInvalid | ErrorCode::HttpRequestMethodInvalid => Error::builder(describe(&code)),
        _ => Error::transport(during, describe(&code)),
    }
}

/// The message of a host error without the backtrace some hosts append.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

fn describe(code: &ErrorCode) -> String {
    format!("wasi:http error-code {code:?}")
}

/// A response body read from the incoming body's stream.
///
/// Field order is drop order: the subscription and the stream are children
/// of the incoming body and must go first.
struct WasiBody {
    wait: Option<WaitFor>,
    subscription: Option<AsyncPollable>,
    stream: Option<InputStream>,
    body: Option<IncomingBody>,
    sock_read: Option<Duration>,
}

/// The most a single read asks the host for.
const READ_SIZE: u64 = 64 * 1024;

impl WasiBody {
    /// Releases the stream and finishes the body (trailers are not read).
    fn finish(&mut self) {
        self.wait = None;
        self.subscription = None;
        self.stream = None;
        if let Some(body) = self.body.take() {
            drop(IncomingBody::finish(body));
        }
    }
}

impl http_body::Body for WasiBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
        let this = &mut *self;
        loop {
            if let Some(wait) = &mut this.wait {
                if wait.poll_unpin(cx).is_pending() {
                    return Poll::Pending;
                }
                this.wait = None;
            }
            let Some(stream) = &this.stream else {
                return Poll::Ready(None);
            };
            match stream.read(READ_SIZE) {
                Ok(bytes) if bytes.is_empty() => {
                    let subscription = this
                        .subscription
                        .get_or_insert_with(|| AsyncPollable::new(stream.subscribe()));
                    this.wait = Some(subscription.wait_for());
                }
                Ok(bytes) => return Poll::Ready(Some(Ok(Frame::data(Bytes::from(bytes))))),
                Err(StreamError::Closed) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Err(StreamError::LastOperationFailed(error)) => {
                    let error = match wasip2::http::types::http_error_code(&error) {
                        Some(code) => {
                            let options = SendOptions {
                                sock_read: this.sock_read,
                                ..SendOptions::default()
                            };
                            from_error_code(code, Phase::Body, TimeoutKind::Connect, &options)
                        }
                        None => Error::transport(Phase::Body, first_line(&error.to_debug_string())),
                    };
                    this.finish();
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }
}

impl Drop for WasiBody {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The [`Timer`] of `wasm32-wasip2`: `wasi:clocks` through wstd.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WasiTimer;

impl Timer for WasiTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(wstd::task::sleep(duration.into()).map(|_| ()))
    }
}
