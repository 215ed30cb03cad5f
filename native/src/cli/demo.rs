//! `unifetch demo`: the main job on an embedded site. Starts the demo site
//! on a free port of 127.0.0.1, crawls its HTML part (2,000 pages served
//! in 10 ms each, like a fast real server) with the defaults, then runs the
//! guide's novel crawl (catalog → chapters, 5 in flight, a browser
//! User-Agent) through the callback API.

use std::process::ExitCode;

use serde::Deserialize;
use unifetch::crawl::{Crawler, Page};
use unifetch::{Session, Url};
use unifetch_native::TestServer;

use super::crawl::{drive, print_summary, CRAWLER_AGENT};
use super::EXIT_TRANSPORT;

/// The demo's HTML site: 2,000 pages, each served after 10 ms.
const DEMO_SITE: &str = "/web/2000x10/";

pub(crate) async fn run() -> ExitCode {
    let server = match TestServer::site().await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("unifetch demo: cannot start the demo site: {error}");
            return ExitCode::from(EXIT_TRANSPORT);
        }
    };
    println!("demo site on {}", server.base_url());
    let session = match server.session_builder().header("User-Agent", CRAWLER_AGENT).build() {
        Ok(session) => session,
        Err(error) => {
            eprintln!("unifetch demo: {error}");
            return ExitCode::from(EXIT_TRANSPORT);
        }
    };

    println!(
        "\n1. crawling the HTML site from {}{DEMO_SITE} (16 in flight, 8 per host, robots.txt obeyed)",
        server.base_url()
    );
    let Ok(web) = Crawler::new(session.clone()).crawl([DEMO_SITE]) else {
        return ExitCode::from(EXIT_TRANSPORT);
    };
    let web = drive(web, None, "web").await;
    print_summary("the HTML site", &web);

    println!("\n2. the guide's novel: the catalog, then every chapter, 5 in flight");
    let Ok(novel) = novel_crawl(session) else {
        return ExitCode::from(EXIT_TRANSPORT);
    };
    let novel = drive(novel, None, "novel").await;
    print_summary("the novel API", &novel);
    ExitCode::SUCCESS
}

/// The catalog → chapters crawl: the callback reads the catalog JSON and
/// returns one chapter URL per item.
fn novel_crawl(session: Session) -> unifetch::Result<unifetch::crawl::Crawl> {
    let catalog = format!(
        "/api/pc/getCatalog?data={{\"book_id\":\"{}\"}}",
        unifetch_native::site::BOOK_ID
    );
    Crawler::new(session)
        .concurrency(5)
        .follow_links(false)
        .on_page(chapter_urls)
        .crawl([catalog])
}

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

fn chapter_urls(page: &Page<'_>) -> Vec<Url> {
    let Ok(catalog) = page.json::<Catalog>() else {
        return Vec::new(); // a chapter page: nothing more to fetch
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
