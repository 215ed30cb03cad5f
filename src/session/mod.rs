//! [`Session`]: the settings and machinery shared by many requests, and
//! [`Session::execute`], where every request enters the
//! [exchange](crate::exchange).
//!
//! The request methods (`get`, `post`, …) are in `request.rs`, next to the
//! builder they return; the settings are collected by [`SessionBuilder`].

mod builder;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use url::Url;

pub use self::builder::SessionBuilder;
use crate::exchange::Client;
#[cfg(feature = "cookies")]
use crate::CookieJar;
use crate::{Error, Request, Response, Result, Timeout};

/// A reusable client: a base URL, default headers, timeouts, limits and a
/// connection pool, shared by every request made through it.
///
/// Cloning is cheap and clones share everything (pool, limits), so make one
/// `Session` and pass it around, as with `aiohttp.ClientSession`.
///
/// ```no_run
/// use std::time::Duration;
/// use unifetch::{Session, StatusCode, Timeout};
///
/// # async fn run() -> unifetch::Result<()> {
/// let session = Session::builder()
///     .base_url("http://127.0.0.1:8080")?
///     .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)")
///     .timeout(Timeout::total(Duration::from_secs(1)))
///     .build()?;
/// let resp = session.get("/get").query(&[("name", "钢铁知识库"), ("age", "23")]).send().await?;
/// assert_eq!(resp.status(), StatusCode::OK);
/// let body: serde_json::Value = resp.json().await?;
/// println!("{}", body["args"]["name"]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: Option<Url>,
    client: Client,
}

impl Session {
    /// A session with every default: no base URL, unifetch's `User-Agent`,
    /// [`Timeout::default()`], [`Limits::default()`](crate::Limits), up to
    /// 10 redirects, [`Retry::default()`](crate::Retry) (2 retries of
    /// idempotent requests), transparent decompression, bodies up to 1 GiB,
    /// no cookie jar, no proxy.
    pub fn new() -> Session {
        Session::builder().build().expect("the default settings are valid")
    }

    /// Starts configuring a session.
    pub fn builder() -> SessionBuilder {
        SessionBuilder::default()
    }

    fn from_parts(base_url: Option<Url>, client: Client) -> Session {
        // On wasm nothing is `Send`; one `Arc` keeps one type on every target.
        #[allow(clippy::arc_with_non_send_sync)]
        let inner = Arc::new(Inner { base_url, client });
        Session { inner }
    }

    /// Sends `request` and waits for the response head: the one way in for
    /// every request of this session (the builders' `send()` comes here).
    /// The request is checked and its exchange set up when this is called;
    /// nothing is sent before the future is first polled.
    ///
    /// ```no_run
    /// # async fn run(session: unifetch::Session) -> unifetch::Result<()> {
    /// let request = session.get("/get").header("X-Trace", "abc").build()?;
    /// let response = session.execute(request).await?;
    /// # Ok(()) }
    /// ```
    //
    // Not an `async fn`: one keeps its argument twice, and this future
    // would hold two copies of the request. The exchange starts here; its
    // future (boxed) is all this one holds.
    pub fn execute(&self, request: Request) -> impl Future<Output = Result<Response>> + '_ {
        let exchange = check_scheme(request.url()).map(|()| self.inner.client.execute(request));
        async move { exchange?.await }
    }

    /// The base URL relative request URLs are joined to.
    pub fn base_url(&self) -> Option<&Url> {
        self.inner.base_url.as_ref()
    }

    /// The session's default timeouts.
    pub fn timeout(&self) -> Timeout {
        self.inner.client.defaults.timeout
    }

    /// The session's cookie jar, if it keeps one.
    #[cfg(feature = "cookies")]
    pub fn cookie_jar(&self) -> Option<&Arc<CookieJar>> {
        self.inner.client.cookies.jar()
    }

    /// The session's timer, for the crawler's politeness delays.
    #[cfg(feature = "crawl")]
    pub(crate) fn timer(&self) -> &dyn crate::transport::Timer {
        &*self.inner.client.timer
    }

    /// Resolves `url` against the base URL, as [`Url::join`] does.
    /// A URL on the origin of the one before is parsed from its path on
    /// (see [`LastOrigin`](crate::last_origin::LastOrigin)).
    pub(crate) fn resolve(&self, url: &str) -> Result<Url> {
        if let Some(url) = self.inner.client.last_origin.parse(url) {
            return Ok(url);
        }
        let parsed = match &self.inner.base_url {
            Some(base) => base.join(url),
            None => Url::parse(url),
        };
        let url = parsed.map_err(|e| Error::builder(InvalidUrl(url.to_owned(), e)))?;
        check_scheme(&url)?;
        self.inner.client.last_origin.remember(&url);
        Ok(url)
    }
}

/// Only `http` and `https` URLs with a host can be fetched.
fn check_scheme(url: &Url) -> Result<()> {
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(()),
        _ => Err(Error::builder(UnsupportedUrl(url.to_string()))),
    }
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("base_url", &self.inner.base_url.as_ref().map(Url::as_str))
            .field("timeout", &self.inner.client.defaults.timeout)
            .field("limits", &self.inner.client.limiter.limits())
            .finish_non_exhaustive()
    }
}

/// A URL that does not parse.
#[derive(Debug)]
struct InvalidUrl(String, url::ParseError);

impl fmt::Display for InvalidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid URL {:?}: {}", self.0, self.1)
    }
}

impl std::error::Error for InvalidUrl {}

/// A URL that parses but cannot be fetched over HTTP.
#[derive(Debug)]
struct UnsupportedUrl(String);

impl fmt::Display for UnsupportedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "URL {:?} is not an http(s) URL with a host", self.0)
    }
}

impl std::error::Error for UnsupportedUrl {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    #[test]
    fn execute_refuses_a_request_that_is_not_http() {
        let session = Session::new();
        for url in ["ftp://127.0.0.1/file", "data:text/plain,hello", "file:///etc/hosts"] {
            let request = Request::new(Method::GET, url.parse().unwrap());
            let err = futures::executor::block_on(session.execute(request)).unwrap_err();
            assert!(err.is_builder(), "{url}: {err:?}");
            assert_eq!(
                format!("{err:#}"),
                format!("invalid request: URL {url:?} is not an http(s) URL with a host")
            );
        }
    }
}
