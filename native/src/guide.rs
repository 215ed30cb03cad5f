//! The seed guide's application, client side: read the novel's catalog
//! from the JSON API, then fetch every chapter. With the crawler, the
//! catalog → chapters step is one callback:
//!
//! ```no_run
//! use unifetch::crawl::Crawler;
//! use unifetch_native::guide;
//!
//! # fn run(session: unifetch::Session) -> unifetch::Result<()> {
//! let crawl = Crawler::new(session)
//!     .concurrency(5) // the guide's asyncio.Semaphore(5)
//!     .follow_links(false)
//!     .on_page(guide::chapter_urls)
//!     .crawl([guide::catalog_path()])?;
//! # Ok(()) }
//! ```

use serde::Deserialize;
use unifetch::crawl::Page;
use unifetch::Url;

use crate::site::BOOK_ID;

/// `/api/pc/getCatalog?data={"book_id":"4306063500"}`, relative to the site.
pub fn catalog_path() -> String {
    format!("/api/pc/getCatalog?data={{\"book_id\":\"{BOOK_ID}\"}}")
}

/// `{"data": {"novel": {"book_id": …, "items": [{"cid": …}, …]}}}`
#[derive(Deserialize)]
struct Catalog {
    data: CatalogData,
}

#[derive(Deserialize)]
struct CatalogData {
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

/// The crawler callback: a catalog page gives one chapter URL per item;
/// chapters (any other page) give nothing.
pub fn chapter_urls(page: &Page<'_>) -> Vec<Url> {
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
