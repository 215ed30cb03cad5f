//! The demo web site for crawling: a generated HTML site of any size under
//! `/web/{spec}/`, with deterministic links, broken links, redirects, a
//! section disallowed by `/robots.txt`, JSON documents and out-of-scope
//! links — and `/web/{spec}/sitemap.json`, the exact set of URLs a crawler
//! that obeys robots.txt should fetch, so tests can check a crawl.
//!
//! `spec` is the number of pages, optionally with a server latency:
//! `2000` (2000 pages, answered at once) or `60x50` (60 pages, 50 ms each).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;

use super::echo::json_response;

/// The default demo site's size.
pub const DEFAULT_PAGES: u32 = 2000;

/// The largest site served (the sitemap is computed per request).
const MAX_PAGES: u32 = 200_000;

/// `/robots.txt`: the private section of every demo site is off limits.
pub(crate) async fn robots() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "User-agent: *\nDisallow: /web/*/private/\nAllow: /\n",
    )
}

/// A demo site's shape, parsed from the `{spec}` path segment.
#[derive(Debug, Clone, Copy)]
struct Spec {
    pages: u32,
    latency: Duration,
}

impl Spec {
    fn parse(spec: &str) -> Option<Spec> {
        let (pages, latency) = match spec.split_once('x') {
            Some((pages, ms)) => (pages, ms.parse().ok()?),
            None => (spec, 0),
        };
        let pages: u32 = pages.parse().ok()?;
        (1..=MAX_PAGES).contains(&pages).then_some(Spec {
            pages,
            latency: Duration::from_millis(latency.min(10_000)),
        })
    }

    async fn wait(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }
}

/// Where a link on a demo page points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Page(u32),
    Missing(u32),
    Moved(u32),
    Private(u32),
    Data(u32),
    External(u32),
}

impl Target {
    /// The path of this target on a site with `spec` (`None` for external links).
    fn path(self, spec: &str) -> Option<String> {
        Some(match self {
            Target::Page(n) => format!("/web/{spec}/page/{n}"),
            Target::Missing(n) => format!("/web/{spec}/missing/{n}"),
            Target::Moved(n) => format!("/web/{spec}/moved/{n}"),
            Target::Private(n) => format!("/web/{spec}/private/{n}"),
            Target::Data(n) => format!("/web/{spec}/data/{n}.json"),
            Target::External(_) => return None,
        })
    }
}

/// The links of the index page.
fn index_links(pages: u32) -> Vec<Target> {
    let mut links: Vec<Target> = (0..pages.min(10)).map(Target::Page).collect();
    links.push(Target::Private(0));
    links
}

/// The links of page `n` of `pages`: a deterministic graph with a few of
/// every kind of trouble.
fn page_links(n: u32, pages: u32) -> Vec<Target> {
    let mut links = vec![
        Target::Page((n * 3 + 1) % pages),
        Target::Page((n * 7 + 2) % pages),
        Target::Page((n + 1) % pages),
        Target::Page(n / 2),
    ];
    if n % 10 == 3 {
        links.push(Target::Missing(n));
    }
    if n % 25 == 5 {
        links.push(Target::Moved(n));
    }
    if n % 15 == 7 {
        links.push(Target::Private(n));
    }
    if n.is_multiple_of(20) {
        links.push(Target::Data(n));
    }
    if n % 50 == 11 {
        links.push(Target::External(n));
    }
    links
}

/// `/web/{spec}/`: the index.
pub(crate) async fn index(Path(spec): Path<String>) -> Response {
    let Some(site) = Spec::parse(&spec) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    site.wait().await;
    let body = render(
        &spec,
        &format!("Demo site ({} pages)", site.pages),
        &index_links(site.pages),
        "",
        0,
    );
    Html(body).into_response()
}

/// `/web/{spec}/page/{n}`.
pub(crate) async fn page(Path((spec, n)): Path<(String, u32)>) -> Response {
    let Some(site) = Spec::parse(&spec).filter(|site| n < site.pages) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    site.wait().await;
    Html(render(
        &spec,
        &format!("Page {n}"),
        &page_links(n, site.pages),
        "../",
        n,
    ))
    .into_response()
}

