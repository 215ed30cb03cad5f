//! The platform boundary: the two traits the portable core is written against.
//!
//! A [`Transport`] moves one request and its response; a [`Timer`] sleeps.
//! Everything else — timeouts, limits, redirects, retries, error kinds — lives
//! in the core and therefore behaves the same on every target.
//!
//! ```text
//!   Session ──(limits, timeouts, redirects)──▶ Transport::send(Request<Body>, SendOptions)
//!      ▲                                              │ resolve → connect → tls → send → headers
//!      └──────── Response<Body> (streams) ◀───────────┘ body
//! ```
//!
//! The trait shape was chosen to fit all three platforms:
//!
//! * **hyper** (native): the future resolves at the response head; the body
//!   streams from `Incoming`; dropping either cancels.
//! * **fetch** (browsers, workers, Deno): `fetch()` resolves at the head; the
//!   body is a `ReadableStream`; cancellation is an `AbortController` that the
//!   body keeps alive, so dropping the future or the body aborts for real.
//! * **node:http** (Node, same target, chosen at run time; the `node` feature): the response
//!   callback is the head; the body streams from the `IncomingMessage`;
//!   dropping either destroys the request.
//! * **wasi:http**: `outgoing-handler.handle` returns a `future-incoming-response`
//!   that resolves at the head; `incoming-body` streams; dropping the resources
//!   cancels. `request-options` carry the connect / first-byte / between-bytes
//!   timeouts, which is why [`SendOptions`] hands them to the transport.
//!
//! This module is the only place that looks at `cfg(target_*)`: it picks
//! the transport and timer of the target, defines [`MaybeSend`] and
//! [`MaybeSync`] (which the crate root uses to check that the public types
//! are `Send + Sync` where the target allows it), and refuses targets
//! without a transport.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use crate::error::{Phase, TimeoutKind};
use crate::{Body, Result};

#[cfg(all(
    target_family = "wasm",
    not(any(target_os = "unknown", all(target_os = "wasi", target_env = "p2")))
))]
compile_error!(
    "unifetch has no HTTP transport for this WebAssembly target: use wasm32-unknown-unknown \
     (browsers, Node, Deno: fetch) or wasm32-wasip2 (wasi:http); native targets use hyper"
);

#[cfg(not(target_family = "wasm"))]
mod hyper;
#[cfg(not(target_family = "wasm"))]
#[cfg_attr(docsrs, doc(cfg(not(target_family = "wasm"))))]
pub use self::hyper::HyperTransport;

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod fetch;
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
#[cfg_attr(docsrs, doc(cfg(all(target_family = "wasm", target_os = "unknown"))))]
pub use self::fetch::{body_from_stream, FetchTransport};
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod js;
#[cfg(all(target_family = "wasm", target_os = "unknown", feature = "node"))]
mod node;
#[cfg(all(target_family = "wasm", target_os = "unknown", feature = "node"))]
#[cfg_attr(
    docsrs,
    doc(cfg(all(target_family = "wasm", target_os = "unknown", feature = "node")))
)]
pub use self::node::NodeTransport;

#[cfg(all(target_family = "wasm", target_os = "wasi"))]
mod wasi;
#[cfg(all(target_family = "wasm", target_os = "wasi"))]
#[cfg_attr(docsrs, doc(cfg(all(target_family = "wasm", target_os = "wasi", target_env = "p2"))))]
pub use self::wasi::WasiTransport;

/// `Send` on native targets, nothing on WebAssembly (JS values are not `Send`).
///
/// Bounds written as `T: MaybeSend` keep one signature for every target.
#[cfg(not(target_family = "wasm"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_family = "wasm"))]
impl<T: Send + ?Sized> MaybeSend for T {}

/// `Send` on native targets, nothing on WebAssembly (JS values are not `Send`).
///
/// Bounds written as `T: MaybeSend` keep one signature for every target.
#[cfg(target_family = "wasm")]
pub trait MaybeSend {}
#[cfg(target_family = "wasm")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` on native targets, nothing on WebAssembly.
#[cfg(not(target_family = "wasm"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_family = "wasm"))]
impl<T: Sync + ?Sized> MaybeSync for T {}

/// `Sync` on native targets, nothing on WebAssembly.
#[cfg(target_family = "wasm")]
pub trait MaybeSync {}
#[cfg(target_family = "wasm")]
impl<T: ?Sized> MaybeSync for T {}

