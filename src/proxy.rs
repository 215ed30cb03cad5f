//! [`Proxy`]: where requests go through, and which hosts skip it.

use std::fmt;

use url::Url;

use crate::{Error, Result};

/// A forward proxy for some or all requests, as
/// `scheme://[user:password@]host[:port]`:
///
/// - `http://` (port 80 by default) and `https://` (443; TLS to the proxy
///   itself): plain `http` requests are sent to it in absolute form, `https`
///   ones are tunnelled with `CONNECT`; credentials go in
///   `Proxy-Authorization`.
/// - `socks5://` (port 1080 by default): SOCKS5, the name resolved here;
///   `socks5h://` lets the proxy resolve it. Credentials are SOCKS5's
///   user/password.
///
/// Natively only: in browsers and Node the platform's proxy settings apply,
/// and in WASI the host's.
///
/// ```
/// use unifetch::Proxy;
/// let proxy = Proxy::all("http://user:secret@127.0.0.1:3128")?.no_proxy("localhost, .internal");
/// assert_eq!(proxy.url().port(), Some(3128));
/// # unifetch::Result::<()>::Ok(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    pub(crate) scope: ProxyScope,
    url: Url,
    pub(crate) no_proxy: Option<String>,
}

/// Which requests a [`Proxy`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ProxyScope {
    All,
    Http,
    Https,
}

impl Proxy {
    /// A proxy for every request.
    pub fn all(url: impl AsRef<str>) -> Result<Proxy> {
        Proxy::new(ProxyScope::All, url.as_ref())
    }

    /// A proxy for `http://` requests only.
    pub fn http(url: impl AsRef<str>) -> Result<Proxy> {
        Proxy::new(ProxyScope::Http, url.as_ref())
    }

    /// A proxy for `https://` requests only.
    pub fn https(url: impl AsRef<str>) -> Result<Proxy> {
        Proxy::new(ProxyScope::Https, url.as_ref())
    }

    fn new(scope: ProxyScope, url: &str) -> Result<Proxy> {
        let url = Url::parse(url).map_err(|e| Error::builder(format!("invalid proxy URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") || !url.has_host() {
            return Err(Error::builder(format!(
                "a proxy URL must be http://, https://, socks5:// or socks5h:// with a host, not {:?}",
                crate::error::Redacted(&url).to_string()
            )));
        }
        Ok(Proxy {
            scope,
            url,
            no_proxy: None,
        })
    }

    /// Hosts that bypass this proxy, as in `NO_PROXY`: comma-separated
    /// domains (matching subdomains too), IP addresses or CIDR ranges, `*`.
    pub fn no_proxy(mut self, hosts: impl Into<String>) -> Proxy {
        self.no_proxy = Some(hosts.into());
        self
    }

    /// The proxy's URL (with its credentials, if any).
    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("scope", &self.scope)
            .field("url", &format_args!("{}", crate::error::Redacted(&self.url)))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}
