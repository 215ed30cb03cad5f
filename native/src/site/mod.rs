//! The test and demo site: an httpbin-compatible API, the guide's novel API,
//! misbehaving endpoints and server-side counters, CORS open to every origin
//! so that browser tests can call it.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! unifetch_native::site::serve(listener, unifetch_native::site::router()).await
//! # }
//! ```

mod cookies;
mod echo;
mod faults;
mod flaky;
mod novel;
pub mod pyjson;
pub mod raw;
mod redirects;
mod streams;
mod track;
mod traps;
pub mod web;

use std::net::SocketAddr;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;

pub use self::novel::{NovelConfig, BOOK_ID, BROKEN_CHAPTER, TRANSIENT_CHAPTERS, TRANSIENT_FAILURES};
pub use self::track::{HostStats, KeyStats, Tracker};

/// What the site serves; the defaults suit tests and the demo.
#[derive(Debug, Clone, Default)]
pub struct SiteConfig {
    /// The novel API's size.
    pub novel: NovelConfig,
}

/// The site with default settings.
pub fn router() -> Router {
    router_with(SiteConfig::default(), Tracker::default())
}

/// The site with `config`, counting tracked requests in `tracker`.
pub fn router_with(config: SiteConfig, tracker: Tracker) -> Router {
    let novel = config.novel;
    let attempts = novel::Attempts::default();
    let counters = flaky::Counters::default();
    let raw_server = std::sync::Arc::new(tokio::sync::OnceCell::new());
    Router::new()
        .route("/", get(index))
        .route("/get", get(echo::get))
        .route("/post", axum::routing::post(echo::with_body))
        .route("/put", axum::routing::put(echo::with_body))
        .route("/patch", axum::routing::patch(echo::with_body))
        .route("/delete", axum::routing::delete(echo::with_body))
        .route("/anything", any(echo::anything))
        .route("/anything/{*rest}", any(echo::anything))
        .route("/headers", get(echo::headers))
        .route("/ip", get(echo::ip))
        .route("/user-agent", get(echo::user_agent))
        .route("/response-headers", any(echo::response_headers))
        .route("/status/{code}", any(redirects::status))
        .route("/redirect/{n}", get(redirects::redirect))
        .route("/relative-redirect/{n}", get(redirects::relative_redirect))
        .route("/absolute-redirect/{n}", get(redirects::absolute_redirect))
        .route("/redirect-to", any(redirects::redirect_to))
        .route("/redirect-loop", get(redirects::redirect_loop))
        .route("/delay/{seconds}", any(streams::delay))
        .route("/bytes/{n}", get(streams::bytes))
        .route("/stream-bytes/{n}", get(streams::stream_bytes))
        .route("/drip", get(streams::drip))
        .route("/gzip", get(streams::gzip))
        .route("/deflate", get(streams::deflate))
        .route("/brotli", get(streams::brotli))
        .route("/zstd", get(streams::zstd))
        .route("/bomb", get(streams::bomb))
        .route("/download/{n}", get(streams::download))
        .route("/upload", axum::routing::post(streams::upload).put(streams::upload))
        .route("/cookies", get(cookies::cookies))
        .route("/cookies/set", get(cookies::set))
        .route("/cookies/delete", get(cookies::delete))
        .route("/basic-auth/{user}/{password}", get(cookies::basic_auth))
        .route("/bearer", get(cookies::bearer))
        .route("/digest-auth/{qop}/{user}/{password}", any(cookies::digest_auth))
        .route("/flaky/{n}", any(flaky::flaky).with_state(counters.clone()))
        .route("/retry-after/{seconds}", any(flaky::retry_after).with_state(counters))
        .route("/encoding/{charset}", get(streams::encoding))
        .route("/fault/stall-headers", get(faults::stall_headers))
        .route("/fault/stall-body", get(faults::stall_body))
        .route("/fault/reset", get(faults::reset))
        .route("/fault/truncated", get(faults::truncated))
        .route("/fault/raw", get(move || faults::raw(raw_server.clone())))
        .route(
            "/api/pc/getCatalog",
            get(move |q| async move { novel::catalog(novel, q) }),
        )
        .route(
            "/api/pc/getChapterContent",
            get(move |headers, q| novel::chapter(novel, attempts.clone(), headers, q)),
        )
        .route("/robots.txt", get(web::robots))
        .route("/web/{spec}/", get(web::index))
        .route("/web/{spec}/page/{n}", get(web::page))
        .route("/web/{spec}/private/{n}", get(web::private))
        .route("/web/{spec}/moved/{n}", get(web::moved))
        .route("/web/{spec}/landing/{n}", get(web::landing))
        .route("/web/{spec}/data/{file}", get(web::data))
        .route("/web/{spec}/sitemap.json", get(web::sitemap))
        .route("/trap/", get(traps::index))
        .route("/trap/ok", get(traps::ok))
        .route("/trap/calendar/{year}/{month}", get(traps::calendar))
        .route("/trap/redirects/{n}", get(traps::redirects))
        .route("/trap/huge.html", get(traps::huge))
        .route("/trap/binary.html", get(traps::binary))
        .route("/track/{key}", get(track::report))
        .layer(middleware::from_fn_with_state(tracker.clone(), track::middleware))
        .layer(middleware::from_fn(cors))
        .with_state(tracker)
}

/// Serves `router` on `listener` until the task is dropped, with the
/// client's address available to handlers (httpbin's `origin`).
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await
}

/// CORS open to every origin, credentials included: preflights are answered
/// here, and every response lets browser code read all its headers.
///
/// Only a real preflight (`OPTIONS` with `Access-Control-Request-Method`)
/// is answered here, so a plain `OPTIONS` still reaches `/anything`.
async fn cors(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let is_preflight =
        request.method() == Method::OPTIONS && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if is_preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let asked = request.headers();
        let headers = response.headers_mut();
        for (ask, allow) in [
            (
                header::ACCESS_CONTROL_REQUEST_METHOD,
                header::ACCESS_CONTROL_ALLOW_METHODS,
            ),
            (
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                header::ACCESS_CONTROL_ALLOW_HEADERS,
            ),
        ] {
            if let Some(value) = asked.get(ask) {
                headers.insert(allow, value.clone());
            }
        }
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        response
    } else {
        let mut response = next.run(request).await;
        expose_all(response.headers_mut());
        response
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        origin.unwrap_or(HeaderValue::from_static("*")),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    response
}

/// `Access-Control-Expose-Headers` listing every header of the response.
fn expose_all(headers: &mut HeaderMap) {
    let names: Vec<&str> = headers.keys().map(|name| name.as_str()).collect();
    if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, value);
    }
}

async fn index() -> &'static str {
    "unifetch test site: httpbin-compatible endpoints (/get, /post, /status/{code}, /delay/{s}, /drip, \
     /stream-bytes/{n}, /redirect/{n}, /encoding/{charset}, /gzip …), /download/{n} and /upload, the novel API \
     (/api/pc/getCatalog, /api/pc/getChapterContent), a demo site to crawl (/web/2000/, robots.txt), \
     faults (/fault/…) and counters (/track/{key}).\n"
}
