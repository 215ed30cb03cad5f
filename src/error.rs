//! One opaque [`Error`] for everything that can go wrong, with predicates
//! that mean the same on every target.

use std::fmt;
use std::time::Duration;

use http::StatusCode;
use url::Url;

/// A boxed error that can cross threads, the `source()` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `Result<T, unifetch::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an exchange something failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Waiting for a free slot under the session's limits.
    Pool,
    /// Resolving the host name.
    Resolve,
    /// Opening the TCP connection.
    Connect,
    /// Connecting to a proxy and opening the way through it (`CONNECT`
    /// tunnel, SOCKS handshake, TLS to an HTTPS proxy).
    Proxy,
    /// The TLS handshake.
    Tls,
    /// Writing the request head or body.
    Send,
    /// Waiting for the response head.
    Headers,
    /// Reading the response body.
    Body,
}

impl Phase {
    /// The phase's name as it appears in messages (`"headers"`, `"tls"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pool => "pool",
            Phase::Resolve => "dns",
            Phase::Connect => "connect",
            Phase::Proxy => "proxy",
            Phase::Tls => "tls",
            Phase::Send => "send",
            Phase::Headers => "headers",
            Phase::Body => "body",
        }
    }

    fn is_connect(self) -> bool {
        matches!(
            self,
            Phase::Pool | Phase::Resolve | Phase::Connect | Phase::Proxy | Phase::Tls
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the [`Timeout`](crate::Timeout) limits fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// The whole request, body included.
    Total,
    /// Getting a connection: waiting for a slot plus connecting.
    Connect,
    /// Connecting one socket (TCP and TLS).
    SockConnect,
    /// Silence between two reads.
    SockRead,
}

impl TimeoutKind {
    /// The name used in messages, as in aiohttp's `ClientTimeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutKind::Total => "total",
            TimeoutKind::Connect => "connect",
            TimeoutKind::SockConnect => "sock_connect",
            TimeoutKind::SockRead => "sock_read",
        }
    }
}

/// Every way a request can fail.
///
/// Opaque on purpose: ask it with the predicates ([`is_timeout`](Self::is_timeout),
/// [`is_connect`](Self::is_connect), …), [`phase`](Self::phase),
/// [`timeout`](Self::timeout), [`status`](Self::status) and [`url`](Self::url).
/// `Display` says what happened in one line; the underlying causes are in
/// [`source()`](std::error::Error::source) and [`causes`](Self::causes), and
/// the alternate form (`{:#}`) prints them all on that line, as anyhow does.
/// Passwords in URLs are never printed.
///
/// ```
/// # futures::executor::block_on(async {
/// let err = unifetch::Session::new().get("http://exa mple.com/").send().await.unwrap_err();
/// assert!(err.is_builder());
/// assert_eq!(err.to_string(), "invalid request");
/// assert_eq!(format!("{err:#}"), "invalid request: invalid URL \"http://exa mple.com/\": invalid international domain name");
/// # Ok::<(), unifetch::Error>(()) }).unwrap();
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    source: Option<BoxError>,
    url: Option<Url>,
    /// The errors of earlier attempts, when this one ended a retry sequence.
    previous: Vec<Error>,
    /// Why a retryable failure was not retried, when that needs saying.
    not_retried: Option<&'static str>,
    /// The server had closed the kept-alive connection the request went
    /// out on (see [`Error::closed_while_idle`]).
    closed_while_idle: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Builder,
    Transport(Phase),
    Timeout(TimeoutKind, Phase, Option<Duration>),
    Status(StatusCode),
    Decode,
    Redirect,
    BodyLimit(u64),
    Hook,
    Store,
}

