//! The keep-alive pool, over hyper's `client::conn` (hyper parses and
//! writes HTTP; this file only decides which connection a request takes).
//!
//! Per origin it keeps the idle HTTP/1.1 connections (the most recently
//! used first) and at most one HTTP/2 connection, which every request to
//! the origin shares, in a slot of the origin's own that a request holds
//! on to, so that its connection goes back without a lookup. A request takes an idle connection, or opens one
//! through the [`Connector`]; an HTTP/1.1 connection comes back when the
//! response body has been read to its end (a body dropped before that
//! closes it). A request that a reused connection closed before it was
//! sent (the server ended an idle connection) goes again on another; one
//! that it closed after it was sent, before any byte of an answer, is
//! reported as [`Error::closed_while_idle`] for the exchange to send again.
//! Idle connections are closed after [`Pool::IDLE_TIMEOUT`].
//!
//! Unlike hyper-util's generic pool, which this replaced, nothing is
//! spawned or boxed per request, the `Host` header and the request form
//! are set here once, and the connect budgets are passed in, not found in
//! a task-local.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::HOST;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Method, Request, Response, Uri};
use http_body::{Frame, SizeHint};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::connector::{Budget, ConnectError, Connector};
use crate::transport::{HttpVersions, Phase};
use crate::{Body, Error, Result};

/// Connections per origin, shared by the clones of a session's transport.
#[derive(Clone)]
pub(super) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    connector: Connector,
    versions: HttpVersions,
    /// Keyed with foldhash: std's SipHash, fed an authority byte by byte
    /// (its hash ignores case), cost more than the rest of a checkout.
    /// Each origin's connections have a lock of their own, which a
    /// request holds on to: its connection goes back without a lookup.
    origins: Mutex<HashMap<Origin, Slot, foldhash::fast::RandomState>>,
    /// Whether a task is closing idle connections as they expire.
    reaping: AtomicBool,
}

/// Where a connection goes: scheme and authority (host and port), the
/// authority compared without regard to case.
#[derive(Clone)]
struct Origin {
    scheme: Scheme,
    authority: Authority,
}

/// Hashes the authority in lower case, as [`Authority`]'s own `Hash`
/// does, but in one write when it is lower case already (a URL's host
/// always is) instead of one per byte.
impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.scheme.hash(state);
        let authority = self.authority.as_str();
        if authority.bytes().any(|b| b.is_ascii_uppercase()) {
            state.write(authority.to_ascii_lowercase().as_bytes());
        } else {
            state.write(authority.as_bytes());
        }
    }
}

impl PartialEq for Origin {
    fn eq(&self, other: &Origin) -> bool {
        let (mine, theirs) = (self.authority.as_str(), other.authority.as_str());
        self.scheme == other.scheme && (mine == theirs || mine.eq_ignore_ascii_case(theirs))
    }
}

impl Eq for Origin {}

/// An origin's connections that wait for a request, shared by the map
/// and the requests to the origin in flight.
type Slot = Arc<Mutex<Idle>>;

/// An origin's connections that wait for a request.
#[derive(Default)]
struct Idle {
    http1: Vec<Http1>,
    http2: Option<http2::SendRequest<Body>>,
}

/// An HTTP/1.1 connection.
struct Http1 {
    sender: http1::SendRequest<Body>,
    /// Whether it goes to a proxy that takes requests in absolute form.
    absolute_form: bool,
    /// The `Host` header of its requests, made once for all of them.
    host: Option<HeaderValue>,
    /// When it became idle.
    since: Instant,
    /// How many bytes have been read from it.
    received: Arc<AtomicU64>,
}

impl Http1 {
    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

enum Connection {
    Http1(Http1),
    Http2(http2::SendRequest<Body>),
}

impl Pool {
    /// How long a connection may wait idle before it is closed.
    pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