/// `/web/{spec}/private/{n}`: disallowed by robots.txt, but served.
pub(crate) async fn private(Path((spec, n)): Path<(String, u32)>) -> Response {
    if Spec::parse(&spec).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(render(&spec, &format!("Private {n}"), &[], "../", n)).into_response()
}

/// `/web/{spec}/moved/{n}`: a permanent redirect to a landing page that no
/// other page links to.
pub(crate) async fn moved(Path((spec, n)): Path<(String, u32)>) -> Response {
    if Spec::parse(&spec).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Redirect::permanent(&format!("/web/{spec}/landing/{n}")).into_response()
}

/// `/web/{spec}/landing/{n}`: where `moved/{n}` leads.
pub(crate) async fn landing(Path((spec, n)): Path<(String, u32)>) -> Response {
    if Spec::parse(&spec).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(render(&spec, &format!("Landing {n}"), &[], "../", n)).into_response()
}

/// `/web/{spec}/data/{n}.json`: a JSON document (crawled, never parsed for links).
pub(crate) async fn data(Path((spec, file)): Path<(String, String)>) -> Response {
    let n = file.strip_suffix(".json").and_then(|n| n.parse::<u32>().ok());
    match (Spec::parse(&spec), n) {
        (Some(_), Some(n)) => json_response(StatusCode::OK, &json!({"page": n, "links": ["/web/never/followed"]})),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/web/{spec}/sitemap.json`: what a crawl from the index, obeying
/// robots.txt and staying on the host, fetches: every URL with its
/// breadth-first depth and expected status, plus the disallowed URLs.
pub(crate) async fn sitemap(Path(spec): Path<String>) -> Response {
    let Some(site) = Spec::parse(&spec) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut depth: BTreeMap<Target, u32> = BTreeMap::new();
    let mut fetched = vec![json!({"url": format!("/web/{spec}/"), "depth": 0, "status": 200})];
    let mut disallowed = Vec::new();
    let mut queue: VecDeque<(Target, u32)> = index_links(site.pages).into_iter().map(|t| (t, 1)).collect();
    while let Some((target, d)) = queue.pop_front() {
        if matches!(target, Target::External(_)) || depth.contains_key(&target) {
            continue;
        }
        depth.insert(target, d);
        let path = target.path(&spec).unwrap_or_default();
        let status = match target {
            Target::Private(_) => {
                disallowed.push(path);
                continue;
            }
            Target::Missing(_) => 404,
            Target::Moved(_) => 301,
            Target::Page(_) | Target::Data(_) | Target::External(_) => 200,
        };
        fetched.push(json!({"url": path, "depth": d, "status": status}));
        if let Target::Page(n) = target {
            queue.extend(page_links(n, site.pages).into_iter().map(|t| (t, d + 1)));
        }
    }
    json_response(StatusCode::OK, &json!({"fetched": fetched, "disallowed": disallowed}))
}

/// A demo page: a title, its links in several spellings (absolute path,
/// with a fragment, relative to `up`, the way back to the site's root) so
/// that resolution and normalization are exercised.
fn render(spec: &str, title: &str, links: &[Target], up: &str, n: u32) -> String {
    let root = format!("/web/{spec}/");
    let mut body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body><h1>{title}</h1>\n<ul>\n"
    );
    for (i, target) in links.iter().enumerate() {
        let href = match target.path(spec) {
            None => format!("http://example.invalid/ext/{n}"),
            Some(path) if i % 3 == 1 => format!("{path}#section-{i}"),
            Some(path) if i % 3 == 2 => format!("{up}{}", path.trim_start_matches(&root)),
            Some(path) => path,
        };
        body.push_str(&format!("<li><a href=\"{href}\">{target:?}</a></li>\n"));
    }
    body.push_str("<li><a href=\"mailto:webmaster@example.invalid\">mail</a></li>\n</ul></body></html>\n");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_and_without_latency() {
        assert_eq!(Spec::parse("60").map(|s| s.pages), Some(60));
        assert_eq!(Spec::parse("60x50").map(|s| s.latency), Some(Duration::from_millis(50)));
        assert!(Spec::parse("0").is_none());
        assert!(Spec::parse("abc").is_none());
    }

    #[test]
    fn every_page_links_only_to_existing_pages() {
        for n in 0..97 {
            for target in page_links(n, 97) {
                if let Target::Page(k) = target {
                    assert!(k < 97);
                }
            }
        }
    }
}
