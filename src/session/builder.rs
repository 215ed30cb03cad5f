//! [`SessionBuilder`]: every setting of a [`Session`], with its default.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, USER_AGENT};
use url::Url;

use super::{InvalidUrl, Session};
use crate::cookies::SessionCookies;
use crate::exchange::{Client, Defaults};
use crate::hooks::Hooks;
use crate::last_origin::LastOrigin;
use crate::limit::{Limiter, Limits};
use crate::redirect::Redirect;
use crate::transport::{self, NetworkConfig, Timer, Transport};
#[cfg(feature = "cookies")]
use crate::CookieJar;
use crate::{headers, Error, Proxy, Result, Retry, Timeout, TlsVersion};

/// Configures a [`Session`]; every setting has a sensible default.
///
/// Invalid input (a header with a newline, a base URL that does not parse)
/// is reported by [`build`](Self::build), never by a panic.
#[must_use]
pub struct SessionBuilder {
    transport: Option<Arc<dyn Transport>>,
    timer: Option<Arc<dyn Timer>>,
    base_url: Option<Url>,
    headers: HeaderMap,
    timeout: Timeout,
    limits: Limits,
    redirect: Redirect,
    retry: Retry,
    decompress: bool,
    max_body: Option<u64>,
    cookies: SessionCookies,
    hooks: Hooks,
    network: NetworkConfig,
    error: Option<Error>,
}

impl Default for SessionBuilder {
    fn default() -> SessionBuilder {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("unifetch/", env!("CARGO_PKG_VERSION"))),
        );
        SessionBuilder {
            transport: None,
            timer: None,
            base_url: None,
            headers,
            timeout: Timeout::default(),
            limits: Limits::default(),
            redirect: Redirect::default(),
            retry: Retry::default(),
            decompress: true,
            max_body: None,
            cookies: SessionCookies::default(),
            hooks: Hooks::default(),
            network: NetworkConfig::default(),
            error: None,
        }
    }
}

impl SessionBuilder {
    /// Relative request URLs are joined to this one (with [`Url::join`]
    /// rules: keep a trailing `/` on a base path you want to extend).
    pub fn base_url(mut self, url: impl AsRef<str>) -> Result<SessionBuilder> {
        let url = url.as_ref();
        let parsed = Url::parse(url).map_err(|e| Error::builder(InvalidUrl(url.to_owned(), e)))?;
        self.base_url = Some(parsed);
        Ok(self)
    }

