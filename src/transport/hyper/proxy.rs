//! Choosing a proxy for a destination, and going through it: HTTP and
//! HTTPS proxies (absolute-form requests, or `CONNECT` tunnels), SOCKS5
//! ones, with hyper-util's connectors.

use std::fmt;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use tower_service::Service as _;

use super::connector::{Dialer, Target};
use super::stream::Hop;
use crate::error::BoxError;
use crate::proxy::ProxyScope;
use crate::Proxy;

/// Which proxy, if any, each destination goes through.
#[derive(Clone)]
pub(super) struct Proxies {
    matcher: std::sync::Arc<Matcher>,
    /// Whether any proxy was given: without one, no destination needs
    /// the matcher, which checks `NO_PROXY` before anything else.
    any: bool,
}

impl Proxies {
    /// Explicit proxies win; without them, the environment if trusted.
    pub(super) fn new(explicit: &[Proxy], trust_env: bool) -> Proxies {
        let from_env = explicit.is_empty() && trust_env;
        let any = !explicit.is_empty() || (from_env && proxy_variable_set());
        let matcher = if from_env {
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
            any,
        }
    }

    /// The proxy for `uri`, if it goes through one.
    pub(super) fn for_uri(&self, uri: &Uri) -> Option<Intercept> {
        if !self.any {
            return None;
        }
        self.matcher.intercept(uri)
    }
}

/// Whether the environment names a proxy in one of the variables that
/// [`Matcher::from_env`] reads (`NO_PROXY` alone names none).
fn proxy_variable_set() -> bool {
    [
        "ALL_PROXY",
        "all_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// [`through`] each of `destinations` in turn (a new connection to the
/// proxy each time) until one opens; the last failure otherwise.
pub(super) async fn through_any(
    proxy: &Intercept,
    target: &Target,
    destinations: Vec<Destination>,
    dialer: Dialer,
) -> Result<(Hop, bool), ProxyError> {
    let mut failure = None;
    for destination in destinations {
        match through(proxy, target, destination, dialer.clone()).await {
            Ok(opened) => return Ok(opened),
            Err(error) => failure = Some(error),
        }
    }
    Err(failure.unwrap_or_else(|| ProxyError {
        step: "no destination address for",
        proxy: ProxyName::of(proxy.uri()),
        source: "the name resolved to nothing".into(),
    }))
}

/// Opens the way to `target` through `proxy` over the connection `dialer`
/// makes to it: a `CONNECT` tunnel or a SOCKS5 one, or (plain HTTP through
/// an HTTP(S) proxy) the proxy connection itself, which then takes requests
/// in absolute form (the `bool`).
async fn through(
    proxy: &Intercept,
    target: &Target,
    destination: Destination,
    dialer: Dialer,
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
            let destination = match destination {
                Destination::Name => target.uri(),
                Destination::Address(addr) => Target {
                    host: addr.ip().to_string(),
                    port: addr.port(),
                    ..target.clone()
                }
                .uri(),
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

/// How a SOCKS5 proxy is told where to connect.
#[derive(Clone, Copy)]
pub(super) enum Destination {
    /// By name (`socks5h://`, and every HTTP(S) proxy).
    Name,
    /// By an address resolved here (`socks5://`).
    Address(SocketAddr),
}

/// Whether `proxy` wants destinations resolved here (`socks5://`).
pub(super) fn resolves_here(proxy: &Intercept) -> bool {
    proxy.uri().scheme_str() == Some("socks5")
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
