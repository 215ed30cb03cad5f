//! What the crawl-store tests share: scratch directories, the binary run
//! as a child, the test site's sitemap and counters, and the records a
//! store exports.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use unifetch_native::TestServer;

/// A slow site (50 ms a page, 2,000 pages): a crawl of it takes seconds.
pub const SITE: &str = "/web/2000x50/";
pub const CONCURRENCY: u64 = 16;

pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("unifetch-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `unifetch crawl SITE --store STORE --out OUT --concurrency 16`, its
/// requests tracked under `track`.
pub fn crawl(site: &TestServer, store: &str, out: &str, track: &str) -> Command {
    let mut command = crawl_of(site, SITE, store, out, track);
    command.args(["--concurrency", &CONCURRENCY.to_string()]);
    command
}

/// The same for the site at `path`, at the default concurrency.
pub fn crawl_of(site: &TestServer, path: &str, store: &str, out: &str, track: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_unifetch"));
    command
        .args(["crawl", &site.url(path), "--store", store, "--out", out])
        .args(["-H", &format!("X-Track: {track}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

pub async fn finish(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap()
}

pub async fn run(mut command: Command) -> Output {
    finish(command.spawn().unwrap()).await
}

/// Waits until `path` holds at least `lines` lines.
pub async fn wait_for_lines(path: &str, lines: usize) {
    let started = Instant::now();
    loop {
        let count = std::fs::read_to_string(path).map_or(0, |text| text.lines().count());
        if count >= lines {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {count} lines in {path}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// The paths a whole crawl of `SITE` records, and how many requests it
/// makes (a 301 costs two; robots.txt one).
pub async fn expected(site: &TestServer) -> (BTreeSet<String>, u64) {
    expected_of(site, SITE).await
}

/// The same for the site at `path`.
pub async fn expected_of(site: &TestServer, path: &str) -> (BTreeSet<String>, u64) {
    let sitemap = get_json(site, &format!("{path}sitemap.json")).await;
    let fetched = sitemap["fetched"].as_array().unwrap();
    let paths: BTreeSet<String> = fetched
        .iter()
        .map(|page| page["url"].as_str().unwrap().to_owned())
        .collect();
    let redirects = fetched.iter().filter(|page| page["status"] == 301).count() as u64;
    let requests = paths.len() as u64 + redirects + 1;
    (paths, requests)
}

pub async fn requests_seen(site: &TestServer, track: &str) -> u64 {
    tracked(site, track).await["requests"].as_u64().unwrap()
}

/// How many more times than once the pages of `pages` were requested
/// (each page counts once however it is spelled: a refetched redirect's
/// landing page is not counted again).
pub fn refetched_pages(stats: &serde_json::Value, pages: &BTreeSet<String>) -> u64 {
    let counts = stats["paths"].as_object().unwrap();
    pages
        .iter()
        .filter_map(|page| counts.get(page).and_then(serde_json::Value::as_u64))
        .map(|times| times.saturating_sub(1))
        .sum()
}

/// What the site's counters say of the requests tracked under `track`.
pub async fn tracked(site: &TestServer, track: &str) -> serde_json::Value {
    get_json(site, &format!("/track/{track}")).await
}

/// The site's JSON at `path`.
async fn get_json(site: &TestServer, path: &str) -> serde_json::Value {
    let response = unifetch::Session::new().get(site.url(path)).send().await.unwrap();
    response.json().await.unwrap()
}

/// The paths of the records `unifetch export` prints, asserting each once.
pub async fn exported(store: &str) -> BTreeSet<String> {
    exported_with(&["--store", store]).await
}

/// The same with the export's arguments.
pub async fn exported_with(args: &[&str]) -> BTreeSet<String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_unifetch"));
    command.arg("export").args(args).stdout(Stdio::piped());
    let output = run(command).await;
    assert!(output.status.success(), "{output:?}");
    let mut paths = BTreeSet::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let url = url::Url::parse(record["url"].as_str().unwrap()).unwrap();
        assert!(paths.insert(url.path().to_owned()), "{} exported twice", url.path());
    }
    paths
}

pub fn lines_parse(path: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("a torn line {line:?}: {e}"));
    }
    assert!(text.is_empty() || text.ends_with('\n'), "the file ends mid-line");
    text.lines().count()
}
