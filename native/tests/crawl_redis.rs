//! One crawl spread over several `unifetch crawl` processes through a real
//! `redis-server` (Debian's, started here on a free loopback port): a
//! worker killed mid-crawl, the records exactly the site's pages, the
//! site's counters showing that politeness held across all workers; and
//! Redis unreachable at the start or lost mid-crawl.

mod crawl;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crawl::*;
use futures_util::StreamExt;
use unifetch_native::TestServer;

/// A fast site of 300 pages: politeness, not latency, sets the pace.
const SMALL_SITE: &str = "/web/300/";
const DELAY_MS: u64 = 10;
const PER_HOST: u64 = 2;
const WORKER_CONCURRENCY: u64 = 8;

/// redis-server on 127.0.0.1, no persistence, killed when dropped.
struct RedisServer {
    port: u16,
    child: Child,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/test.sh installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer { port, child }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn worker(site: &TestServer, redis: &RedisServer, name: &str, out: &str, track: &str) -> Child {
    let mut command = crawl_of(site, SMALL_SITE, &redis.url(), out, track);
    command
        .args(["--name", name, "--lease", "2"])
        .args(["--concurrency", &WORKER_CONCURRENCY.to_string()])
        .args(["--per-host", &PER_HOST.to_string(), "--delay", &DELAY_MS.to_string()]);
    command.spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_workers_share_one_crawl_and_outlive_one_killed() {
    let site = TestServer::site().await.unwrap();
    let redis = RedisServer::start();
    let scratch = Scratch::new("redis");
    let track = format!("redis-{}", std::process::id());
    let outs: Vec<String> = (0..3).map(|i| scratch.path(&format!("worker{i}.jsonl"))).collect();
    let mut workers: Vec<Child> = outs
        .iter()
        .map(|out| worker(&site, &redis, "shared", out, &track))
        .collect();

    wait_for_lines(&outs[1], 20).await;
    let doomed = workers.remove(1);
    signal(&doomed, "-KILL");
    assert!(!finish(doomed).await.status.success());
    for survivor in workers {
        let output = finish(survivor).await;
        assert!(output.status.success(), "{output:?}");
        let summary = String::from_utf8_lossy(&output.stdout);
        assert!(summary.contains("stopped early") && summary.contains("no"), "{summary}");
    }

    let (pages, requests) = expected_of(&site, SMALL_SITE).await;
    let name = ["--store", &redis.url(), "--name", "shared"];
    assert_eq!(
        exported_with(&name).await,
        pages,
        "the records are the site's pages, each once"
    );
    let stats = tracked(&site, &track).await;
    let seen = stats["requests"].as_u64().unwrap();
    // robots.txt is fetched once for all workers.
    assert_eq!(stats["paths"]["/robots.txt"], 1, "{}", stats["paths"]);
    assert!(seen >= requests);
    let refetched = refetched_pages(&stats, &pages);
    assert!(
        refetched <= 2 * WORKER_CONCURRENCY,
        "{refetched} pages fetched twice (the killed worker held at most twice its concurrency of pages in flight or finished and not yet stored)"
    );
    let host = stats["hosts"].as_object().unwrap().values().next().unwrap().clone();
    assert!(
        host["max_in_flight"].as_u64().unwrap() <= PER_HOST,
        "per_host held across the workers: {host}"
    );
    // The delay spaces every worker's request starts on the host: three
    // workers each spacing only their own would leave a third of it.
    let arrivals: Vec<u64> = serde_json::from_value(stats["arrivals_ms"].clone()).unwrap();
    let mut gaps: Vec<u64> = arrivals.windows(2).map(|pair| pair[1] - pair[0]).collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    assert!(
        median >= DELAY_MS * 8 / 10,
        "median gap {median} ms: the {DELAY_MS} ms delay was not shared"
    );
    let written: usize = outs.iter().map(|out| lines_parse(out)).sum();
    assert!(
        written + 1 >= pages.len() && written <= pages.len(),
        "the workers' --out files hold the records (the killed one may miss its last): {written}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_unreachable_at_the_start_is_a_clear_error() {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new("redis-down");
    let url = format!("redis://127.0.0.1:{}/0", free_port());
    let mut command = crawl_of(&site, SMALL_SITE, &url, &scratch.path("out.jsonl"), "redis-down");
    command.args(["--name", "nowhere"]);
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach Redis at redis://127.0.0.1"), "{stderr}");

    let nameless = crawl_of(&site, SMALL_SITE, &url, &scratch.path("out.jsonl"), "redis-down");
    let output = run(nameless).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs --name"));
}

#[tokio::test(flavor = "multi_thread")]
async fn losing_redis_mid_crawl_stops_the_worker_after_its_retry_budget() {
    let site = TestServer::site().await.unwrap();
    let mut redis = RedisServer::start();
    let store = unifetch::crawl::store::RedisStore::connect(&redis.url(), "lost")
        .await
        .unwrap()
        .retry_budget(Duration::from_secs(1));
    let mut crawl = unifetch::crawl::Crawler::new(unifetch::Session::new())
        .store(store)
        .crawl([site.url("/web/2000x20/")])
        .unwrap();
    let mut records = 0;
    while records < 50 {
        crawl.next().await.expect("records before Redis goes");
        records += 1;
    }
    redis.child.kill().unwrap();
    redis.child.wait().unwrap();
    let lost = Instant::now();
    while crawl.next().await.is_some() {}
    let summary = crawl.summary();
    let error = summary.store_error.expect("the crawl says the store failed");
    assert!(error.contains("Redis"), "{error}");
    assert!(
        lost.elapsed() < Duration::from_secs(20),
        "the worker stops after its retry budget, not never"
    );
    assert!(summary.finished && summary.pages < 2000);
}

#[tokio::test(flavor = "multi_thread")]
async fn leases_of_pages_slower_than_the_lease_are_renewed_not_handed_on() {
    // Every page takes 600 ms; a lease lasts 200 ms. Two workers in this
    // process share the crawl: without renewal each page would be handed
    // to the other worker while it is still being fetched.
    const SLOW_SITE: &str = "/web/12x600/";
    let site = TestServer::site().await.unwrap();
    let redis = RedisServer::start();
    let track = format!("renewed-{}", std::process::id());
    let worker = || async {
        let store = unifetch::crawl::store::RedisStore::connect(&redis.url(), "renewed")
            .await
            .unwrap()
            .lease(Duration::from_millis(200));
        let session = unifetch::Session::builder()
            .header("X-Track", track.as_str())
            .build()
            .unwrap();
        let mut crawl = unifetch::crawl::Crawler::new(session)
            .concurrency(4)
            .store(store)
            .crawl([site.url(SLOW_SITE)])
            .unwrap();
        let mut records = 0;
        while crawl.next().await.is_some() {
            records += 1;
        }
        (records, crawl.summary())
    };
    let ((first, first_summary), (second, second_summary)) = tokio::join!(worker(), worker());
    assert!(first_summary.store_error.is_none() && second_summary.store_error.is_none());

    let (pages, _) = expected_of(&site, SLOW_SITE).await;
    assert_eq!(first + second, pages.len(), "each page recorded once");
    let stats = tracked(&site, &track).await;
    assert_eq!(
        refetched_pages(&stats, &pages),
        0,
        "no page fetched twice: {}",
        stats["paths"]
    );
}
