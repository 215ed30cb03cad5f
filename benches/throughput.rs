//! Prints the README's performance table: request rate over keep-alive
//! (one at a time and 64 in flight) and streaming download speed, against
//! the bundled test site on 127.0.0.1 (in the same process).
//!
//! ```text
//! cargo bench --bench throughput
//! ```

use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::StreamExt;
use unifetch::Session;
use unifetch_native::TestServer;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let server = TestServer::site().await.expect("the test site starts");
    let session = server.session_builder().limit(0).build().expect("a session");
    println!("| benchmark | result |");
    println!("| --- | --- |");

    let rate = sequential_gets(&session, Duration::from_secs(3)).await;
    println!("| GET /get, 1 in flight, keep-alive | {rate:.0} req/s |");

    let rate = concurrent_gets(&session, 64, Duration::from_secs(3)).await;
    println!("| GET /get, 64 in flight | {rate:.0} req/s |");

    let (mib_s, size) = download(&session, 1 << 30).await;
    println!(
        "| stream {} MiB (/stream-bytes, 64 KiB chunks) | {mib_s:.0} MiB/s |",
        size >> 20
    );
    if let Some(peak) = peak_rss_kib() {
        println!(
            "| peak RSS of the whole process (client + server) | {:.1} MiB |",
            peak as f64 / 1024.0
        );
    }
}

async fn sequential_gets(session: &Session, length: Duration) -> f64 {
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < length {
        let response = session.get("/get").send().await.expect("GET");
        response.bytes().await.expect("body");
        count += 1;
    }
    count as f64 / started.elapsed().as_secs_f64()
}

async fn concurrent_gets(session: &Session, in_flight: usize, length: Duration) -> f64 {
    let started = Instant::now();
    let workers = (0..in_flight).map(|_| async {
        let mut count = 0u64;
        while started.elapsed() < length {
            let response = session.get("/get").send().await.expect("GET");
            response.bytes().await.expect("body");
            count += 1;
        }
        count
    });
    let total: u64 = join_all(workers).await.into_iter().sum();
    total as f64 / started.elapsed().as_secs_f64()
}

async fn download(session: &Session, size: u64) -> (f64, u64) {
    let started = Instant::now();
    let response = session
        .get(format!("/stream-bytes/{size}?chunk_size=65536"))
        .send()
        .await
        .expect("download");
    let mut chunks = response.chunks();
    let mut received = 0u64;
    while let Some(chunk) = chunks.next().await {
        received += chunk.expect("chunk").len() as u64;
    }
    assert_eq!(received, size, "the whole body arrives");
    (received as f64 / 1048576.0 / started.elapsed().as_secs_f64(), received)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
