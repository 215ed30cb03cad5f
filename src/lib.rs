//! # unifetch
//!
//! One HTTP client whose code compiles and behaves the same natively
//! (hyper + tokio), in browsers and Node (WebAssembly over `fetch`) and in
//! WASI 0.2 runtimes (`wasi:http`): a reusable [`Session`] with a base URL,
//! default headers, aiohttp's four [`Timeout`]s, [`Limits`] on requests in
//! flight and redirects, written once in a portable core over a small
//! [`Transport`](transport::Transport) trait.
//!
//! ```no_run
//! use std::time::Duration;
//! use unifetch::{Session, StatusCode, Timeout};
//!
//! # async fn run() -> unifetch::Result<()> {
//! let session = Session::builder()
//!     .base_url("http://127.0.0.1:8080")?
//!     .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)")
//!     .timeout(Timeout::total(Duration::from_secs(1)))
//!     .build()?;
//! let resp = session.get("/get").query(&[("name", "钢铁知识库"), ("age", "23")]).send().await?;
//! assert_eq!(resp.status(), StatusCode::OK);
//! let v: serde_json::Value = resp.json().await?;
//! # Ok(()) }
//! ```
//!
//! The [`guide`] walks through the examples of the aiohttp client guide,
//! the Rust way; each is also a program under `examples/`.
//!
//! ## Errors
//!
//! Every failure is an [`Error`] you can ask: [`is_timeout`](Error::is_timeout)
//! (and [`timeout_kind`](Error::timeout_kind)), [`is_connect`](Error::is_connect),
//! [`is_request`](Error::is_request), [`is_body`](Error::is_body),
//! [`is_status`](Error::is_status), [`is_decode`](Error::is_decode),
//! [`is_builder`](Error::is_builder), [`is_redirect`](Error::is_redirect), and
//! [`phase`](Error::phase) for where in the exchange it happened. Invalid input
//! is an error from `send()` or `build()`, never a panic.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// A `tracing` event at debug level with the `tracing` feature; nothing
/// (not even its fields' formatting code) without it.
macro_rules! debug_event {
    ($($event:tt)*) => {
        #[cfg(feature = "tracing")]
        tracing::debug!($($event)*);
    };
}

pub mod guide;

mod body;
mod content_type;
mod cookies;
#[cfg(feature = "crawl")]
#[cfg_attr(docsrs, doc(cfg(feature = "crawl")))]
pub mod crawl;
mod decode;
mod error;
mod exchange;
mod headers;
pub mod hooks;
mod incoming;
mod last_origin;
mod limit;
pub mod multipart;
#[cfg(all(test, not(target_family = "wasm")))]
mod properties;
mod proxy;
pub mod redirect;
mod request;
mod request_builder;
mod response;
pub mod retry;
mod session;
pub mod testing;
mod timeout;
mod tls;
#[cfg(feature = "tracing")]
mod trace;
pub mod transport;

pub use body::Body;
pub use content_type::{ContentType, TextEncoding};
#[cfg(feature = "cookies")]
pub use cookies::CookieJar;
pub use error::{BoxError, Error, Phase, Result, TimeoutKind};
pub use hooks::Hooks;
pub use http::{header, HeaderMap, Method, StatusCode, Version};
pub use limit::Limits;
pub use proxy::Proxy;
pub use request::Request;
pub use request_builder::RequestBuilder;
pub use response::{Chunks, Response};
pub use retry::Retry;
pub use session::{Session, SessionBuilder};
pub use timeout::Timeout;
pub use tls::TlsVersion;
pub use url::Url;

/// The README's Rust snippets, compiled as doctests so that they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeSnippets;

/// Natively, the public types cross threads (the futures of `send()` and of
/// reading a body included), and those documented as cheap to clone are
/// `Clone`. On wasm `MaybeSend` and `MaybeSync` ask nothing (JS values are
/// not `Send`), so the same lines hold there too.
const _: () = {
    use transport::{MaybeSend, MaybeSync};

    const fn send_sync<T: MaybeSend + MaybeSync>() {}
    const fn clone<T: Clone>() {}
    fn send<T: MaybeSend>(_: T) {}

    send_sync::<Session>();
    send_sync::<Request>();
    send_sync::<RequestBuilder>();
    send_sync::<Response>();
    send_sync::<Chunks>();
    send_sync::<Error>();
    send_sync::<Body>();
    send_sync::<Retry>();
    send_sync::<redirect::Redirect>();
    clone::<Session>();
    clone::<Retry>();
    clone::<redirect::Redirect>();

    let _futures_cross_threads = |session: Session, request: Request| {
        send(session.execute(request));
        send(session.get("/").send());
        send(async move { session.get("/").send().await?.bytes().await });
    };
    #[cfg(feature = "crawl")]
    let _crawls_cross_threads = |crawler: crawl::Crawler| {
        send_sync::<crawl::Crawler>();
        clone::<crawl::Crawler>();
        send(crawler.crawl(["http://127.0.0.1/"]));
    };
};