    pub(super) fn new(connector: Connector, versions: HttpVersions) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                connector,
                versions,
                origins: Mutex::default(),
                reaping: AtomicBool::new(false),
            }),
        }
    }

    /// Sends `request` on a pooled or new connection and returns the
    /// response, its body holding the connection until it ends.
    ///
    /// Not an `async fn`: one keeps a copy of each argument it rebinds
    /// beside the argument itself, and this future, boxed per request,
    /// would hold the request twice.
    pub(super) fn send(self, request: Request<Body>, budget: Budget) -> impl Future<Output = Result<Response<Body>>> {
        let (pool, mut request) = (self, request);
        async move {
            let origin = Origin::of(request.uri())?;
            let slot = pool.shared.slot(&origin);
            loop {
                let (connection, reused) = match checkout(&slot) {
                    Some(connection) => (connection, true),
                    // Boxed: opening a connection (DNS, proxies, TLS) takes a
                    // large future, which a request on a pooled connection
                    // should not carry.
                    None => (Box::pin(pool.connect(&slot, request.uri(), &budget)).await?, false),
                };
                let http2 = matches!(connection, Connection::Http2(_));
                // Whether a failure met a reused connection that had given no
                // byte of a response: the server had closed it while idle.
                let mut closed_while_idle = false;
                let sent = match connection {
                    Connection::Http2(mut sender) => {
                        let response = sender.try_send_request(request).await;
                        response.map(|response| response.map(|body| Body::from_http_body(Returning::new(body, None))))
                    }
                    Connection::Http1(mut http1) => {
                        if let Err(error) = http1.sender.ready().await {
                            if reused {
                                continue; // closed while idle: try the next one
                            }
                            return Err(sending_failed(error, false));
                        }
                        to_http1_form(&mut request, &http1);
                        let received = http1.received();
                        match http1.sender.try_send_request(request).await {
                            Ok(response) => {
                                let lease = Lease {
                                    shared: pool.shared.clone(),
                                    slot: slot.clone(),
                                    http1,
                                };
                                Ok(response.map(|body| Body::from_http_body(Returning::new(body, Some(lease)))))
                            }
                            Err(error) => {
                                closed_while_idle = reused && http1.received() == received;
                                Err(error)
                            }
                        }
                    }
                };
                match sent {
                    Ok(response) => return Ok(response),
                    Err(mut error) => match error.take_message() {
                        // Never sent: a reused connection was closed under it.
                        // (A shared HTTP/2 one is forgotten, not offered again.)
                        Some(mut unsent) if reused => {
                            if http2 {
                                lock(&slot).http2 = None;
                            }
                            origin.make_absolute(unsent.uri_mut());
                            request = unsent;
                        }
                        _ => return Err(sending_failed(error.into_error(), closed_while_idle)),
                    },
                }
            }
        }
    }

    /// Opens a connection to `origin` and makes it HTTP/1.1 or HTTP/2 (as
    /// TLS negotiated, or by prior knowledge).
    async fn connect(&self, slot: &Slot, uri: &Uri, budget: &Budget) -> Result<Connection> {
        let stream = self.shared.connector.open(uri, budget).await.map_err(connect_failed)?;
        let absolute_form = stream.absolute_form();
        let http2 = match self.shared.versions {
            HttpVersions::Http2PriorKnowledge => true,
            HttpVersions::Http1Only => false,
            HttpVersions::Negotiated => stream.negotiated_http2(),
        };
        let io = TokioIo::new(stream);
        if http2 {
            let (sender, connection) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .handshake(io)
                .await
                .map_err(|e| Error::transport(Phase::Connect, e))?;
            tokio::spawn(connection);
            lock(slot).http2 = Some(sender.clone());
            return Ok(Connection::Http2(sender));
        }
        let received = Arc::new(AtomicU64::new(0));
        let io = TokioIo::new(CountingReads {
            io: io.into_inner(),
            received: received.clone(),
        });
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(|e| Error::transport(Phase::Connect, e))?;
        tokio::spawn(connection);
        Ok(Connection::Http1(Http1 {
            sender,
            absolute_form,
            host: host_header(uri),
            since: Instant::now(),
            received,
        }))
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Origin, Slot, foldhash::fast::RandomState>> {
        self.origins.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `origin`'s slot, made if it has none (and then the reaper started,
    /// which forgets it if no connection ever waits in it).
    fn slot(self: &Arc<Self>, origin: &Origin) -> Slot {
        let mut origins = self.lock();
        if let Some(slot) = origins.get(origin) {
            return slot.clone();
        }
        let slot = Slot::default();
        origins.insert(origin.clone(), slot.clone());
        drop(origins);
        self.reap_later();
        slot
    }

    /// Takes `http1` back as idle into `slot`.
    fn check_in(self: &Arc<Self>, slot: &Slot, mut http1: Http1) {
        http1.since = Instant::now();
        lock(slot).http1.push(http1);
        self.reap_later();
    }

    /// Starts the task that closes expired idle connections, unless it runs.
    fn reap_later(self: &Arc<Self>) {
        // Read first: a write on every check-in would bounce the line
        // between cores. A slot in use stays in the map, so a reaper that
        // stopped (under the map's lock, with the map empty) did so before
        // this request's slot went in, and is seen stopped.
        if self.reaping.load(Ordering::Acquire) || self.reaping.swap(true, Ordering::AcqRel) {
            return;
        }
        let shared = Arc::downgrade(self);
        tokio::spawn(reap(shared));
    }
}

fn lock(slot: &Slot) -> std::sync::MutexGuard<'_, Idle> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}

/// A connection of `slot`'s origin that can take a request now, if one
/// waits: the shared HTTP/2 one, else the HTTP/1.1 one used last. Closed
/// and expired ones are dropped on the way.
fn checkout(slot: &Slot) -> Option<Connection> {
    let mut idle = lock(slot);
    if let Some(sender) = &idle.http2 {
        if !sender.is_closed() {
            return Some(Connection::Http2(sender.clone()));
        }
        idle.http2 = None;
    }
    while let Some(http1) = idle.http1.pop() {
        if !http1.sender.is_closed() && http1.since.elapsed() < Pool::IDLE_TIMEOUT {
            return Some(Connection::Http1(http1));
        }
    }
    None
}

/// Closes idle connections as they expire, while the pool lives and holds any.
async fn reap(shared: Weak<Shared>) {
    loop {
        tokio::time::sleep(Pool::IDLE_TIMEOUT / 3).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut origins = shared.lock();
        sweep(&mut origins);
        if origins.is_empty() {
            // Checked under the map's lock, under which slots go in (see
            // `reap_later`).
            shared.reaping.store(false, Ordering::Release);
            return;
        }
    }
}

/// Closes the expired and closed idle connections of `origins`, and
/// forgets the origins left with none, unless a request holds their slot
/// (its connection comes back to it).
fn sweep(origins: &mut HashMap<Origin, Slot, foldhash::fast::RandomState>) {
    for slot in origins.values() {
        let mut idle = lock(slot);
        idle.http1
            .retain(|http1| !http1.sender.is_closed() && http1.since.elapsed() < Pool::IDLE_TIMEOUT);
        if idle.http2.as_ref().is_some_and(http2::SendRequest::is_closed) {
            idle.http2 = None;
        }
    }
    origins.retain(|_, slot| {
        Arc::strong_count(slot) > 1 || {
            let idle = lock(slot);
            !idle.http1.is_empty() || idle.http2.is_some()
        }
    });
}

impl Origin {
    fn of(uri: &Uri) -> Result<Origin> {
        match (uri.scheme(), uri.authority()) {
            (Some(scheme), Some(authority)) => Ok(Origin {
                scheme: scheme.clone(),
                authority: authority.clone(),
            }),
            _ => Err(Error::builder(format!("{uri} has no scheme or host"))),
        }
    }

    /// Puts the origin back into a request target that HTTP/1.1 form left
    /// as a path (`/path?query`), for the request to go again.
    fn make_absolute(&self, uri: &mut Uri) {
        if uri.scheme().is_some() {
            return;
        }
        let mut parts = std::mem::take(uri).into_parts();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        if let Ok(absolute) = Uri::from_parts(parts) {
            *uri = absolute;
        }
    }
}

/// The request as HTTP/1.1 sends it: a `Host` header (unless set), and
/// the target in origin form (`/path?query`), or in absolute form to a
/// proxy that forwards it. HTTP/2 takes the absolute URI as it is.
fn to_http1_form(request: &mut Request<Body>, connection: &Http1) {
    if let Some(host) = &connection.host {
        request.headers_mut().entry(HOST).or_insert_with(|| host.clone());
    }
    if connection.absolute_form || request.method() == Method::CONNECT {
        return;
    }
    // Taken, not cloned: a clone of the path's bytes would allocate.
    let path = std::mem::take(request.uri_mut())
        .into_parts()
        .path_and_query
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    *request.uri_mut() = Uri::from(path);
}

/// `host` or `host:port` (the port when it is not the scheme's default).
fn host_header(uri: &Uri) -> Option<HeaderValue> {
    let authority = uri.authority()?;
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let host = match authority.port_u16() {
        Some(port) if port != default_port => authority.as_str(),
        _ => authority.host(),
    };
    // An authority with credentials (`user@host`) keeps only the host part.
    let host = host.rsplit('@').next().unwrap_or(host);
    HeaderValue::from_str(host).ok()
}

fn connect_failed(error: ConnectError) -> Error {
    match error.timeout {
        Some((kind, limit)) => Error::timeout_after(kind, error.phase, limit),
        None => Error::transport(error.phase, error),
    }
}

/// A request hyper could not complete: the request side (its body) or,
/// once it was sent, the wait for the response head. When the connection
/// had been reused and gave no byte of a response (`silent_reused`), its
/// end means that the server had closed it while it was idle in the pool.
fn sending_failed(error: hyper::Error, silent_reused: bool) -> Error {
    if error.is_user() || error.is_body_write_aborted() {
        return Error::transport(Phase::Send, error);
    }
    if silent_reused && connection_ended(&error) {
        return Error::closed_while_idle(error);
    }
    Error::transport(Phase::Headers, error)
}

/// The connection ended under the request: closed, or reset.
fn connection_ended(error: &hyper::Error) -> bool {
    let io = std::error::Error::source(error).and_then(|source| source.downcast_ref::<std::io::Error>());
    error.is_incomplete_message()
        || io.is_some_and(|io| {
            use std::io::ErrorKind::*;
            matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            )
        })
}

