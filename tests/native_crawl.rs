//! The crawler's politeness and limits, checked with the test site's
//! server-side counters (natively; the crawl itself is the same code on
//! every target, see the conformance scenarios).
#![cfg(not(target_family = "wasm"))]

mod conformance;
mod support;

use std::time::Duration;

use axum::routing::get;
use conformance::{collect, Site, TrackStats};
use unifetch::crawl::{Crawler, Scope, Throttle};
use unifetch::Session;
use unifetch_native::TestServer;

fn site() -> Site {
    Site::new(support::site_url(), support::closed_port())
}

fn key(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

async fn stats(key: &str) -> TrackStats {
    let session = Session::new();
    let url = format!("{}/track/{key}", support::site_url());
    session.get(url).send().await.unwrap().json().await.unwrap()
}

fn tracked(key: &str) -> Session {
    site().tracked_session(key).unwrap()
}

#[tokio::test]
async fn per_host_concurrency_holds_on_every_host() {
    let key = key("per-host");
    let other = site().other_host;
    let crawl = Crawler::new(tracked(&key))
        .concurrency(8)
        .per_host(2)
        .crawl(["/web/40x100/".to_owned(), format!("{other}/web/40x100/")])
        .unwrap();
    let (records, _) = collect(crawl).await;
    let stats = stats(&key).await;
    assert_eq!(stats.hosts.len(), 2, "{:?}", stats.hosts.keys());
    for (host, host_stats) in &stats.hosts {
        assert_eq!(
            host_stats.max_in_flight, 2,
            "{host}: per-host limit reached but not passed"
        );
    }
    assert!(stats.max_in_flight <= 4);
    assert!(records.len() > 60, "both hosts crawled: {}", records.len());
}

#[tokio::test]
async fn the_delay_spaces_requests_to_a_host() {
    let key = key("delay");
    let crawl = Crawler::new(tracked(&key))
        .per_host(4)
        .delay(Duration::from_millis(250))
        .max_pages(6)
        .crawl(["/web/30/"])
        .unwrap();
    let (records, _) = collect(crawl).await;
    assert_eq!(records.len(), 6);
    let stats = stats(&key).await;
    // robots.txt comes first, then the pages, 250 ms apart (generously: 200).
    let pages = &stats.arrivals_ms[1..];
    for pair in pages.windows(2) {
        assert!(
            pair[1] - pair[0] >= 200,
            "requests {} ms apart: {:?}",
            pair[1] - pair[0],
            pages
        );
    }
}

#[tokio::test]
async fn max_depth_cuts_the_site_at_that_depth() {
    // One request at a time makes the crawl an exact breadth-first search,
    // so the pages within depth 2 are known from the sitemap.
    let crawl = Crawler::new(site().tracked_session(&key("depth")).unwrap())
        .concurrency(1)
        .max_depth(2)
        .crawl(["/web/150/"])
        .unwrap();
    let (records, _) = collect(crawl).await;
    let sitemap = site().sitemap("150").await.unwrap();
    let mut expected: Vec<String> = sitemap
        .fetched
        .iter()
        .filter(|e| e.depth <= 2)
        .map(|e| e.url.clone())
        .collect();
    let mut fetched: Vec<String> = records.iter().map(|r| r.url.path().to_owned()).collect();
    expected.sort();
    fetched.sort();
    assert_eq!(fetched, expected);
    assert!(records.iter().all(|r| r.depth <= 2));
}

#[tokio::test]
async fn max_pages_is_exact() {
    let crawl = Crawler::new(site().session_for_tests())
        .max_pages(25)
        .crawl(["/web/2000/"])
        .unwrap();
    let (records, summary) = collect(crawl).await;
    assert_eq!(records.len(), 25);
    assert_eq!(summary.pages, 25);
    assert!(summary.finished && !summary.stopped);
}

#[tokio::test]
async fn a_stopped_crawl_delivers_everything_it_fetched() {
    let key = key("stop");
    let mut crawl = Crawler::new(tracked(&key))
        .concurrency(8)
        .crawl(["/web/2000x20/"])
        .unwrap();
    let stopper = crawl.stopper();
    let mut records = Vec::new();
    while let Some(record) = futures::StreamExt::next(&mut crawl).await {
        records.push(record);
        if records.len() == 30 {
            stopper.stop();
        }
    }
    let summary = crawl.summary();
    assert!(summary.stopped && summary.finished);
    // After the 30th record: at most 8 more already fetched and waiting to
    // be read, and at most 8 in flight; nothing new starts.
    assert!(
        records.len() >= 30 && records.len() <= 30 + 8 + 8,
        "{} records",
        records.len()
    );
    // Every page requested (not robots.txt, not a redirect's landing page)
    // has its record.
    let stats = stats(&key).await;
    let mut requested: Vec<&String> = stats
        .paths
        .keys()
        .filter(|path| *path != "/robots.txt" && !path.contains("/landing/"))
        .collect();
    let mut recorded: Vec<String> = records.iter().map(|r| r.url.path().to_owned()).collect();
    requested.sort();
    recorded.sort();
    assert_eq!(
        requested,
        recorded.iter().collect::<Vec<_>>(),
        "every request made has its record"
    );
}

#[tokio::test]
async fn without_robots_the_private_section_is_crawled() {
    let crawl = Crawler::new(site().session_for_tests())
        .obey_robots(false)
        .crawl(["/web/60/"])
        .unwrap();
    let (records, summary) = collect(crawl).await;
    assert!(records.iter().any(|r| r.url.path().contains("/private/")));
    assert_eq!(summary.disallowed, 0);
}

#[tokio::test]
async fn deny_patterns_keep_urls_out() {
    let scope = Scope::same_host().deny("*/data/*").deny("*/missing/*");
    let crawl = Crawler::new(site().session_for_tests())
        .scope(scope)
        .crawl(["/web/80/"])
        .unwrap();
    let (records, summary) = collect(crawl).await;
    assert!(records
        .iter()
        .all(|r| !r.url.path().contains("/data/") && !r.url.path().contains("/missing/")));
    assert!(
        records.iter().all(|r| r.url.host_str() == Some("127.0.0.1")),
        "never off the host"
    );
    assert!(summary.out_of_scope > 0);
    assert_eq!(summary.error_count(), 0);
}

#[tokio::test]
async fn throttle_slows_down_to_the_latency() {
    // 200 ms pages and a target of one request at a time per host: the
    // delay grows toward the latency, so requests stop overlapping.
    let key = key("throttle");
    let crawl = Crawler::new(tracked(&key))
        .per_host(8)
        .throttle(Throttle {
            target_concurrency: 1.0,
            max_delay: Duration::from_secs(2),
        })
        .max_pages(12)
        .crawl(["/web/40x200/"])
        .unwrap();
    let (records, _) = collect(crawl).await;
    assert_eq!(records.len(), 12);
    let stats = stats(&key).await;
    assert!(
        stats.max_in_flight <= 2,
        "{} in flight under the throttle",
        stats.max_in_flight
    );
}

#[tokio::test]
async fn an_unreachable_robots_txt_disallows_everything() {
    let app = axum::Router::new()
        .route(
            "/robots.txt",
            get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .route("/", get(|| async { axum::response::Html("<a href='/a'>a</a>") }));
    let server = TestServer::start(app).await.unwrap();
    let crawl = Crawler::new(server.session()).crawl(["/"]).unwrap();
    let (records, summary) = collect(crawl).await;
    assert!(records.is_empty(), "{records:?}");
    assert_eq!(summary.disallowed, 1);
}

#[tokio::test]
async fn records_serialize_to_json_lines() {
    let crawl = Crawler::new(site().session_for_tests())
        .max_pages(3)
        .crawl(["/web/10/"])
        .unwrap();
    let (records, _) = collect(crawl).await;
    let line = serde_json::to_string(&records[0]).unwrap();
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    for field in [
        "url",
        "final_url",
        "status",
        "depth",
        "content_type",
        "bytes",
        "elapsed_ms",
        "title",
        "links",
        "error",
    ] {
        assert!(value.get(field).is_some(), "{field} missing from {line}");
    }
}

/// A site whose pages are found only through sitemaps: robots.txt names an
/// index, which names a plain sitemap and a gzipped one.
fn sitemap_site() -> axum::Router {
    use axum::http::header::CONTENT_TYPE;
    use std::io::Write;
    let html = |body: &'static str| axum::response::Html(body);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        b"<urlset><url><loc>/from-gzip</loc></url><url><loc>http://example.invalid/elsewhere</loc></url></urlset>",
    )
    .unwrap();
    let gzipped = gz.finish().unwrap();
    axum::Router::new()
        .route(
            "/robots.txt",
            // Sitemap lines are absolute URLs (the protocol's rule).
            get(|headers: axum::http::HeaderMap| async move {
                let host = headers[axum::http::header::HOST].to_str().unwrap().to_owned();
                format!("User-agent: *\nDisallow: /private\nSitemap: http://{host}/sitemap-index.xml\n")
            }),
        )
        .route("/", get(move || async move { html("<a href='/linked'>linked</a>") }))
        .route("/linked", get(move || async move { html("linked") }))
        .route(
            "/listed",
            get(move || async move { html("<a href='/listed-child'>child</a>") }),
        )
        .route("/listed-child", get(move || async move { html("child") }))
        .route("/from-gzip", get(move || async move { html("gzip") }))
        .route(
            "/sitemap-index.xml",
            get(|| async {
                (
                    [(CONTENT_TYPE, "application/xml")],
                    "<?xml version='1.0'?><sitemapindex><sitemap><loc>/pages.xml</loc></sitemap>\
                  <sitemap><loc>/pages.xml.gz</loc></sitemap><sitemap><loc>/missing.xml</loc></sitemap></sitemapindex>",
                )
            }),
        )
        .route(
            "/pages.xml",
            get(|| async {
                (
                    [(CONTENT_TYPE, "application/xml")],
                    "<urlset><url><loc>/listed</loc></url><url><loc>/private/secret</loc></url></urlset>",
                )
            }),
        )
        .route(
            "/pages.xml.gz",
            get(move || {
                let gzipped = gzipped.clone();
                async move { ([(CONTENT_TYPE, "application/gzip")], gzipped) }
            }),
        )
}

#[tokio::test]
async fn sitemaps_named_by_robots_txt_seed_the_crawl() {
    let server = TestServer::start(sitemap_site()).await.unwrap();
    let crawl = Crawler::new(server.session()).crawl(["/"]).unwrap();
    let (records, summary) = collect(crawl).await;
    let mut paths: Vec<(String, u32)> = records.iter().map(|r| (r.url.path().to_owned(), r.depth)).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ("/".to_owned(), 0),
            ("/from-gzip".to_owned(), 0),
            ("/linked".to_owned(), 1),
            ("/listed".to_owned(), 0),
            ("/listed-child".to_owned(), 1),
        ],
        "sitemap pages start at depth 0; robots.txt and the scope still apply"
    );
    assert_eq!(summary.sitemaps, 3, "the index and two sitemaps: {summary:?}");
    assert_eq!(summary.sitemap_errors, 1, "/missing.xml is a 404");
    assert_eq!(summary.disallowed, 1);

    let without = Crawler::new(server.session()).sitemaps(false).crawl(["/"]).unwrap();
    let (records, _) = collect(without).await;
    assert_eq!(records.len(), 2, "only what links reach: {records:?}");
}

