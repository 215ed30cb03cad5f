//! aiohttp's four timeouts, as a session default and overridden per request:
//!
//! * `total`: the whole request, body included;
//! * `connect`: waiting for a free slot plus connecting;
//! * `sock_connect`: connecting one socket (TCP and TLS);
//! * `sock_read`: the longest silence between two reads.
//!
//! ```text
//! cargo run --example fine_timeouts
//! ```

use std::time::Duration;

use unifetch::{Session, Timeout};
use unifetch_native::ExampleSite;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;
    let session = Session::builder()
        .base_url(site.base_url())?
        .timeout(Timeout {
            total: None,
            connect: Some(Duration::from_secs(3)),
            sock_connect: Some(Duration::from_secs(3)),
            sock_read: Some(Duration::from_secs(5)),
        })
        .build()?;

    // A body that drips for 3 s but never pauses 5 s: fine under sock_read.
    let body = session.get("/drip?duration=3&numbytes=6").send().await?.bytes().await?;
    println!("slow but steady body: {} bytes", body.len());

    // The same session, stricter for one request: 1 s of silence is too long.
    let strict = Timeout {
        sock_read: Some(Duration::from_secs(1)),
        ..session.timeout()
    };
    let response = session
        .get("/fault/stall-body?bytes=10&seconds=5")
        .timeout(strict)
        .send()
        .await?;
    match response.bytes().await {
        Ok(body) => println!("unexpected: {} bytes", body.len()),
        Err(error) => println!("per-request sock_read: {error}"),
    }
    Ok(())
}
