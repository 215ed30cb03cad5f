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
    assert!(
        records.len() >= 30 && records.len() <= 30 + 8,
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
