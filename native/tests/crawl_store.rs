//! `unifetch crawl --store FILE` as a user runs it: killed (SIGKILL,
//! SIGTERM) in the middle and resumed, against the test site, whose
//! sitemap says which pages a whole crawl records and whose counters say
//! how many requests reached it; and store files that cannot be used.

mod crawl;

use std::path::Path;
use std::time::{Duration, Instant};

use crawl::*;
use unifetch_native::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn a_crawl_killed_mid_way_resumes_to_exactly_the_site() {
    killed_and_resumed(SITE, 300).await;
}

/// At full speed on a site that answers at once, a crash still costs at
/// most twice the concurrency in pages fetched again: the store lags
/// behind the fetches by no more than that.
#[tokio::test(flavor = "multi_thread")]
async fn a_fast_crawl_killed_mid_way_fetches_again_at_most_twice_the_concurrency() {
    killed_and_resumed("/web/5000/", 2000).await;
}

/// Crawls the site at `path`, kills the crawl with SIGKILL once `--out`
/// holds `lines` records, resumes it, and checks what was fetched twice.
async fn killed_and_resumed(path: &str, lines: usize) {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new(&format!("kill-{lines}"));
    let (store, out) = (scratch.path("crawl.db"), scratch.path("pages.jsonl"));
    let track = format!("kill-{lines}-{}", std::process::id());
    let crawl = || {
        let mut command = crawl_of(&site, path, &store, &out, &track);
        command.args(["--concurrency", &CONCURRENCY.to_string()]);
        command
    };

    let first = crawl().spawn().unwrap();
    wait_for_lines(&out, lines).await;
    signal(&first, "-KILL");
    let killed = finish(first).await;
    assert!(!killed.status.success(), "killed before the end: {killed:?}");

    let resumed = run(crawl()).await;
    assert!(resumed.status.success(), "{resumed:?}");
    let summary = String::from_utf8_lossy(&resumed.stdout);
    assert!(summary.contains("resumed: done before"), "{summary}");

    let (pages, requests) = expected_of(&site, path).await;
    assert_eq!(
        exported(&store).await,
        pages,
        "the records are the site's pages, each once"
    );
    let stats = tracked(&site, &track).await;
    assert!(stats["requests"].as_u64().unwrap() >= requests);
    let refetched = refetched_pages(&stats, &pages);
    assert!(
        refetched <= 2 * CONCURRENCY,
        "{refetched} pages fetched twice (at most twice the concurrency)"
    );
    assert_eq!(
        lines_parse(&out),
        pages.len(),
        "--out was appended to, every line whole"
    );
}

/// A crawl file of schema version 1 (states in `pages`, no `queue`)
/// killed mid-way is migrated when it is opened, and the crawl resumes to
/// exactly the site.
#[tokio::test(flavor = "multi_thread")]
async fn a_crawl_of_schema_version_1_is_migrated_and_resumes() {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new("migrate");
    let (store, out) = (scratch.path("crawl.db"), scratch.path("pages.jsonl"));
    let first = crawl(&site, &store, &out, "migrate").spawn().unwrap();
    wait_for_lines(&out, 200).await;
    signal(&first, "-KILL");
    finish(first).await;
    let db = rusqlite::Connection::open(&store).unwrap();
    db.execute_batch(TO_VERSION_1).unwrap();
    let states: Vec<i64> = db
        .prepare("SELECT DISTINCT state FROM pages ORDER BY state")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        states,
        [0, 1, 2, 3],
        "queued, leased, done and seen (a redirect's end) pages"
    );
    drop(db);

    let resumed = run(crawl(&site, &store, &out, "migrate")).await;
    assert!(resumed.status.success(), "{resumed:?}");
    let (pages, _) = expected(&site).await;
    assert_eq!(exported(&store).await, pages);
    assert_eq!(lines_parse(&out), pages.len());
}

/// Schema version 2 back to 1, as unifetch 0.1's crawl files were.
const TO_VERSION_1: &str = "
    BEGIN;
    CREATE TABLE pages_1 (id INTEGER PRIMARY KEY, fp INTEGER NOT NULL, url TEXT NOT NULL,
                          depth INTEGER NOT NULL, state INTEGER NOT NULL);
    INSERT INTO pages_1 SELECT id, fp, url, depth, CASE
        WHEN fetch = 0 THEN 3
        WHEN id IN (SELECT page FROM queue) THEN 0
        WHEN id IN (SELECT page FROM records) THEN 2
        ELSE 1 END FROM pages;
    DROP TABLE pages;
    ALTER TABLE pages_1 RENAME TO pages;
    CREATE INDEX pages_queue ON pages (depth, id) WHERE state = 0;
    CREATE TABLE records_1 (id INTEGER PRIMARY KEY, page INTEGER NOT NULL, json TEXT NOT NULL);
    INSERT INTO records_1 SELECT id, page, json FROM records WHERE json IS NOT NULL;
    DROP TABLE records;
    ALTER TABLE records_1 RENAME TO records;
    DROP TABLE queue;
    PRAGMA user_version = 1;
    COMMIT;
