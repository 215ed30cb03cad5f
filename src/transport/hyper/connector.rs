//! Opening connections: DNS (cached) → TCP (Happy Eyeballs) → the proxy's
//! handshake, if any → TLS, each phase reported and bounded by the
//! request's `connect` and `sock_connect` budgets (`sock_connect` starts
//! once the first hop's name is resolved).

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::{InvalidDnsNameError, ServerName};
use tokio_rustls::TlsConnector;
use tower_service::Service as _;

use super::dns::DnsCache;
use super::proxy::{self, Destination, Proxies};
use super::stream::{Hop, MaybeTls, Stream};
use crate::error::BoxError;
use crate::transport::{Phase, Progress, TimeoutKind};

/// What one request allows its connection attempt.
#[derive(Default)]
pub(super) struct Budget {
    pub(super) connect: Option<Duration>,
    pub(super) sock_connect: Option<Duration>,
    pub(super) progress: Progress,
}

/// How new TCP connections are made (the session's socket settings).
#[derive(Debug, Clone)]
pub(super) struct TcpSettings {
    pub(super) nodelay: bool,
    pub(super) keepalive: Option<Duration>,
    pub(super) local_address: Option<IpAddr>,
}

/// How long the first address family gets before the other one is tried
/// too (RFC 8305's "Connection Attempt Delay").
const HAPPY_EYEBALLS_DELAY: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub(super) struct Connector {
    dns: DnsCache,
    tcp: TcpSettings,
    tls: TlsConnector,
    /// TLS to HTTPS proxies, which speak HTTP/1.1 only.
    proxy_tls: TlsConnector,
    proxies: Proxies,
}

impl Connector {
    pub(super) fn new(dns: DnsCache, tcp: TcpSettings, tls: Arc<rustls::ClientConfig>, proxies: Proxies) -> Connector {
        let mut proxy_tls = (*tls).clone();
        proxy_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        // The session's client certificate is for servers, not proxies.
        proxy_tls.client_auth_cert_resolver = Arc::new(NoClientCertificate);
        Connector {
            dns,
            tcp,
            tls: TlsConnector::from(tls),
            proxy_tls: TlsConnector::from(Arc::new(proxy_tls)),
            proxies,
        }
    }

    /// A connection to `uri`'s origin (through its proxy, if any), within
    /// the request's `connect` budget.
    pub(super) async fn open(&self, uri: &Uri, budget: &Budget) -> Result<Stream, ConnectError> {
        within(
            budget.connect,
            TimeoutKind::Connect,
            &budget.progress,
            self.connect(uri, budget),
        )
        .await
    }

    async fn connect(&self, uri: &Uri, budget: &Budget) -> Result<Stream, ConnectError> {
        let target = Target::of(uri).map_err(|e| ConnectError::new(Phase::Connect, e))?;
        let proxy = self.proxies.for_uri(uri);
        let first_hop = match &proxy {
            Some(proxy) => Target::of(proxy.uri()).map_err(|e| ConnectError::new(Phase::Proxy, e))?,
            None => target.clone(),
        };
        let progress = &budget.progress;

        progress.set(Phase::Resolve);
        let addrs = self
            .dns
            .resolve(&first_hop.host)
            .await
            .map_err(|e| ConnectError::new(Phase::Resolve, e))?;
        let dialer = Dialer {
            addrs: first_hop.with_port(addrs),
            tcp: self.tcp.clone(),
            tls: match (&proxy, first_hop.https) {
                (Some(_), true) => {
                    let name = first_hop
                        .server_name()
                        .map_err(|e| ConnectError::new(Phase::Proxy, e))?;
                    Some((self.proxy_tls.clone(), name))
                }
                _ => None,
            },
        };

        // socks5:// is given addresses, resolved here before the socket
        // budget starts; each is tried in turn until the proxy reaches one.
        let destinations = match &proxy {
            Some(proxy) if proxy::resolves_here(proxy) => {
                let addrs = self
                    .dns
                    .resolve(&target.host)
                    .await
                    .map_err(|e| ConnectError::new(Phase::Resolve, e))?;
                target.with_port(addrs).into_iter().map(Destination::Address).collect()
            }
            _ => vec![Destination::Name],
        };

        let socket = async {
            let (hop, absolute_form) = match &proxy {
                None => {
                    progress.set(Phase::Connect);
                    let hop = dialer.dial().await.map_err(|e| ConnectError::new(Phase::Connect, e))?;
                    (hop, false)
                }
                Some(proxy) => {
                    progress.set(Phase::Proxy);
                    proxy::through_any(proxy, &target, destinations, dialer)
                        .await
                        .map_err(|e| ConnectError::new(Phase::Proxy, e))?
                }
            };
            if !target.https {
                return Ok(Stream::plain(hop, absolute_form));
            }
            progress.set(Phase::Tls);
            let tls = self
                .tls
                .connect(target.server_name().map_err(|e| ConnectError::new(Phase::Tls, e))?, hop)
                .await
                .map_err(|e| ConnectError::new(Phase::Tls, e))?;
            Ok(Stream::tls(tls))
        };
        let stream = within(budget.sock_connect, TimeoutKind::SockConnect, progress, socket).await?;
        progress.set(Phase::Headers);
        Ok(stream)
    }
}