/// A boxed future that is `Send` wherever the target allows it.
#[cfg(not(target_family = "wasm"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A boxed future that is `Send` wherever the target allows it.
#[cfg(target_family = "wasm")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A boxed body that is `Send` wherever the target allows it.
#[cfg(not(target_family = "wasm"))]
pub(crate) type BoxBody = Pin<Box<dyn http_body::Body<Data = bytes::Bytes, Error = crate::Error> + Send>>;
/// A boxed body that is `Send` wherever the target allows it.
#[cfg(target_family = "wasm")]
pub(crate) type BoxBody = Pin<Box<dyn http_body::Body<Data = bytes::Bytes, Error = crate::Error>>>;

/// What the core asks of a transport beyond the request itself.
///
/// The core enforces `total` and `sock_read` itself with the [`Timer`]; the
/// fields here are the phases only a transport can see. A transport that
/// cannot separate a phase ignores its field and documents that it does.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SendOptions {
    /// Budget for getting a connection (pool reuse or a new one), already
    /// reduced by the time the core spent waiting for a limit slot.
    pub connect: Option<Duration>,
    /// Budget for connecting one new socket, TCP and TLS handshake included.
    pub sock_connect: Option<Duration>,
    /// Longest silence while reading. The core enforces it too; transports
    /// that can hand it to the platform (wasi:http `between-bytes-timeout`)
    /// may do so.
    pub sock_read: Option<Duration>,
    /// Where the exchange is; a transport that can tell sets
    /// [`Phase::Resolve`], [`Phase::Connect`] (or [`Phase::Proxy`]) and
    /// [`Phase::Tls`] while it
    /// connects and [`Phase::Headers`] once connected, so that a `total`
    /// timeout names the phase it interrupted.
    pub progress: Progress,
    /// A proxy for this request only, replacing the session's proxies.
    pub proxy: Option<crate::Proxy>,
    /// Whether the session's redirect policy follows redirects. A platform
    /// that cannot hand 3xx responses to the core (browsers) follows them
    /// itself when this is true, and otherwise reports them as errors.
    pub follow_redirects: bool,
    /// Whether the session keeps cookies. A platform with its own jar
    /// (browsers) then sends and stores them.
    pub cookies: bool,
    /// Whether the caller wants bodies decoded. A platform that decodes
    /// ([`Platform::decompresses`]) and can be told not to honours it.
    pub decompress: bool,
}

/// What the platform under a transport already does by itself, so that the
/// core does not do it twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Platform {
    /// Response bodies arrive decoded (`Content-Encoding` is handled).
    pub decompresses: bool,
    /// Cookies are stored and sent by the platform (the browser's jar).
    pub manages_cookies: bool,
}

impl Platform {
    /// A platform that leaves decompression to the core and keeps cookies.
    pub fn new(decompresses: bool, manages_cookies: bool) -> Platform {
        Platform {
            decompresses,
            manages_cookies,
        }
    }
}

/// The phase an exchange is in, shared between the core and a transport.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<ProgressState>);

#[derive(Debug, Default)]
struct ProgressState {
    phase: AtomicU8,
    /// Whether phases are timed: only while a subscriber wants the spans.
    #[cfg(feature = "tracing")]
    timed: std::sync::atomic::AtomicBool,
    /// When each phase was last entered, for the spans of the `tracing` feature.
    #[cfg(feature = "tracing")]
    entered: std::sync::Mutex<[Option<web_time::Instant>; PHASES.len()]>,
    /// When the response head of the hop arrived.
    #[cfg(feature = "tracing")]
    head: std::sync::Mutex<Option<web_time::Instant>>,
}

const PHASES: [Phase; 8] = [
    Phase::Pool,
    Phase::Resolve,
    Phase::Connect,
    Phase::Proxy,
    Phase::Tls,
    Phase::Send,
    Phase::Headers,
    Phase::Body,
];

impl Progress {
    /// Records that the exchange has entered `phase`.
    pub fn set(&self, phase: Phase) {
        let index = PHASES.iter().position(|p| *p == phase).unwrap_or_default();
        self.0.phase.store(index as u8, Ordering::Relaxed);
        #[cfg(feature = "tracing")]
        if self.0.timed.load(Ordering::Relaxed) {
            if let Ok(mut entered) = self.0.entered.lock() {
                entered[index] = Some(web_time::Instant::now());
            }
        }
    }