#[tokio::test]
async fn robots_txt_is_fetched_again_once_it_expires() {
    let fetched = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = fetched.clone();
    let app = axum::Router::new()
        .route(
            "/robots.txt",
            get(move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { "User-agent: *\nDisallow:\n" }
            }),
        )
        .route(
            "/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<u32>| async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                axum::response::Html(format!("<a href='/{}'>next</a>", n + 1))
            }),
        );
    let server = TestServer::start(app).await.unwrap();
    let crawl = Crawler::new(server.session())
        .robots_ttl(Duration::from_millis(250))
        .max_pages(8)
        .crawl(["/0"])
        .unwrap();
    let (records, _) = collect(crawl).await;
    assert_eq!(records.len(), 8);
    let times = fetched.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        times >= 3,
        "8 pages of 100 ms with a 250 ms TTL: robots.txt fetched {times} times"
    );
}

/// The site's crawler traps: the crawl ends (under a watchdog) with one
/// record per page saying what happened: an endless calendar cut at the
/// depth limit, an endless redirect chain a redirect error, a 50 MB page a
/// `too_large` error once 10 MiB were read, binary bytes labelled HTML a
/// page with no links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawler_traps_end_with_a_record_for_each_page() {
    let crawl = Crawler::new(site().session_for_tests())
        .max_depth(8)
        .crawl(["/trap/"])
        .unwrap();
    let (records, summary) = tokio::time::timeout(Duration::from_secs(60), collect(crawl))
        .await
        .expect("the crawl of the traps ends");
    let by_path = |path: &str| records.iter().find(|record| record.url.path() == path);
    let months = records
        .iter()
        .filter(|record| record.url.path().starts_with("/trap/calendar/"))
        .count();
    // Depth 1 is January; each level adds the month before and the one after.
    assert_eq!(months, 1 + 2 * 7, "calendar pages within depth 8");

    let chain = by_path("/trap/redirects/0").expect("the redirect chain's record");
    assert_eq!(chain.error.as_deref(), Some("redirect"), "{chain:?}");
    let huge = by_path("/trap/huge.html").expect("the huge page's record");
    assert_eq!(huge.error.as_deref(), Some("too_large"), "{huge:?}");
    let binary = by_path("/trap/binary.html").expect("the binary page's record");
    assert!(binary.is_ok() && binary.links.is_empty(), "{binary:?}");
    assert!(by_path("/trap/ok").is_some_and(|ok| ok.is_ok()));
    assert_eq!(summary.pages as usize, records.len());
    assert!(records.len() <= 1 + 4 + 15, "{} records", records.len());
}

