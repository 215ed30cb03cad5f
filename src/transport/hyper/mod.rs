//! The native transport: hyper 1.x on tokio with a keep-alive pool of our
//! own, rustls for TLS (HTTP/1.1 and HTTP/2 by ALPN), a DNS cache, Happy
//! Eyeballs, HTTP, HTTPS and SOCKS5 proxies.

mod connector;
mod dns;
mod pool;
mod proxy;
mod stream;
mod tls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::PROXY_AUTHORIZATION;

use self::connector::{Budget, Connector, TcpSettings};
use self::dns::DnsCache;
use self::proxy::Proxies;
use super::{BoxFuture, HttpVersions, NetworkConfig, SendOptions, Timer, Transport};
use crate::{Body, Proxy, Result};

/// The native [`Transport`]: hyper on tokio with a keep-alive pool.
///
/// [`Session::new`](crate::Session::new) makes one from the session's
/// settings; requests must be sent from within a tokio runtime. A request
/// with its own proxy uses a pool of its own for that proxy, so that
/// connections made through different proxies are never mixed.
#[derive(Clone)]
pub struct HyperTransport {
    default: Pool,
    per_proxy: Arc<Mutex<HashMap<Proxy, Pool>>>,
    dns: DnsCache,
    tcp: TcpSettings,
    tls: Arc<rustls::ClientConfig>,
    versions: HttpVersions,
}

/// A pool and the proxies its connector uses.
#[derive(Clone)]
struct Pool {
    connections: pool::Pool,
    proxies: Proxies,
}

impl Pool {
    fn new(
        dns: DnsCache,
        tcp: TcpSettings,
        tls: Arc<rustls::ClientConfig>,
        proxies: Proxies,
        versions: HttpVersions,
    ) -> Pool {
        let connector = Connector::new(dns, tcp, tls, proxies.clone());
        Pool {
            connections: pool::Pool::new(connector, versions),
            proxies,
        }
    }
}

impl HyperTransport {
    pub(crate) fn from_config(config: &NetworkConfig) -> Result<HyperTransport> {
        let tls = Arc::new(tls::client_config(&config.tls, config.versions)?);
        let dns = DnsCache::new(config.dns_ttl, config.pinned_addrs.clone());
        let tcp = TcpSettings {
            nodelay: config.tcp_nodelay,
            keepalive: config.tcp_keepalive,
            local_address: config.local_address,
        };
        let proxies = Proxies::new(&config.proxies, config.trust_env);
        Ok(HyperTransport {
            default: Pool::new(dns.clone(), tcp.clone(), tls.clone(), proxies, config.versions),
            per_proxy: Arc::default(),
            dns,
            tcp,
            tls,
            versions: config.versions,
        })
    }

    /// The pool for a request: the session's, or the one of its own proxy.
    fn pool(&self, proxy: Option<&Proxy>) -> Pool {
        let Some(proxy) = proxy else {
            return self.default.clone();
        };
        let mut pools = self.per_proxy.lock().unwrap_or_else(|e| e.into_inner());
        pools
            .entry(proxy.clone())
            .or_insert_with(|| {
                let proxies = Proxies::new(std::slice::from_ref(proxy), false);
                Pool::new(
                    self.dns.clone(),
                    self.tcp.clone(),
                    self.tls.clone(),
                    proxies,
                    self.versions,
                )
            })
            .clone()
    }
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HyperTransport")
    }
}

impl Transport for HyperTransport {
    fn send(
        &self,
        mut request: http::Request<Body>,
        options: SendOptions,
    ) -> BoxFuture<'static, Result<http::Response<Body>>> {
        let pool = self.pool(options.proxy.as_ref());
        // Plain-HTTP requests through an HTTP(S) proxy carry its credentials
        // themselves (HTTPS ones send them in the CONNECT, SOCKS ones in
        // the handshake).
        if request.uri().scheme_str() == Some("http") {
            if let Some(auth) = pool
                .proxies
                .for_uri(request.uri())
                .and_then(|p| p.basic_auth().cloned())
            {
                request.headers_mut().insert(PROXY_AUTHORIZATION, auth);
            }
        }
        let budget = Budget {
            connect: options.connect,
            sock_connect: options.sock_connect,
            progress: options.progress,
        };
        Box::pin(pool.connections.send(request, budget))
    }
}

/// The native [`Timer`]: `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn sleep_until(&self, deadline: web_time::Instant) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }

    /// tokio's clock, which its sleeps follow (paused and advanced in
    /// tests that use tokio's test clock).
    fn now(&self) -> web_time::Instant {
        tokio::time::Instant::now().into_std()
    }
}