/// The scheme, host (without brackets) and port of a server or a proxy.
#[derive(Clone)]
pub(super) struct Target {
    pub(super) https: bool,
    pub(super) host: String,
    pub(super) port: u16,
}

impl Target {
    fn of(uri: &Uri) -> Result<Target, String> {
        let (https, default_port) = match uri.scheme_str() {
            Some("http") => (false, 80),
            Some("https") => (true, 443),
            Some("socks5" | "socks5h") => (false, 1080),
            other => return Err(format!("unsupported scheme {other:?}")),
        };
        let host = uri.host().ok_or("no host")?;
        Ok(Target {
            https,
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port: uri.port_u16().unwrap_or(default_port),
        })
    }

    /// `http://host:port`, the form the proxy connectors take a destination in.
    pub(super) fn uri(&self) -> Uri {
        let host = match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
            _ => self.host.clone(),
        };
        let port = self.port;
        Uri::try_from(format!("http://{host}:{port}")).unwrap_or_default()
    }

    /// The resolved addresses, on this target's port unless pinned to another.
    fn with_port(&self, mut addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
        for addr in &mut addrs {
            if addr.port() == 0 {
                addr.set_port(self.port);
            }
        }
        addrs
    }

    fn server_name(&self) -> Result<ServerName<'static>, InvalidDnsNameError> {
        ServerName::try_from(self.host.clone())
    }
}

/// Connects to the resolved addresses of the first hop with Happy Eyeballs
/// (hyper-util's `HttpConnector`: the addresses of the family the resolver
/// prefers one after another, the other family's after a delay, the first
/// connection wins), then TLS when that hop is an HTTPS proxy.
#[derive(Clone)]
pub(super) struct Dialer {
    addrs: Vec<SocketAddr>,
    tcp: TcpSettings,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Dialer {
    pub(super) async fn dial(self) -> Result<Hop, BoxError> {
        let mut http = HttpConnector::new_with_resolver(Resolved(self.addrs));
        http.enforce_http(false);
        http.set_nodelay(self.tcp.nodelay);
        http.set_keepalive(self.tcp.keepalive);
        http.set_local_address(self.tcp.local_address);
        http.set_happy_eyeballs_timeout(Some(HAPPY_EYEBALLS_DELAY));
        // The host is a placeholder for `Resolved`; without a port in the
        // URI the addresses keep their own.
        let tcp = http
            .call(Uri::from_static("http://resolved.invalid"))
            .await?
            .into_inner();
        match self.tls {
            None => Ok(MaybeTls::Plain(tcp)),
            Some((tls, name)) => Ok(MaybeTls::Tls(Box::new(tls.connect(name, tcp).await?))),
        }
    }
}

/// Offers no client certificate (to an HTTPS proxy that asks for one).
#[derive(Debug)]
struct NoClientCertificate;

impl rustls::client::ResolvesClientCert for NoClientCertificate {
    fn resolve(&self, _: &[&[u8]], _: &[rustls::SignatureScheme]) -> Option<Arc<rustls::sign::CertifiedKey>> {
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// Addresses already resolved, as `HttpConnector` asks its resolver for them.
#[derive(Clone)]
struct Resolved(Vec<SocketAddr>);

impl tower_service::Service<Name> for Resolved {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = std::future::Ready<io::Result<Self::Response>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Name) -> Self::Future {
        std::future::ready(Ok(self.0.clone().into_iter()))
    }
}

/// Runs `fut` within `limit`, or fails with a timeout in the phase it was in.
async fn within<T>(
    limit: Option<Duration>,
    kind: TimeoutKind,
    progress: &Progress,
    fut: impl std::future::Future<Output = Result<T, ConnectError>>,
) -> Result<T, ConnectError> {
    match limit {
        None => fut.await,
        Some(limit) => match tokio::time::timeout(limit, fut).await {
            Ok(out) => out,
            Err(_) => Err(ConnectError::timeout(kind, progress.get(), limit)),
        },
    }
}

/// Why a connection could not be made, and in which phase.
#[derive(Debug)]
pub(super) struct ConnectError {
    pub(super) phase: Phase,
    pub(super) timeout: Option<(TimeoutKind, Duration)>,
    source: Option<BoxError>,
}

impl ConnectError {
    fn new(phase: Phase, source: impl Into<BoxError>) -> ConnectError {
        ConnectError {
            phase,
            timeout: None,
            source: Some(source.into()),
        }
    }

    fn timeout(kind: TimeoutKind, phase: Phase, limit: Duration) -> ConnectError {
        ConnectError {
            phase,
            timeout: Some((kind, limit)),
            source: None,
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.timeout, &self.source) {
            (Some((kind, limit)), _) => write!(f, "{} timeout ({limit:?}) during {}", kind.as_str(), self.phase),
            (None, _) => write!(f, "{} failed", self.phase),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| &**e as _)
    }
}
