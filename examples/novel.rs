//! The guide's application: download a novel. The catalog API lists the
//! chapters; every chapter is then fetched with at most 5 requests in
//! flight and a browser User-Agent — through the crawler's callback API,
//! which also brings dedup, robots.txt, retries and timeouts.
//!
//! ```text
//! cargo run --example novel
//! ```

use futures::StreamExt;
use unifetch::crawl::Crawler;
use unifetch::Session;
use unifetch_native::{guide, ExampleSite};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = ExampleSite::start().await?;
    let session = Session::builder()
        .base_url(site.base_url())?
        .header(
            "User-Agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
        )
        .build()?;

    // The catalog lists the chapters; `guide::chapter_urls` reads it and
    // returns one URL per chapter (see native/src/guide.rs).
    let mut crawl = Crawler::new(session)
        .concurrency(5) // the guide's asyncio.Semaphore(5)
        .follow_links(false)
        .on_page(guide::chapter_urls)
        .crawl([guide::catalog_path()])?;

    let mut chapters = 0;
    while let Some(page) = crawl.next().await {
        match &page.error {
            None => chapters += 1,
            Some(kind) => eprintln!("failed ({kind}): {}", page.error_message.as_deref().unwrap_or_default()),
        }
    }
    let summary = crawl.summary();
    println!("{}", serde_json::to_string(&summary)?);
    eprintln!(
        "{} pages ({chapters} ok) in {:.2} s",
        summary.pages, summary.elapsed_secs
    );
    Ok(())
}
