//! Basics: one `Session`, one GET, the status and the start of the body.
//!
//! ```text
//! cargo run --example basics
//! ```
//!
//! Talks to `UNIFETCH_BASE` when it is set, otherwise to the bundled test
//! site started in this process.

use unifetch::Session;
use unifetch_native::ExampleSite;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;

    // One session for the whole program: it keeps connections alive.
    let session = Session::builder().base_url(site.base_url())?.build()?;

    let response = session.get("/get").send().await?;
    println!("status: {}", response.status());

    let text = response.text().await?;
    let start: String = text.chars().take(50).collect();
    println!("body starts with: {start:?}");
    Ok(())
}
