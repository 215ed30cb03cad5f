//! A soak: one session sends a mix of ordinary requests and every kind of
//! failure (resets, cut bodies, stalls ended by `sock_read`, bodies over
//! the limit, redirect chains, broken HTTP from the raw fault server) for
//! a while, 32 at a time, against the test site in its own process; every
//! few seconds it prints the outcomes so far, the process's resident
//! memory and its open file descriptors. Neither may grow once warm: a
//! leak of connections, timers or buffers shows as a column that climbs.
//!
//! ```text
//! bash scripts/soak.sh [SECONDS]   # starts the site, then this
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use unifetch::{Session, Timeout};

const IN_FLIGHT: usize = 32;

fn main() {
    let site = std::env::var("UNIFETCH_SITE").expect("UNIFETCH_SITE (scripts/soak.sh sets it)");
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(soak(site, Duration::from_secs(seconds)));
}

async fn soak(site: String, length: Duration) {
    let session = Session::builder()
        .max_body_size(1 << 20)
        .timeout(Timeout {
            total: Some(Duration::from_secs(5)),
            sock_read: Some(Duration::from_millis(200)),
            ..Timeout::default()
        })
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
    let paths: Vec<String> = [
        "/get",
        "/bytes/20000",
        "/gzip",
        "/redirect/3",
        "/status/503",
        "/fault/reset?bytes=500",
        "/fault/truncated?bytes=10&length=100",
        "/fault/stall-body?bytes=10&seconds=2",
        "/bytes/2000000",
        "/redirect-loop",
    ]
    .iter()
    .map(|path| format!("{site}{path}"))
    .chain(
        [
            "reset-mid-body",
            "chunked-cut",
            "huge-header",
            "endless-body",
            "continue-first",
        ]
        .iter()
        .map(|case| format!("{raw}/{case}")),
    )
    .collect();

    let outcomes: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let started = Instant::now();
    let report_every = (length / 6).max(Duration::from_secs(1));
    let mut next_report = report_every;
    println!("| after | requests | ok | errors by kind | RSS (MiB) | open fds |");
    println!("| ---: | ---: | ---: | --- | ---: | ---: |");
    let mut sent = 0u64;
    while started.elapsed() < length {
        let batch = (0..IN_FLIGHT * 8).map(|n| paths[(sent as usize + n) % paths.len()].clone());
        stream::iter(batch)
            .for_each_concurrent(IN_FLIGHT, |url| {
                let (session, outcomes) = (session.clone(), outcomes.clone());
                async move {
                    let outcome = async { session.get(url).send().await?.bytes().await }.await;
                    let key = match outcome {
                        Ok(_) => "ok".to_owned(),
                        Err(e) => e.kind_name().to_owned(),
                    };
                    *outcomes.lock().unwrap().entry(key).or_default() += 1;
                }
            })
            .await;
        sent += (IN_FLIGHT * 8) as u64;
        let over = started.elapsed() >= length;
        if over || started.elapsed() >= next_report {
            next_report += report_every;
            report(started.elapsed(), &outcomes.lock().unwrap());
        }
    }
}

fn report(after: Duration, outcomes: &BTreeMap<String, u64>) {
    let total: u64 = outcomes.values().sum();
    let ok = outcomes.get("ok").copied().unwrap_or(0);
    let errors: Vec<String> = outcomes
        .iter()
        .filter(|(kind, _)| *kind != "ok")
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    println!(
        "| {:.0} s | {total} | {ok} | {} | {:.1} | {} |",
        after.as_secs_f64(),
        errors.join(", "),
        resident_kib().unwrap_or(0) as f64 / 1024.0,
        std::fs::read_dir("/proc/self/fd").map(|dir| dir.count()).unwrap_or(0)
    );
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
