//! Concurrency: five 2-second requests one after another take about 10 s;
//! the same five sent together through one `Session` take about 2 s.
//!
//! ```text
//! cargo run --example concurrent
//! ```

use std::time::Instant;

use futures::future::join_all;
use unifetch::Session;
use unifetch_native::ExampleSite;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;
    let session = Session::builder().base_url(site.base_url())?.build()?;

    // One after another: each request waits for the previous one.
    let started = Instant::now();
    for _ in 0..5 {
        session.get("/delay/2").send().await?.bytes().await?;
    }
    println!("5 requests in sequence: {:.1} s", started.elapsed().as_secs_f64());

    // Together: all five are in flight at once.
    let started = Instant::now();
    let requests = (0..5).map(|_| async { session.get("/delay/2").send().await?.bytes().await });
    for result in join_all(requests).await {
        result?;
    }
    println!("5 requests together:   {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