";

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_cleanly_and_the_crawl_resumes() {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new("term");
    let (store, out) = (scratch.path("crawl.db"), scratch.path("pages.jsonl"));
    let track = format!("term-{}", std::process::id());

    let first = crawl(&site, &store, &out, &track).spawn().unwrap();
    wait_for_lines(&out, 200).await;
    signal(&first, "-TERM");
    let started = Instant::now();
    let stopped = finish(first).await;
    assert_eq!(stopped.status.code(), Some(143), "{stopped:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "it exits promptly");
    let written = lines_parse(&out);
    let summary = String::from_utf8_lossy(&stopped.stdout);
    let pages: usize = summary
        .lines()
        .find_map(|line| line.strip_prefix("pages").map(str::trim).and_then(|n| n.parse().ok()))
        .expect("a pages row");
    assert!(
        summary.contains("stopped early") && summary.contains("yes"),
        "{summary}"
    );
    assert_eq!(written, pages, "every recorded page is in --out, and only those");

    let resumed = run(crawl(&site, &store, &out, &track)).await;
    assert!(resumed.status.success(), "{resumed:?}");
    let (pages, requests) = expected(&site).await;
    assert_eq!(exported(&store).await, pages);
    assert_eq!(
        requests_seen(&site, &track).await,
        requests,
        "a clean stop fetches nothing twice"
    );
    assert_eq!(lines_parse(&out), pages.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_crawl_of_the_same_store_is_refused_while_the_first_runs() {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new("locked");
    let (store, out) = (scratch.path("crawl.db"), scratch.path("pages.jsonl"));
    let first = crawl(&site, &store, &out, "locked").spawn().unwrap();
    wait_for_lines(&out, 50).await;
    let second = run(crawl(&site, &store, &scratch.path("other.jsonl"), "locked")).await;
    assert_eq!(second.status.code(), Some(1), "{second:?}");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("is in use by another crawl"), "{stderr}");
    signal(&first, "-INT");
    assert_eq!(finish(first).await.status.code(), Some(130));
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_are_not_a_crawl_store_are_refused_and_left_alone() {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new("refused");
    let corrupt = scratch.path("corrupt.db");
    std::fs::write(
        &corrupt,
        b"SQLite format 3\0 but then nothing a database would hold".repeat(200),
    )
    .unwrap();
    let foreign = scratch.path("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (7);")
        .unwrap();
    // Marked as a crawl of schema version 1, without its tables.
    let broken = scratch.path("broken.db");
    rusqlite::Connection::open(&broken)
        .unwrap()
        .execute_batch("CREATE TABLE notes (id INTEGER); PRAGMA application_id = 1430668114; PRAGMA user_version = 1;")
        .unwrap();
    let newer = scratch.path("newer.db");
    drop(unifetch::crawl::store::SqliteStore::open(&newer).unwrap());
    // The store's thread lets go of the file soon after the drop.
    let started = Instant::now();
    while let Err(e) = rusqlite::Connection::open(&newer).and_then(|db| db.pragma_update(None, "user_version", 99)) {
        assert!(started.elapsed() < Duration::from_secs(5), "{e}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    for (file, says) in [
        (&corrupt, "is not a SQLite database (or it is corrupt)"),
        (&foreign, "is a SQLite database of another program"),
        (&broken, "cannot migrate the crawl from schema version 1"),
        (
            &newer,
            "holds a crawl of schema version 99; this unifetch reads version 2",
        ),
    ] {
        let before = std::fs::read(file).unwrap();
        let output = run(crawl(&site, file, &scratch.path("b.jsonl"), "refused")).await;
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{file}: {stderr}");
        assert_eq!(std::fs::read(file).unwrap(), before, "{file} was changed");
    }
    assert!(Path::new(&foreign).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_abandons_the_pages_in_flight_and_the_store_stays_usable() {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new("twice");
    let (store, out) = (scratch.path("crawl.db"), scratch.path("pages.jsonl"));
    // Three seconds a page: after the first signal the crawl would wait for them.
    let child = crawl_of(&site, "/web/200x3000/", &store, &out, "twice")
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    signal(&child, "-INT");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = Instant::now();
    signal(&child, "-INT");
    let output = finish(child).await;
    assert!(
        second.elapsed() < Duration::from_secs(2),
        "the second signal ends it at once"
    );
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("abandoned the pages in flight"));
    lines_parse(&out);
    assert!(
        exported(&store).await.is_empty(),
        "nothing was recorded, and the store opens"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_say_what_is_wrong() {
    let site = TestServer::site().await.unwrap();
    let scratch = Scratch::new("usage");
    let (store, out) = (scratch.path("crawl.db"), scratch.path("pages.jsonl"));
    let mut bad_header = crawl_of(&site, "/web/10/", &store, &out, "usage");
    bad_header.args(["-H", "no colon here"]);
    let mut stray_name = crawl_of(&site, "/web/10/", &store, &out, "usage");
    stray_name.args(["--name", "docs"]);
    for (command, says) in [
        (bad_header, "--header \"no colon here\" is not `Name: value`"),
        (stray_name, "--name is for Redis stores"),
    ] {
        let output = run(command).await;
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }
    assert!(!Path::new(&store).exists(), "nothing was created");
}