/// A connection's stream that counts the bytes read from it, so that a
/// request can tell a connection that had ended while idle (nothing read)
/// from one that ended inside its response.
struct CountingReads<T> {
    io: T,
    received: Arc<AtomicU64>,
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingReads<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.io).poll_read(cx, buf))?;
        let read = (buf.filled().len() - before) as u64;
        self.received.fetch_add(read, Ordering::Relaxed);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingReads<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// An HTTP/1.1 connection lent to one response: back to the pool once its
/// body ended, closed if the body is dropped before.
struct Lease {
    shared: Arc<Shared>,
    /// Where the connection goes back: its origin's slot.
    slot: Slot,
    http1: Http1,
}

impl Lease {
    /// Returns the connection: at once when hyper has it ready for the
    /// next request (the usual case after a whole body), else when it is.
    fn release(self) {
        let Lease {
            shared,
            slot,
            mut http1,
        } = self;
        if http1.sender.is_ready() {
            shared.check_in(&slot, http1);
            return;
        }
        tokio::spawn(async move {
            if http1.sender.ready().await.is_ok() {
                shared.check_in(&slot, http1);
            }
        });
    }
}

/// A response body that returns its connection when it ends.
struct Returning {
    body: hyper::body::Incoming,
    lease: Option<Lease>,
}