/// robots.txt that is huge (its rules first, then 1 MiB of comments) is
/// read up to its cap and obeyed; one that is binary garbage forbids
/// nothing and breaks nothing.
#[tokio::test]
async fn huge_and_binary_robots_txt_are_read_safely() {
    let page = || async { axum::response::Html("<a href='/private/x'>x</a> <a href='/open'>open</a>") };
    let huge = format!("User-agent: *\nDisallow: /private/\n{}", "# padding\n".repeat(100_000));
    let app = axum::Router::new()
        .route("/robots.txt", get(move || async move { huge }))
        .route("/", get(page))
        .route("/open", get(page))
        .route("/private/x", get(page));
    let server = TestServer::start(app).await.unwrap();
    let (records, summary) = collect(Crawler::new(server.session()).crawl(["/"]).unwrap()).await;
    let paths: Vec<&str> = records.iter().map(|record| record.url.path()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths.contains(&"/open") && !paths.contains(&"/private/x"), "{paths:?}");
    assert_eq!(summary.disallowed, 1);

    let garbage: Vec<u8> = (0..4096u32)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let app = axum::Router::new()
        .route("/robots.txt", get(move || async move { garbage }))
        .route("/", get(page))
        .route("/open", get(page))
        .route("/private/x", get(page));
    let server = TestServer::start(app).await.unwrap();
    let (records, summary) = collect(Crawler::new(server.session()).crawl(["/"]).unwrap()).await;
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(summary.disallowed, 0);
}
