//! The guide's novel crawl by hand, and the portable crawler.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use unifetch::crawl::Crawler;
use unifetch::{Limits, Session};

use super::{collect, Outcome, Site};

#[derive(Deserialize)]
struct Catalog {
    data: CatalogData,
}

#[derive(Deserialize)]
struct CatalogData {
    novel: CatalogNovel,
}

#[derive(Deserialize)]
struct CatalogNovel {
    items: Vec<Chapter>,
}

#[derive(Deserialize)]
struct Chapter {
    cid: String,
    title: String,
}

/// The guide's crawl: the catalog, then chapters with at most 5 in flight
/// and a browser `User-Agent`.
pub async fn novel_catalog_then_chapters(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .header("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
        .limits(Limits::default().limit(5))
        .build()?;
    let book = "4306063500";
    let catalog: Catalog = session
        .get("/api/pc/getCatalog")
        .query(&[("data", format!(r#"{{"book_id":"{book}"}}"#))])
        .send()
        .await?
        .json()
        .await?;
    let chapters = &catalog.data.novel.items;
    ensure!(chapters.len() >= 20, "{} chapters", chapters.len());
    let key = site.track_key("novel");
    let downloads = chapters.iter().take(20).map(|chapter| {
        let data = format!(
            r#"{{"book_id":"{book}","cid":"{book}|{}","need_bookinfo":1}}"#,
            chapter.cid
        );
        let session = &session;
        let key = &key;
        async move {
            let page: Value = session
                .get("/api/pc/getChapterContent")
                .query(&[("data", data.as_str()), ("track", key.as_str())])
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let content = page["data"]["novel"]["content"].as_str().unwrap_or_default().to_owned();
            Ok::<_, unifetch::Error>((chapter.title.clone(), content))
        }
    });
    for result in futures_util::future::join_all(downloads).await {
        let (title, content) = result?;
        ensure!(
            content.starts_with(&title),
            "chapter {title}: {}",
            &content[..content.len().min(40)]
        );
    }
    let stats = site.stats(&key).await?;
    ensure!(stats.max_in_flight <= 5, "{} chapters in flight", stats.max_in_flight);
    Ok(())
}

/// The HTML crawl of a 150-page demo site with limits: exactly the pages
/// of its sitemap, each fetched once, none that robots.txt disallows, no
/// more than 3 at once on the host.
pub async fn crawler_covers_the_demo_site(site: &Site) -> Outcome {
    let key = site.track_key("crawl-web");
    let session = site.tracked_session(&key)?;
    let crawl = Crawler::new(session).concurrency(6).per_host(3).crawl(["/web/150/"])?;
    let (records, summary) = collect(crawl).await;
    let expected = site.sitemap("150").await?;

    let fetched: BTreeMap<String, Option<u16>> = records.iter().map(|r| (r.url.path().to_owned(), r.status)).collect();
    ensure!(fetched.len() == records.len(), "a URL was fetched twice");
    let wanted: BTreeMap<String, Option<u16>> = expected
        .fetched
        .iter()
        .map(|e| (e.url.clone(), Some(if e.status == 301 { 200 } else { e.status })))
        .collect();
    let missing: Vec<_> = wanted.keys().filter(|k| !fetched.contains_key(*k)).collect();
    let extra: Vec<_> = fetched.keys().filter(|k| !wanted.contains_key(*k)).collect();
    ensure!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    ensure!(fetched == wanted, "statuses differ from the sitemap");

    let titled = records
        .iter()
        .filter(|r| r.title.as_deref().is_some_and(|t| t.starts_with("Page ")))
        .count();
    ensure!(titled > 100, "only {titled} pages have a title");
    let moved = records.iter().find(|r| r.url.path().contains("/moved/"));
    ensure!(
        moved.is_some_and(|r| r.final_url.path().contains("/landing/")),
        "a redirect is followed and recorded: {moved:?}"
    );
    ensure!(summary.pages == records.len() as u64, "summary {summary:?}");
    let broken = expected.fetched.iter().filter(|e| e.status == 404).count() as u64;
    ensure!(
        summary.errors.get("status") == Some(&broken),
        "errors {:?}, {broken} broken links",
        summary.errors
    );
    ensure!(
        summary.disallowed >= expected.disallowed.len() as u64,
        "summary {summary:?}"
    );

    let stats = site.stats(&key).await?;
    let private: Vec<_> = stats.paths.keys().filter(|p| p.contains("/private/")).collect();
    ensure!(private.is_empty(), "robots.txt disallows {private:?}");
    ensure!(stats.paths.values().all(|n| *n == 1), "a path was requested twice");
    ensure!(
        stats.max_in_flight <= 3,
        "{} requests at once on one host",
        stats.max_in_flight
    );
    Ok(())
}

#[derive(Deserialize)]
struct NovelCatalog {
    data: NovelCatalogData,
}

#[derive(Deserialize)]
struct NovelCatalogData {
    novel: NovelBook,
}

#[derive(Deserialize)]
struct NovelBook {
    book_id: String,
    items: Vec<Chapter>,
}

/// The guide's crawl through the callback API: the catalog JSON gives the
/// chapter URLs; chapters are fetched with at most 5 in flight. Only the
/// chapters the site breaks on purpose may fail.
pub async fn crawler_follows_the_novel_catalog(site: &Site) -> Outcome {
    let key = site.track_key("crawl-novel");
    let session = site.tracked_session(&key)?;
    let catalog = format!("/api/pc/getCatalog?data={}", r#"{"book_id":"4306063500"}"#);
    let crawl = Crawler::new(session)
        .concurrency(5)
        .follow_links(false)
        .on_page(|page| {
            let Ok(catalog) = page.json::<NovelCatalog>() else {
                return Vec::new(); // a chapter: nothing to follow
            };
            let book = catalog.data.novel.book_id;
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
        })
        .crawl([catalog])?;
    let (records, summary) = collect(crawl).await;
    ensure!(
        records.len() == 301,
        "{} records: the catalog and 300 chapters",
        records.len()
    );
    let failed: Vec<u64> = records
        .iter()
        .filter(|r| !r.is_ok())
        .filter_map(|r| chapter_number(&r.url))
        .collect();
    let allowed_to_fail = [37u64, 137, 237, 250];
    ensure!(
        failed.iter().all(|n| allowed_to_fail.contains(n)),
        "unexpected failures {failed:?}"
    );
    ensure!(failed.contains(&250), "the broken chapter failed: {failed:?}");
    ensure!(summary.ok + summary.error_count() == 301, "{summary:?}");
    let stats = site.stats(&key).await?;
    ensure!(stats.max_in_flight <= 5, "{} in flight", stats.max_in_flight);
    Ok(())
}

/// The chapter number in a chapter URL (`cid` minus the first chapter's id).
fn chapter_number(url: &unifetch::Url) -> Option<u64> {
    let (_, data) = url.query_pairs().find(|(k, _)| k == "data")?;
    let data: Value = serde_json::from_str(&data).ok()?;
    let cid: u64 = data["cid"].as_str()?.split('|').nth(1)?.parse().ok()?;
    Some(cid - 1_569_782_244 + 1)
}
