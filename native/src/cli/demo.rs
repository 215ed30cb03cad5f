//! `unifetch demo`: the main job on an embedded site. Starts the demo site
//! on a free port of 127.0.0.1, crawls its HTML part (2,000 pages served
//! in 10 ms each, like a fast real server) with the defaults, then runs the
//! guide's novel crawl (catalog → chapters, 5 in flight, a browser
//! User-Agent) through the callback API.

use std::process::ExitCode;

use unifetch::crawl::Crawler;
use unifetch::Session;
use unifetch_native::{guide, TestServer};

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
    print_summary("the HTML site", &web.summary);
    if let Some(code) = web.signal {
        return ExitCode::from(code);
    }

    println!("\n2. the guide's novel: the catalog, then every chapter, 5 in flight");
    let Ok(novel) = novel_crawl(session) else {
        return ExitCode::from(EXIT_TRANSPORT);
    };
    let novel = drive(novel, None, "novel").await;
    print_summary("the novel API", &novel.summary);
    novel.signal.map_or(ExitCode::SUCCESS, ExitCode::from)
}

/// The catalog → chapters crawl, 5 in flight, through the callback API.
fn novel_crawl(session: Session) -> unifetch::Result<unifetch::crawl::Crawl> {
    Crawler::new(session)
        .concurrency(5)
        .follow_links(false)
        .on_page(guide::chapter_urls)
        .crawl([guide::catalog_path()])
}
