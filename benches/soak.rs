//! A soak: one session sends a million requests (by default), 32 at a
//! time, to the test site in its own process. Most are ordinary keep-alive
//! GETs; mixed in are connections the client closes, redirects, retries
//! that succeed and retries that give up, and every kind of failure:
//! resets, cut bodies, stalls ended by `sock_read`, bodies over the limit,
//! redirect loops and broken HTTP from the raw fault server. Each case has
//! the outcome it is due; any other is listed at the end, and the soak
//! then exits 1. At the start, at every tenth and at the end it prints the
//! outcomes so far, the process's resident memory, its open file
//! descriptors and how many of them are connections (the pool's size as
//! the system sees it). None may climb once warm: a leak of connections,
//! timers or buffers would.
//!
//! ```text
//! bash scripts/soak.sh [REQUESTS]   # starts the site, then this
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use unifetch::{Retry, Session, Timeout};

const IN_FLIGHT: usize = 32;

/// What one request of the mix asks for.
#[derive(Clone, Copy, Debug)]
enum Case {
    /// A path on the site, over a kept-alive connection.
    Site(&'static str),
    /// A path on the site with `Connection: close`.
    Closing(&'static str),
    /// `/flaky/1` with a fresh id: a 503, then a success on the retry.
    Flaky,
    /// A case of the raw fault server (HTTP broken below what axum sends).
    Raw(&'static str),
}

/// The mix: each case, how many of every 1,000 requests ask for it, and
/// the outcome it must have (`ok`, `HTTP <status>` or an error's kind).
/// The rest of each 1,000 are plain `/get`s, which must be `ok`.
const MIX: &[(Case, u32, &str)] = &[
    (Case::Site("/bytes/20000"), 60, "ok"),
    (Case::Site("/gzip"), 60, "ok"),
    (Case::Closing("/get"), 40, "ok"),
    (Case::Site("/redirect/3"), 30, "ok"),
    (Case::Flaky, 20, "ok"),
    (Case::Raw("continue-first"), 5, "ok"),
    (Case::Site("/status/503"), 10, "HTTP 503"),
    (Case::Site("/fault/reset?bytes=500"), 20, "body"),
    (Case::Site("/fault/truncated?bytes=10&length=100"), 20, "body"),
    (Case::Raw("reset-mid-body"), 5, "body"),
    (Case::Raw("chunked-cut"), 5, "body"),
    (Case::Site("/stream-bytes/2000000"), 10, "too_large"),
    (Case::Raw("endless-body"), 5, "too_large"),
    (Case::Site("/redirect-loop"), 10, "redirect"),
    (Case::Raw("huge-header"), 5, "request"),
    (Case::Site("/fault/stall-body?bytes=10&seconds=2"), 1, "timeout"),
];

fn main() {
    let site = std::env::var("UNIFETCH_SITE").expect("UNIFETCH_SITE (scripts/soak.sh sets it)");
    let requests: u64 = std::env::var("SOAK_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(soak(site, requests));
}

/// The case of the `n`th request and its expected outcome: the mix's
/// cases spread over each 1,000, the rest of each 1,000 a plain `/get`.
fn case_of(n: u64) -> (Case, &'static str) {
    let mut slot = (n % 1000) as u32;
    for &(case, share, expected) in MIX {
        if slot < share {
            return (case, expected);
        }
        slot -= share;
    }
    (Case::Site("/get"), "ok")
}

async fn soak(site: String, requests: u64) {
    let session = Session::builder()
        .max_body_size(1 << 20)
        .timeout(Timeout {
            total: Some(Duration::from_secs(5)),
            sock_read: Some(Duration::from_millis(200)),
            ..Timeout::default()
        })
        .retry(Retry::default().max_attempts(2).base_delay(Duration::from_millis(1)))
        .build()
        .expect("a session");
    let info: serde_json::Value = session
        .get(format!("{site}/fault/raw"))
        .send()
        .await
        .expect("the site answers")
        .json()
        .await
        .expect("JSON");
    let raw = info["base"].as_str().expect("the raw fault server").to_owned();

    let outcomes: Mutex<BTreeMap<String, u64>> = Mutex::default();
    // Outcomes other than their case's: how many, and the first one's error.
    let surprises: Mutex<BTreeMap<String, (u64, String)>> = Mutex::default();
    let done = AtomicU64::new(0);
    let started = Instant::now();
    println!("| after | requests | ok | other outcomes | RSS (MiB) | open fds | connections |");
    println!("| ---: | ---: | ---: | --- | ---: | ---: | ---: |");
    report(started, &outcomes.lock().unwrap());
    let tenth = (requests / 10).max(1);
    stream::iter(0..requests)
        .for_each_concurrent(IN_FLIGHT, |n| {
            let (session, site, raw, outcomes, surprises, done) = (&session, &site, &raw, &outcomes, &surprises, &done);
            async move {
                let (case, expected) = case_of(n);
                let request = match case {
                    Case::Site(path) => session.get(format!("{site}{path}")),
                    Case::Closing(path) => session.get(format!("{site}{path}")).header("connection", "close"),
                    Case::Flaky => session.get(format!("{site}/flaky/1?id=soak-{n}")),
                    Case::Raw(case) => session.get(format!("{raw}/{case}")),
                };
                let outcome = async {
                    let response = request.send().await?;
                    let status = response.status();
                    response.bytes().await?;
                    Ok::<_, unifetch::Error>(status)
                }
                .await;
                let key = match &outcome {
                    Ok(status) if status.is_success() => "ok".to_owned(),
                    Ok(status) => format!("HTTP {}", status.as_u16()),
                    Err(e) => e.kind_name().to_owned(),
                };
                if key != expected {
                    let mut surprises = surprises.lock().unwrap();
                    let surprise = surprises
                        .entry(format!("{case:?}: {key} where {expected} was due"))
                        .or_insert_with(|| (0, outcome.err().map(|e| format!("{e:#}")).unwrap_or_default()));
                    surprise.0 += 1;
                }
                *outcomes.lock().unwrap().entry(key).or_default() += 1;
                if (done.fetch_add(1, Ordering::Relaxed) + 1) % tenth == 0 {
                    report(started, &outcomes.lock().unwrap());
                }
            }
        })
        .await;
    if !requests.is_multiple_of(tenth) {
        report(started, &outcomes.lock().unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "\n{requests} requests in {seconds:.0} s ({:.0} per second)",
        requests as f64 / seconds
    );
    let surprises = surprises.into_inner().unwrap();
    if surprises.is_empty() {
        println!("every request had the outcome its case is due");
        return;
    }
    for (surprise, (count, first)) in surprises {
        println!("UNEXPECTED {count}× {surprise}; the first: {first}");
    }
    std::process::exit(1);
}

fn report(started: Instant, outcomes: &BTreeMap<String, u64>) {
    let total: u64 = outcomes.values().sum();
    let ok = outcomes.get("ok").copied().unwrap_or(0);
    let others: Vec<String> = outcomes
        .iter()
        .filter(|(kind, _)| *kind != "ok")
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    let (fds, sockets) = descriptors();
    println!(
        "| {:.1} s | {total} | {ok} | {} | {:.1} | {fds} | {sockets} |",
        started.elapsed().as_secs_f64(),
        others.join(", "),
        resident_kib().unwrap_or(0) as f64 / 1024.0,
    );
}

/// The process's open file descriptors, and how many of them are sockets.
fn descriptors() -> (usize, usize) {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return (0, 0);
    };
    let targets: Vec<_> = entries
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .collect();
    let sockets = targets
        .iter()
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count();
    (targets.len(), sockets)
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
