//! The seed guide's crawler API: a novel's catalog and its chapters, shaped
//! like the `dushu.baidu.com` JSON API the guide crawls
//! (`/api/pc/getCatalog?data={"book_id":…}` and
//! `/api/pc/getChapterContent?data={"book_id":…,"cid":"book|chapter",…}`).
//!
//! Like a real site, some chapters misbehave (never the first 20): every
//! chapter `n` with `n % 20 == 19` takes 300 ms, chapters 37, 137 and 237
//! answer `503` with `Retry-After: 1` to their first two requests (counted
//! per client: the `X-Track` header or `?track=` key, else globally), and
//! chapter 250 always answers `500`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::echo::json_response;

/// Chapters that fail their first [`TRANSIENT_FAILURES`] requests.
pub const TRANSIENT_CHAPTERS: [u64; 3] = [37, 137, 237];
/// How many times a transient chapter fails before it succeeds.
pub const TRANSIENT_FAILURES: u32 = 2;
/// The chapter that always fails.
pub const BROKEN_CHAPTER: u64 = 250;

/// The one book on the site: 西游记 (Journey to the West), as in the guide.
pub const BOOK_ID: &str = "4306063500";

/// The first chapter's id; chapter `n` (1-based) is `FIRST_CID + n - 1`.
const FIRST_CID: u64 = 1_569_782_244;

/// The shape of the novel API.
#[derive(Debug, Clone, Copy)]
pub struct NovelConfig {
    /// How many chapters the catalog lists.
    pub chapters: u64,
}

impl Default for NovelConfig {
    fn default() -> NovelConfig {
        NovelConfig { chapters: 300 }
    }
}

/// Requests seen per (client key, chapter), for the transient failures.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attempts(Arc<Mutex<HashMap<(String, u64), u32>>>);

impl Attempts {
    fn count(&self, client: &str, chapter: u64) -> u32 {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = seen.entry((client.to_owned(), chapter)).or_default();
        *count += 1;
        *count
    }
}

#[derive(Deserialize)]
pub(crate) struct DataParam {
    data: String,
    track: Option<String>,
}

#[derive(Deserialize)]
struct CatalogRequest {
    book_id: String,
}

#[derive(Deserialize)]
struct ChapterRequest {
    book_id: String,
    cid: String,
}

/// `GET /api/pc/getCatalog?data={"book_id":"4306063500"}`.
pub(crate) fn catalog(config: NovelConfig, Query(param): Query<DataParam>) -> Response {
    let request: CatalogRequest = match serde_json::from_str(&param.data) {
        Ok(request) => request,
        Err(e) => return bad_request(&format!("data is not the expected JSON: {e}")),
    };
    if request.book_id != BOOK_ID {
        return not_found("no such book");
    }
    let items: Vec<Value> = (1..=config.chapters)
        .map(|n| json!({"cid": (FIRST_CID + n - 1).to_string(), "title": chapter_title(n), "price_status": "0"}))
        .collect();
    let body = json!({
        "status": 0,
        "info": "success",
        "data": {"novel": {"book_id": BOOK_ID, "title": "西游记", "author": "吴承恩", "items": items}},
    });
    json_response(StatusCode::OK, &body)
}

/// `GET /api/pc/getChapterContent?data={"book_id":…,"cid":"book|chapter","need_bookinfo":1}`.
pub(crate) async fn chapter(
    config: NovelConfig,
    attempts: Attempts,
    headers: HeaderMap,
    Query(param): Query<DataParam>,
) -> Response {
    let request: ChapterRequest = match serde_json::from_str(&param.data) {
        Ok(request) => request,
        Err(e) => return bad_request(&format!("data is not the expected JSON: {e}")),
    };
    let chapter = request
        .cid
        .split_once('|')
        .filter(|(book, _)| *book == request.book_id && request.book_id == BOOK_ID)
        .and_then(|(_, cid)| cid.parse::<u64>().ok())
        .and_then(|cid| cid.checked_sub(FIRST_CID))
        .map(|index| index + 1)
        .filter(|n| (1..=config.chapters).contains(n));
    let Some(n) = chapter else {
        return not_found("no such chapter");
    };
    if n % 20 == 19 {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    if n == BROKEN_CHAPTER {
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"status": 1, "info": "chapter unavailable"}),
        );
    }
    if TRANSIENT_CHAPTERS.contains(&n) {
        let client = headers
            .get("x-track")
            .and_then(|v| v.to_str().ok())
            .or(param.track.as_deref())
            .unwrap_or_default();
        if attempts.count(client, n) <= TRANSIENT_FAILURES {
            let mut response = json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"status": 1, "info": "busy, retry later"}),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
    }
    let body = json!({
        "status": 0,
        "info": "success",
        "data": {"novel": {"chapter_title": chapter_title(n), "content": chapter_text(n)}},
    });
    json_response(StatusCode::OK, &body)
}

fn chapter_title(n: u64) -> String {
    format!("第{n}回")
}

/// A deterministic chapter body of a few kilobytes.
fn chapter_text(n: u64) -> String {
    let line = format!("第{n}回：诗曰：混沌未分天地乱，茫茫渺渺无人见。");
    std::iter::repeat_n(line, 40).collect::<Vec<_>>().join("\n")
}

fn bad_request(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"status": 1, "info": message}))
}

fn not_found(message: &str) -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"status": 1, "info": message}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(config: NovelConfig, chapter_index: u64) -> StatusCode {
        let data = format!(
            r#"{{"book_id":"{BOOK_ID}","cid":"{BOOK_ID}|{}"}}"#,
            FIRST_CID + chapter_index
        );
        let query = Query(DataParam { data, track: None });
        let response = chapter(config, Attempts::default(), HeaderMap::new(), query);
        futures_util::FutureExt::now_or_never(response)
            .expect("no delay for these chapters")
            .status()
    }

    #[test]
    fn chapter_ids_round_trip() {
        let config = NovelConfig { chapters: 3 };
        assert_eq!(get(config, 2), StatusCode::OK);
        assert_eq!(get(config, 3), StatusCode::NOT_FOUND);
    }
}