    /// The phase the exchange is in.
    pub fn get(&self) -> Phase {
        PHASES[usize::from(self.0.phase.load(Ordering::Relaxed)) % PHASES.len()]
    }

    /// Forgets when phases were entered, for a new hop, whose phases are
    /// then timed if `timed`.
    #[cfg(feature = "tracing")]
    pub(crate) fn restart(&self, timed: bool) {
        self.0.timed.store(timed, Ordering::Relaxed);
        if !timed {
            return;
        }
        if let Ok(mut entered) = self.0.entered.lock() {
            *entered = Default::default();
        }
        if let Ok(mut head) = self.0.head.lock() {
            *head = None;
        }
    }

    /// Records that the hop's response head has arrived.
    #[cfg(feature = "tracing")]
    pub(crate) fn head_arrived(&self) {
        if !self.0.timed.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(mut head) = self.0.head.lock() {
            *head = Some(web_time::Instant::now());
        }
    }

    /// When the hop's response head arrived.
    #[cfg(feature = "tracing")]
    pub(crate) fn head_at(&self) -> Option<web_time::Instant> {
        *self.0.head.lock().ok()?
    }

    /// When `phase` was last entered in this hop.
    #[cfg(feature = "tracing")]
    pub(crate) fn entered(&self, phase: Phase) -> Option<web_time::Instant> {
        let index = PHASES.iter().position(|p| *p == phase)?;
        self.0.entered.lock().ok()?[index]
    }
}

/// Put in a response's extensions by a transport whose platform followed
/// redirects itself (fetch): the URL the response really came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalUrl(pub url::Url);

/// Settings for the default transport that a session builder collects.
/// Transports that leave these to the platform ignore them.
#[derive(Debug, Clone)]
pub(crate) struct NetworkConfig {
    /// How long resolved addresses are reused.
    pub(crate) dns_ttl: Duration,
    /// Explicit proxies.
    pub(crate) proxies: Vec<crate::Proxy>,
    /// Read `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`.
    pub(crate) trust_env: bool,
    /// Certificates and TLS versions.
    pub(crate) tls: TlsConfig,
    /// Addresses given for host names (lower-case), instead of DNS.
    pub(crate) pinned_addrs: std::collections::HashMap<String, Vec<std::net::SocketAddr>>,
    /// The local address new connections are made from.
    pub(crate) local_address: Option<std::net::IpAddr>,
    /// TCP keepalive probes after this much idleness.
    pub(crate) tcp_keepalive: Option<Duration>,
    /// `TCP_NODELAY` on new connections.
    pub(crate) tcp_nodelay: bool,
    /// Which HTTP versions to speak.
    pub(crate) versions: HttpVersions,
}

/// Which HTTP versions a native session speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum HttpVersions {
    /// HTTP/2 where TLS negotiates it (ALPN), HTTP/1.1 otherwise.
    #[default]
    Negotiated,
    /// HTTP/1.1 only (TLS offers only `http/1.1`).
    Http1Only,
    /// HTTP/2 only, without asking first (cleartext h2c too).
    Http2PriorKnowledge,
}

impl Default for NetworkConfig {
    fn default() -> NetworkConfig {
        NetworkConfig {
            dns_ttl: Duration::from_secs(10),
            proxies: Vec::new(),
            trust_env: false,
            tls: TlsConfig::default(),
            pinned_addrs: Default::default(),
            local_address: None,
            tcp_keepalive: None,
            tcp_nodelay: true,
            versions: HttpVersions::default(),
        }
    }
}

/// TLS settings of a session (native only; browsers, Node and WASI hosts
/// use their own).
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsConfig {
    /// Extra trusted roots, PEM.
    pub(crate) roots_pem: Vec<Vec<u8>>,
    /// Trust only the extra roots, not the built-in ones.
    pub(crate) only_extra_roots: bool,
    /// A client certificate chain and its private key, PEM.
    pub(crate) identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    /// The oldest TLS version accepted.
    pub(crate) min_version: Option<crate::TlsVersion>,
    /// Skip certificate verification altogether.
    pub(crate) accept_invalid_certs: bool,
}

