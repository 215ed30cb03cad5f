//! Choosing a proxy for a destination, and going through it: HTTP and
//! HTTPS proxies (absolute-form requests, or `CONNECT` tunnels), SOCKS5
//! ones, with hyper-util's connectors.

use std::fmt;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use tower_service::Service as _;

use super::connector::{Dialer, Target};
use super::dns::DnsCache;
use super::stream::Hop;
use crate::error::BoxError;
use crate::proxy::ProxyScope;
use crate::Proxy;

/// Which proxy, if any, each destination goes through.
#[derive(Clone)]
pub(super) struct Proxies {
    matcher: std::sync::Arc<Matcher>,
}

impl Proxies {
    /// Explicit proxies win; without them, the environment if trusted.
    pub(super) fn new(explicit: &[Proxy], trust_env: bool) -> Proxies {
        let matcher = if explicit.is_empty() && trust_env {
            Matcher::from_env()
        } else {
            let mut builder = Matcher::builder();
            let mut no = Vec::new();
            for proxy in explicit {
                let url = proxy.url().as_str().to_owned();
                builder = match proxy.scope {
                    ProxyScope::All => builder.all(url),
                    ProxyScope::Http => builder.http(url),
                    ProxyScope::Https => builder.https(url),
                };
                no.extend(proxy.no_proxy.clone());
            }
            builder.no(no.join(",")).build()
        };
        Proxies {
            matcher: std::sync::Arc::new(matcher),
        }
    }

    /// The proxy for `uri`, if it goes through one.
    pub(super) fn for_uri(&self, uri: &Uri) -> Option<Intercept> {
        self.matcher.intercept(uri)
    }
}

/// Opens the way to `target` through `proxy` over the connection `dialer`
/// makes to it: a `CONNECT` tunnel or a SOCKS5 one, or (plain HTTP through
/// an HTTP(S) proxy) the proxy connection itself, which then takes requests
/// in absolute form (the `bool`).
pub(super) async fn through(
    proxy: &Intercept,
    target: &Target,
    dialer: Dialer,
    dns: &DnsCache,
) -> Result<(Hop, bool), ProxyError> {
    let scheme = proxy.uri().scheme_str().unwrap_or_default();
    let error = |step: &'static str| {
        let proxy = ProxyName::of(proxy.uri());
        move |source: BoxError| ProxyError { step, proxy, source }
    };
    let http_proxy = matches!(scheme, "http" | "https");
    let hop = dialer.dial().await.map_err(error("connecting to"))?;
    if http_proxy && !target.https {
        return Ok((hop, true));
    }
    let connected = Connected(Some(hop));
    match scheme {
        "http" | "https" => {
            let mut tunnel = Tunnel::new(proxy.uri().clone(), connected);
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            let io = tunnel
                .call(target.uri())
                .await
                .map_err(|e| error("CONNECT tunnel through")(e.into()))?;
            Ok((io.into_inner(), false))
        }
        _ => {
            // socks5h:// leaves the name to the proxy; socks5:// resolves it here.
            let destination = if scheme == "socks5h" {
                target.uri()
            } else {
                let addrs = dns
                    .resolve(&target.host)
                    .await
                    .map_err(|e| error("resolving for")(e.into()))?;
                let ip = addrs.first().map(|addr| addr.ip().to_string()).unwrap_or_default();
                Target {
                    host: ip,
                    ..target.clone()
                }
                .uri()
            };
            let mut socks = SocksV5::new(proxy.uri().clone(), connected).local_dns(false);
            if let Some((user, password)) = proxy.raw_auth() {
                socks = socks.with_auth(user.to_owned(), password.to_owned());
            }
            let io = socks
                .call(destination)
                .await
                .map_err(|e| error("SOCKS5 handshake with")(e.into()))?;
            Ok((io.into_inner(), false))
        }
    }
}

/// The connection to the proxy, handed once to hyper-util's tunnel
/// connectors, which then do the handshake over it.
struct Connected(Option<Hop>);

impl tower_service::Service<Uri> for Connected {
    type Response = TokioIo<Hop>;
    type Error = &'static str;
    type Future = std::future::Ready<Result<TokioIo<Hop>, &'static str>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), &'static str>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _proxy: Uri) -> Self::Future {
        std::future::ready(
            self.0
                .take()
                .map(TokioIo::new)
                .ok_or("the proxy connection was used already"),
        )
    }
}

/// A proxy's scheme, host and port, for messages (never its credentials).
struct ProxyName(String);

impl ProxyName {
    fn of(uri: &Uri) -> ProxyName {
        let scheme = uri.scheme_str().unwrap_or("http");
        let host = uri.host().unwrap_or_default();
        ProxyName(match uri.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        })
    }
}

/// What failed with a proxy: connecting to it (refused, TLS to an HTTPS
/// proxy), its `CONNECT` answer (a 407, any other refusal), or the SOCKS
/// handshake (credentials rejected, a reply error such as "host
/// unreachable"); `source` says which, in hyper-util's words.
#[derive(Debug)]
pub(super) struct ProxyError {
    step: &'static str,
    proxy: ProxyName,
    source: BoxError,
}

impl fmt::Debug for ProxyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} the proxy {}", self.step, self.proxy.0)
    }
}

impl std::error::Error for ProxyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
