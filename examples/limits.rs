//! Limits: with `limit(2)`, ten requests run two at a time — the seed's
//! `asyncio.Semaphore(2)` as a session setting. The pool's per-host limit
//! and the DNS cache TTL are settings too.
//!
//! ```text
//! cargo run --example limits
//! ```

use std::time::{Duration, Instant};

use futures::future::join_all;
use unifetch::Session;
use unifetch_native::ExampleSite;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;
    let session = Session::builder()
        .base_url(site.base_url())?
        .limit(2) // at most 2 requests in flight (aiohttp's default is 100)
        .limit_per_host(2) // and at most 2 to any one host
        .dns_cache_ttl(Duration::from_secs(10))
        .build()?;

    let started = Instant::now();
    let requests = (0..10).map(|i| {
        let session = &session;
        async move {
            let response = session.get("/delay/1").send().await?;
            response.bytes().await?;
            println!("request {i} done after {:.1} s", started.elapsed().as_secs_f64());
            Ok::<_, unifetch::Error>(())
        }
    });
    for result in join_all(requests).await {
        result?;
    }
    println!(
        "10 × 1 s with limit 2: {:.1} s (about 5 s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