/// Sends one HTTP request and returns the response head with a streaming body.
///
/// Implementations connect, speak HTTP and report *which phase* failed with
/// [`Error::transport`](crate::Error::transport) or
/// [`Error::timeout`](crate::Error::timeout), and a kept-alive connection
/// that the server had closed with
/// [`Error::closed_while_idle`](crate::Error::closed_while_idle). They must
/// not follow redirects, retry, or buffer the response body: the core does
/// those.
/// Dropping the returned future, or the response body, cancels the exchange.
///
/// Any type can be a transport, which is how unit tests run without a network:
///
/// ```
/// use unifetch::transport::{BoxFuture, SendOptions, Transport};
/// use unifetch::{Body, Session};
///
/// struct Canned;
/// impl Transport for Canned {
///     fn send(&self, req: http::Request<Body>, _: SendOptions)
///         -> BoxFuture<'static, unifetch::Result<http::Response<Body>>> {
///         let reply = format!("you asked for {}", req.uri().path());
///         Box::pin(async move { Ok::<_, unifetch::Error>(http::Response::new(Body::from(reply))) })
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let session = Session::builder().transport(Canned).base_url("http://test.invalid")?.build()?;
/// let text = session.get("/hello").send().await?.text().await?;
/// assert_eq!(text, "you asked for /hello");
/// # Ok::<(), unifetch::Error>(()) }).unwrap();
/// ```
pub trait Transport: MaybeSend + MaybeSync + 'static {
    /// Sends `request` and resolves once the response head has arrived.
    fn send(
        &self,
        request: http::Request<Body>,
        options: SendOptions,
    ) -> BoxFuture<'static, Result<http::Response<Body>>>;

    /// What the platform does by itself (default: nothing, the core
    /// decompresses and keeps the cookie jar).
    fn platform(&self) -> Platform {
        Platform::default()
    }
}

/// The core's only notion of time: sleeping, and reading the clock that
/// sleeps run on (deadlines, retry budgets, `Retry-After` dates).
///
/// The defaults read the platform's clocks through `web-time`, which work
/// in browsers too. A test clock ([`ManualClock`](crate::testing::ManualClock))
/// overrides all three so that time moves only when the test says.
pub trait Timer: MaybeSend + MaybeSync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;

    /// A future that completes at `deadline` (at once if it has passed).
    /// The default sleeps from [`now`](Self::now); a timer that takes
    /// deadlines itself saves reading the clock a second time.
    fn sleep_until(&self, deadline: web_time::Instant) -> BoxFuture<'static, ()> {
        self.sleep(deadline.saturating_duration_since(self.now()))
    }

    /// Now, on the clock that [`sleep`](Self::sleep) follows.
    fn now(&self) -> web_time::Instant {
        web_time::Instant::now()
    }

    /// The calendar time, for dates such as `Retry-After`'s.
    fn wall_clock(&self) -> web_time::SystemTime {
        web_time::SystemTime::now()
    }
}

/// The transport [`Session::new`](crate::Session::new) uses on this target.
pub(crate) fn default_transport(config: &NetworkConfig) -> Result<Arc<dyn Transport>> {
    #[cfg(not(target_family = "wasm"))]
    {
        Ok(Arc::new(HyperTransport::from_config(config)?))
    }
    #[cfg(all(target_family = "wasm", target_os = "unknown"))]
    {
        let _ = config;
        #[cfg(feature = "node")]
        if self::fetch::running_in_node() {
            // One thread on this target: the agents it keeps need not be `Send`.
            #[allow(clippy::arc_with_non_send_sync)]
            return Ok(Arc::new(NodeTransport::new()));
        }
        Ok(Arc::new(FetchTransport::new()))
    }
    #[cfg(all(target_family = "wasm", target_os = "wasi"))]
    {
        let _ = config;
        Ok(Arc::new(WasiTransport::new()))
    }
}

/// The timer [`Session::new`](crate::Session::new) uses on this target.
pub(crate) fn default_timer() -> Arc<dyn Timer> {
    #[cfg(not(target_family = "wasm"))]
    {
        Arc::new(self::hyper::TokioTimer)
    }
    #[cfg(all(target_family = "wasm", target_os = "unknown"))]
    {
        Arc::new(self::fetch::JsTimer)
    }
    #[cfg(all(target_family = "wasm", target_os = "wasi"))]
    {
        Arc::new(self::wasi::WasiTimer)
    }
}