    /// A header sent with every request (a request's own header of the same
    /// name replaces it). Setting `User-Agent` replaces unifetch's.
    pub fn header<K, V>(mut self, name: K, value: V) -> SessionBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: Into<http::Error>,
        V: TryInto<HeaderValue>,
        V::Error: Into<http::Error>,
    {
        match headers::pair(name, value) {
            Ok((name, value)) => {
                self.headers.insert(name, value);
            }
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// Several default headers at once.
    pub fn headers(mut self, mut headers: HeaderMap) -> SessionBuilder {
        headers::mark_sensitive(&mut headers);
        for (name, value) in headers {
            if let Some(name) = name {
                self.headers.insert(name, value);
            }
        }
        self
    }

    /// Default timeouts for every request (a request can override them).
    pub fn timeout(mut self, timeout: Timeout) -> SessionBuilder {
        self.timeout = timeout;
        self
    }

    /// Limits on requests in flight.
    pub fn limits(mut self, limits: Limits) -> SessionBuilder {
        self.limits = limits;
        self
    }

    /// At most `n` requests in flight in this session (default 100; `0`: no cap).
    pub fn limit(mut self, n: usize) -> SessionBuilder {
        self.limits = self.limits.limit(n);
        self
    }

    /// At most `n` requests in flight to one host (default: no cap).
    pub fn limit_per_host(mut self, n: usize) -> SessionBuilder {
        self.limits = self.limits.limit_per_host(n);
        self
    }

    /// How long resolved host addresses are reused (default 10 s; zero
    /// disables the cache). Natively only: elsewhere the platform resolves.
    pub fn dns_cache_ttl(mut self, ttl: Duration) -> SessionBuilder {
        self.network.dns_ttl = ttl;
        self
    }

    /// How redirects are followed (default: up to 10).
    pub fn redirect(mut self, policy: Redirect) -> SessionBuilder {
        self.redirect = policy;
        self
    }

    /// How failed requests are retried (default [`Retry::default()`];
    /// [`Retry::none()`] turns retries off).
    pub fn retry(mut self, policy: Retry) -> SessionBuilder {
        self.retry = policy;
        self
    }

    /// Whether gzip, deflate, brotli and zstd bodies are decoded (default
    /// yes; `Accept-Encoding` is sent accordingly). Browsers and Node always
    /// decode, whatever this says.
    pub fn decompress(mut self, decompress: bool) -> SessionBuilder {
        self.decompress = decompress;
        self
    }

    /// The largest response body read, after decoding: reading more is an
    /// [`is_body`](Error::is_body) error, which stops decompression bombs
    /// and endless bodies. Without it, bodies read whole (`bytes`, `text`,
    /// `json`) stop at 1 GiB and streams (`chunk`, `chunks`) are the
    /// caller's to bound; once set, it applies to both.
    pub fn max_body_size(mut self, bytes: u64) -> SessionBuilder {
        self.max_body = Some(bytes);
        self
    }

    /// Keeps cookies: in a new `CookieJar` natively, in Node and in WASI
    /// (the `cookies` feature), in the browser's own jar in browsers.
    /// Without the feature, [`build`](Self::build) fails where the
    /// platform keeps no cookies itself.
    pub fn cookie_store(mut self, enabled: bool) -> SessionBuilder {
        self.cookies = SessionCookies::kept(enabled);
        self
    }

    /// Keeps cookies in `jar`, which can be shared, saved and loaded.
    #[cfg(feature = "cookies")]
    pub fn cookie_jar(mut self, jar: Arc<CookieJar>) -> SessionBuilder {
        self.cookies = SessionCookies::in_jar(jar);
        self
    }

    /// Sends requests through `proxy` (several can be given: one for
    /// `http`, one for `https`). Natively only.
    pub fn proxy(mut self, proxy: Proxy) -> SessionBuilder {
        self.network.proxies.push(proxy);
        self
    }

    /// Connects to `addrs` for `host` instead of asking DNS (curl's
    /// `--resolve`, reqwest's `resolve_to_addrs`). An address with port 0
    /// takes the URL's port. Several addresses are tried as DNS answers
    /// are: one family first, the other after 250 ms (Happy Eyeballs).
    /// Through a `socks5://` proxy the addresses are handed to the proxy;
    /// through `socks5h://` and HTTP(S) proxies the proxy resolves the name
    /// itself (pins of the proxy's own host name apply). Natively only.
    ///
    /// ```
    /// # use unifetch::Session;
    /// let session = Session::builder()
    ///     .resolve_to_addrs("api.example", &["127.0.0.1:0".parse().unwrap()])
    ///     .build()?;
    /// # unifetch::Result::<()>::Ok(())
    /// ```
    pub fn resolve_to_addrs(mut self, host: &str, addrs: &[SocketAddr]) -> SessionBuilder {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.network.pinned_addrs.insert(host, addrs.to_vec());
        self
    }

    /// The local IP address new connections are made from (default: the
    /// system's choice). Natively only.
    pub fn local_address(mut self, address: impl Into<Option<IpAddr>>) -> SessionBuilder {
        self.network.local_address = address.into();
        self
    }

    /// Sends TCP keepalive probes after a connection has been idle this
    /// long (default: off). Natively only.
    pub fn tcp_keepalive(mut self, idle: impl Into<Option<Duration>>) -> SessionBuilder {
        self.network.tcp_keepalive = idle.into();
        self
    }

    /// Sets `TCP_NODELAY` on new connections (default: on, so small writes
    /// leave at once). Natively only.
    pub fn tcp_nodelay(mut self, nodelay: bool) -> SessionBuilder {
        self.network.tcp_nodelay = nodelay;
        self
    }

    /// Speaks only HTTP/1.1 (TLS offers only `http/1.1` in ALPN), as
    /// reqwest's `http1_only`. Natively only: browsers, Node and WASI
    /// hosts choose the version themselves.
    pub fn http1_only(mut self) -> SessionBuilder {
        self.network.versions = crate::transport::HttpVersions::Http1Only;
        self
    }

    /// Speaks only HTTP/2, without asking first: over TLS (ALPN `h2`) and
    /// in the clear (h2c), as reqwest's `http2_prior_knowledge`. Natively
    /// only. The default negotiates: HTTP/2 where TLS agrees on it.
    pub fn http2_prior_knowledge(mut self) -> SessionBuilder {
        self.network.versions = crate::transport::HttpVersions::Http2PriorKnowledge;
        self
    }

    /// Reads proxies from `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and
    /// `NO_PROXY` (or their lower-case forms) when no explicit proxy is set
    /// (default: off, as in aiohttp). Natively only.
    pub fn trust_env(mut self, trust: bool) -> SessionBuilder {
        self.network.trust_env = trust;
        self
    }

    /// Also trusts the certificates in `pem` (one or more, PEM): authorities,
    /// or a server's own certificate trusted directly, which passes for the
    /// names it holds while it is valid even when it is marked as a CA (a
    /// self-signed `openssl req -x509` one, as curl's `--cacert` accepts it).
    /// Natively only.
    pub fn tls_root_certificates(mut self, pem: impl Into<Vec<u8>>) -> SessionBuilder {
        self.network.tls.roots_pem.push(pem.into());
        self
    }

    /// Whether the built-in roots are trusted (default yes): the operating
    /// system's (or the files named by `SSL_CERT_FILE`/`SSL_CERT_DIR`, read
    /// once per process), plus Mozilla's bundled ones with the
    /// `webpki-roots` feature. With `false` only the added ones are.
    pub fn tls_built_in_roots(mut self, trust: bool) -> SessionBuilder {
        self.network.tls.only_extra_roots = !trust;
        self
    }

    /// Presents a client certificate: its chain and its private key, PEM.
    pub fn tls_client_identity(
        mut self,
        certificate_chain_pem: impl Into<Vec<u8>>,
        private_key_pem: impl Into<Vec<u8>>,
    ) -> SessionBuilder {
        self.network.tls.identity_pem = Some((certificate_chain_pem.into(), private_key_pem.into()));
        self
    }

    /// The oldest TLS version accepted (default 1.2).
    pub fn tls_min_version(mut self, version: TlsVersion) -> SessionBuilder {
        self.network.tls.min_version = Some(version);
        self
    }

    /// **Turns off TLS certificate verification**: any certificate for any
    /// name is accepted, so anyone on the path can read and change the
    /// traffic. For tests against self-signed servers only (aiohttp's
    /// `ssl=False`, curl's `--insecure`). Natively only.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> SessionBuilder {
        self.network.tls.accept_invalid_certs = accept;
        self
    }

    /// Sends requests through `transport` instead of this target's default.
    ///
    /// Network settings of this builder (DNS cache, …) then belong to that
    /// transport and are not applied.
    pub fn transport(mut self, transport: impl Transport) -> SessionBuilder {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Sleeps with `timer` instead of this target's default.
    pub fn timer(mut self, timer: impl Timer) -> SessionBuilder {
        self.timer = Some(Arc::new(timer));
        self
    }

    /// Hooks for every request of the session (see [`hooks`](crate::hooks));
    /// added to those set before.
    pub fn hooks(mut self, hooks: Hooks) -> SessionBuilder {
        self.hooks = std::mem::take(&mut self.hooks).then(&hooks);
        self
    }

    /// Checks the settings and makes the session.
    pub fn build(self) -> Result<Session> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let transport = match self.transport {
            Some(transport) => transport,
            None => transport::default_transport(&self.network)?,
        };
        let platform = transport.platform();
        self.cookies.check(platform)?;
        let client = Client {
            transport,
            timer: self.timer.unwrap_or_else(transport::default_timer),
            limiter: Limiter::new(self.limits),
            cookies: self.cookies,
            platform,
            last_origin: LastOrigin::default(),
            defaults: Defaults {
                decoding_headers: Defaults::decoding(&self.headers),
                headers: self.headers,
                timeout: self.timeout,
                redirect: self.redirect,
                retry: self.retry,
                decompress: self.decompress,
                max_body: self.max_body,
                hooks: self.hooks,
            },
        };
        Ok(Session::from_parts(self.base_url, client))
    }
}
