//! The guide's application: download a novel. The catalog API lists the
//! chapters; every chapter is then fetched with at most 5 requests in
//! flight and a browser User-Agent — through the crawler's callback API,
//! which also brings dedup, robots.txt, retries and timeouts.
//!
//! ```text
//! cargo run --example novel
//! ```

use futures::StreamExt;
use serde::Deserialize;
use unifetch::crawl::{Crawler, Page};
use unifetch::{Session, Url};
use unifetch_native::ExampleSite;

/// `{"data": {"novel": {"book_id": …, "items": [{"cid": …, "title": …}]}}}`
#[derive(Deserialize)]
struct Catalog {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    novel: Book,
}

#[derive(Deserialize)]
struct Book {
    book_id: String,
    items: Vec<Chapter>,
}

#[derive(Deserialize)]
struct Chapter {
    cid: String,
}

/// Reads the catalog and returns one URL per chapter; chapters lead nowhere.
fn chapter_urls(page: &Page<'_>) -> Vec<Url> {
    let Ok(catalog) = page.json::<Catalog>() else {
        return Vec::new();
    };
    let book = &catalog.data.novel.book_id;
    catalog
        .data
        .novel
        .items
        .iter()
        .filter_map(|chapter| {
            let mut url = page.join("/api/pc/getChapterContent")?;
            let data = format!(
                r#"{{"book_id":"{book}","cid":"{book}|{}","need_bookinfo":1}}"#,
                chapter.cid
            );
            url.query_pairs_mut().append_pair("data", &data);
            Some(url)
        })
        .collect()
}

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

    let catalog = r#"/api/pc/getCatalog?data={"book_id":"4306063500"}"#;
    let mut crawl = Crawler::new(session)
        .concurrency(5)
        .follow_links(false)
        .on_page(chapter_urls)
        .crawl([catalog])?;

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
