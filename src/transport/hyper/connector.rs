//! Opening connections: DNS (cached) → TCP → TLS, each phase reported and
//! bounded by the request's `connect` and `sock_connect` budgets.
//!
//! hyper-util's pool calls the connector without the request, so the
//! request's budgets travel in a task-local set around `Client::request`
//! (the pool calls the connector from inside that future).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::dns::DnsCache;
use super::proxy::{tunnel, Proxies};
use crate::error::BoxError;
use crate::transport::{BoxFuture, Phase, Progress, TimeoutKind};

tokio::task_local! {
    /// The connect budgets of the request being sent.
    pub(super) static BUDGET: Budget;
}

/// What one request allows its connection attempt.
#[derive(Clone, Default)]
pub(super) struct Budget {
    pub(super) connect: Option<Duration>,
    pub(super) sock_connect: Option<Duration>,
    pub(super) progress: Progress,
}

#[derive(Clone)]
pub(super) struct Connector {
    dns: DnsCache,
    tls: TlsConnector,
    proxies: Proxies,
}

impl Connector {
    pub(super) fn new(dns: DnsCache, tls: Arc<rustls::ClientConfig>, proxies: Proxies) -> Connector {
        Connector {
            dns,
            tls: TlsConnector::from(tls),
            proxies,
        }
    }

    async fn connect(self, uri: Uri, budget: Budget) -> Result<Stream, ConnectError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => {
                return Err(ConnectError::new(
                    Phase::Connect,
                    format!("unsupported scheme {other:?}"),
                ))
            }
        };
        let host = uri.host().unwrap_or_default().to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let proxy = self.proxies.for_uri(&uri);
        let (peer_host, peer_port) = match &proxy {
            Some(proxy) => (
                proxy.uri().host().unwrap_or_default().to_owned(),
                proxy.uri().port_u16().unwrap_or(80),
            ),
            None => (host.clone(), port),
        };

        budget.progress.set(Phase::Resolve);
        let addrs = self
            .dns
            .resolve(&peer_host, peer_port)
            .await
            .map_err(|e| ConnectError::new(Phase::Resolve, e))?;

        let socket = async {
            budget.progress.set(Phase::Connect);
            let mut tcp = connect_any(&addrs).await?;
            match (&proxy, https) {
                (Some(_), false) => return Ok(Stream::Proxied(tcp)),
                (None, false) => return Ok(Stream::Plain(tcp)),
                (Some(proxy), true) => tunnel(
                    &mut tcp,
                    host.trim_start_matches('[').trim_end_matches(']'),
                    port,
                    proxy.basic_auth(),
                )
                .await
                .map_err(|e| ConnectError::new(Phase::Connect, e))?,
                (None, true) => {}
            }
            budget.progress.set(Phase::Tls);
            let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
                .map_err(|e| ConnectError::new(Phase::Tls, e))?;
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| ConnectError::new(Phase::Tls, e))?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        let stream = within(budget.sock_connect, TimeoutKind::SockConnect, &budget.progress, socket).await?;
        budget.progress.set(Phase::Headers);
        Ok(stream)
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

/// Tries each address in turn; the last failure is the one reported.
async fn connect_any(addrs: &[SocketAddr]) -> Result<TcpStream, ConnectError> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Some(io::Error::new(e.kind(), format!("{addr}: {e}"))),
        }
    }
    let error = last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address to connect to"));
    Err(ConnectError::new(Phase::Connect, error))
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ConnectError;
    type Future = BoxFuture<'static, Result<TokioIo<Stream>, ConnectError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let budget = BUDGET.try_with(Budget::clone).unwrap_or_default();
        let connector = self.clone();
        Box::pin(async move {
            let limit = budget.connect;
            let progress = budget.progress.clone();
            let stream = within(limit, TimeoutKind::Connect, &progress, connector.connect(uri, budget)).await?;
            Ok(TokioIo::new(stream))
        })
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

/// A TCP connection (to the server or to an HTTP proxy), possibly wrapped
/// in TLS.
pub(super) enum Stream {
    Plain(TcpStream),
    /// To an HTTP proxy that forwards absolute-form requests.
    Proxied(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Plain(tcp) => tcp.connected(),
            Stream::Proxied(tcp) => tcp.connected().proxy(true),
            Stream::Tls(tls) => {
                let (tcp, session) = tls.get_ref();
                let connected = tcp.connected();
                if session.alpn_protocol() == Some(b"h2") {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) | Stream::Proxied(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) | Stream::Proxied(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) | Stream::Proxied(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) | Stream::Proxied(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) | Stream::Proxied(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) | Stream::Proxied(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