impl Returning {
    fn new(body: hyper::body::Incoming, lease: Option<Lease>) -> Returning {
        let mut returning = Returning { body, lease };
        if http_body::Body::is_end_stream(&returning.body) {
            returning.release();
        }
        returning
    }

    fn release(&mut self) {
        if let Some(lease) = self.lease.take() {
            lease.release();
        }
    }
}

impl http_body::Body for Returning {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
        let frame = ready!(Pin::new(&mut self.body).poll_frame(cx));
        match &frame {
            None => self.release(),
            Some(Ok(_)) if http_body::Body::is_end_stream(&self.body) => self.release(),
            Some(Ok(_)) => {}
            // A broken body breaks its connection: never reused.
            Some(Err(_)) => self.lease = None,
        }
        Poll::Ready(frame.map(|frame| frame.map_err(|e| Error::transport(Phase::Body, e))))
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> SizeHint {
        http_body::Body::size_hint(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(uri: &str) -> Origin {
        Origin::of(&uri.parse().unwrap()).unwrap()
    }

    #[test]
    fn the_sweep_keeps_the_slots_that_requests_hold() {
        let mut origins = HashMap::default();
        let held = Slot::default();
        origins.insert(origin("http://held.test/"), held.clone());
        origins.insert(origin("http://unused.test/"), Slot::default());
        sweep(&mut origins);
        assert!(
            origins.contains_key(&origin("http://HELD.test/x")),
            "a request's connection comes back here"
        );
        assert!(
            !origins.contains_key(&origin("http://unused.test/")),
            "an origin with nothing idle is forgotten"
        );
        drop(held);
        sweep(&mut origins);
        assert!(origins.is_empty());
    }
}