impl Error {
    fn new(kind: Kind, source: Option<BoxError>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                source,
                url: None,
                previous: Vec::new(),
                not_retried: None,
                closed_while_idle: false,
            }),
        }
    }

    /// A failure in `phase` of an exchange, for transports to return.
    pub fn transport(phase: Phase, source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Transport(phase), Some(source.into()))
    }

    /// For transports to return when the server had closed a kept-alive
    /// connection by the time a request went out on it: the connection
    /// ended before any response to it. The request most likely never
    /// reached the server's application, so the core sends an idempotent
    /// request with a replayable body again on another connection at once,
    /// as browsers, curl and Go's `net/http` do, whatever the retry policy.
    /// To the caller it is a request error in the `Headers` phase.
    pub fn closed_while_idle(source: impl Into<BoxError>) -> Error {
        let mut error = Error::transport(Phase::Headers, source);
        error.inner.closed_while_idle = true;
        error
    }

    pub(crate) fn is_closed_while_idle(&self) -> bool {
        self.inner.closed_while_idle
    }

    /// A timeout detected in `phase`, for transports to return.
    pub fn timeout(kind: TimeoutKind, phase: Phase) -> Error {
        Error::new(Kind::Timeout(kind, phase, None), None)
    }

    /// A hook's own failure (see [`hooks`](crate::hooks)): `source` says what.
    pub fn hook(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Hook, Some(source.into()))
    }

    /// A crawl store's failure (see [`crawl::store`](crate::crawl)): a
    /// database that cannot be opened, read or written; `source` says why.
    pub fn store(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Store, Some(source.into()))
    }

    pub(crate) fn timeout_after(kind: TimeoutKind, phase: Phase, limit: Duration) -> Error {
        Error::new(Kind::Timeout(kind, phase, Some(limit)), None)
    }

    pub(crate) fn builder(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Builder, Some(source.into()))
    }

    pub(crate) fn from_status(status: StatusCode) -> Error {
        Error::new(Kind::Status(status), None)
    }

    pub(crate) fn decode(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Decode, Some(source.into()))
    }

    pub(crate) fn redirect(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Redirect, Some(source.into()))
    }

    pub(crate) fn body_limit(limit: u64) -> Error {
        Error::new(Kind::BodyLimit(limit), None)
    }

    pub(crate) fn with_previous_attempts(mut self, previous: Vec<Error>) -> Error {
        self.inner.previous = previous;
        self
    }

    pub(crate) fn not_retried(mut self, why: &'static str) -> Error {
        self.inner.not_retried = Some(why);
        self
    }

    /// The errors of the earlier attempts, oldest first, when this error
    /// ended a sequence of retries (empty otherwise).
    pub fn previous_attempts(&self) -> &[Error] {
        &self.inner.previous
    }

    pub(crate) fn with_url(mut self, url: &Url) -> Error {
        if self.inner.url.is_none() {
            self.inner.url = Some(url.clone());
        }
        self
    }

    /// The causes under this error, the nearest first (what
    /// [`source()`](std::error::Error::source) gives, then its source, …).
    pub fn causes(&self) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
        std::iter::successors(std::error::Error::source(self), |cause| cause.source())
    }

    /// The URL of the request that failed, if known.
    pub fn url(&self) -> Option<&Url> {
        self.inner.url.as_ref()
    }

    /// Forgets the URL, so that printing the error cannot leak its path or query.
    pub fn without_url(mut self) -> Error {
        self.inner.url = None;
        self
    }

    /// A request could not be built: bad URL, header, body or setting.
    pub fn is_builder(&self) -> bool {
        self.inner.kind == Kind::Builder
    }

    /// A timeout of any kind fired; [`timeout`](Self::timeout) says which.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, Kind::Timeout(..))
    }

    /// No connection could be made: DNS, TCP, a proxy, TLS, or the limits' wait (for
    /// timeouts, `connect` and `sock_connect` count as connect errors too).
    pub fn is_connect(&self) -> bool {
        match self.inner.kind {
            Kind::Transport(phase) => phase.is_connect(),
            Kind::Timeout(kind, phase, _) => {
                matches!(kind, TimeoutKind::Connect | TimeoutKind::SockConnect) || phase.is_connect()
            }
            _ => false,
        }
    }

    /// Sending the request or receiving the response head failed.
    pub fn is_request(&self) -> bool {
        matches!(self.inner.kind, Kind::Transport(Phase::Send | Phase::Headers))
    }

    /// Reading the response body failed: reset, truncated, or over the
    /// size limit.
    pub fn is_body(&self) -> bool {
        matches!(self.inner.kind, Kind::Transport(Phase::Body) | Kind::BodyLimit(_))
    }

    /// A crawl store failed (see [`Error::store`]).
    pub fn is_store(&self) -> bool {
        self.inner.kind == Kind::Store
    }

    /// The body was read but could not be decoded (JSON, charset, compression).
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// [`Response::error_for_status`](crate::Response::error_for_status) found a 4xx or 5xx.
    pub fn is_status(&self) -> bool {
        matches!(self.inner.kind, Kind::Status(_))
    }

    /// Too many redirects, a redirect loop, or an unusable `Location`.
    pub fn is_redirect(&self) -> bool {
        self.inner.kind == Kind::Redirect
    }

    /// A hook failed ([`Error::hook`]).
    pub fn is_hook(&self) -> bool {
        self.inner.kind == Kind::Hook
    }

    /// The HTTP status, for [`is_status`](Self::is_status) errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self.inner.kind {
            Kind::Status(status) => Some(status),
            _ => None,
        }
    }

    /// Which timeout fired, for [`is_timeout`](Self::is_timeout) errors.
    pub fn timeout_kind(&self) -> Option<TimeoutKind> {
        match self.inner.kind {
            Kind::Timeout(kind, ..) => Some(kind),
            _ => None,
        }
    }

    /// The phase of the exchange the error happened in, when it happened in one.
    pub fn phase(&self) -> Option<Phase> {
        match self.inner.kind {
            Kind::Transport(phase) | Kind::Timeout(_, phase, _) => Some(phase),
            Kind::BodyLimit(_) => Some(Phase::Body),
            _ => None,
        }
    }

    /// A short stable name for the kind of error, for logs and metrics:
    /// `"timeout"`, `"connect"`, `"status"`, `"body"`, `"decode"`, …
    pub fn kind_name(&self) -> &'static str {
        match self.inner.kind {
            Kind::Builder => "builder",
            Kind::Timeout(..) => "timeout",
            Kind::Transport(phase) if phase.is_connect() => "connect",
            Kind::Transport(Phase::Body) => "body",
            Kind::BodyLimit(_) => "too_large",
            Kind::Transport(_) => "request",
            Kind::Status(_) => "status",
            Kind::Decode => "decode",
            Kind::Redirect => "redirect",
            Kind::Hook => "hook",
            Kind::Store => "store",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.kind {
            Kind::Builder => f.write_str("invalid request")?,
            Kind::Transport(phase) => write!(f, "{phase} error")?,
            Kind::Timeout(kind, phase, limit) => {
                write!(f, "timeout: {}", kind.as_str())?;
                if let Some(limit) = limit {
                    write!(f, " ({limit:?})")?;
                }
                write!(f, " elapsed during {phase}")?;
            }
            Kind::Status(status) => {
                let kind = if status.is_client_error() { "client" } else { "server" };
                write!(f, "HTTP status {kind} error ({status})")?;
            }
            Kind::Decode => f.write_str("error decoding response body")?,
            Kind::Redirect => f.write_str("redirect error")?,
            Kind::Hook => f.write_str("hook failed")?,
            Kind::Store => f.write_str("crawl store error")?,
            Kind::BodyLimit(limit) => write!(f, "response body larger than the limit of {limit} bytes")?,
        }
        if let Some(url) = &self.inner.url {
            write!(f, " for {}", Redacted(url))?;
        }
        if !self.inner.previous.is_empty() {
            write!(f, " (attempt {})", self.inner.previous.len() + 1)?;
        }
        if let Some(why) = self.inner.not_retried {
            write!(f, "; not retried: {why}")?;
        }
        if f.alternate() {
            for cause in self.causes() {
                write!(f, ": {cause}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("unifetch::Error");
        d.field("kind", &self.inner.kind);
        if let Some(url) = &self.inner.url {
            d.field("url", &format_args!("{}", Redacted(url)));
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_ref().map(|e| &**e as _)
    }
}

/// Prints a URL with its password replaced.
pub(crate) struct Redacted<'a>(pub(crate) &'a Url);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.password().is_none() {
            return write!(f, "{}", self.0);
        }
        let mut url = self.0.clone();
        let _ = url.set_password(Some("***"));
        write!(f, "{url}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_kind_and_phase_and_hides_passwords() {
        let url = Url::parse("http://user:secret@example.com/x").unwrap();
        let err = Error::timeout_after(TimeoutKind::Total, Phase::Headers, Duration::from_secs(1)).with_url(&url);
        let text = err.to_string();
        assert_eq!(
            text,
            "timeout: total (1s) elapsed during headers for http://user:***@example.com/x"
        );
        assert!(err.is_timeout() && !err.is_connect());
        assert_eq!(err.timeout_kind(), Some(TimeoutKind::Total));
        assert_eq!(
            err.without_url().to_string(),
            "timeout: total (1s) elapsed during headers"
        );
    }

    #[test]
    fn connect_predicate_covers_connect_phases_and_timeouts() {
        assert!(Error::transport(Phase::Tls, "bad cert").is_connect());
        assert!(Error::timeout(TimeoutKind::SockConnect, Phase::Connect).is_connect());
        assert!(!Error::transport(Phase::Body, "reset").is_connect());
        assert!(Error::transport(Phase::Body, "reset").is_body());
        assert!(Error::transport(Phase::Headers, "closed").is_request());
        assert_eq!(
            Error::from_status(StatusCode::NOT_FOUND).status(),
            Some(StatusCode::NOT_FOUND)
        );
    }
}
