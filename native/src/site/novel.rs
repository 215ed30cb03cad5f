//! The seed guide's crawler API: a novel's catalog and its chapters, shaped
//! like the `dushu.baidu.com` JSON API the guide crawls
//! (`/api/pc/getCatalog?data={"book_id":…}` and
//! `/api/pc/getChapterContent?data={"book_id":…,"cid":"book|chapter",…}`).

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::echo::json_response;

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
        NovelConfig { chapters: 100 }
    }
}

#[derive(Deserialize)]
pub(crate) struct DataParam {
    data: String,
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
pub(crate) fn chapter(config: NovelConfig, Query(param): Query<DataParam>) -> Response {
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
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"status": 1, "info": message}),
    )
}

fn not_found(message: &str) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"status": 1, "info": message}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapter_ids_round_trip() {
        let config = NovelConfig { chapters: 3 };
        let data = format!(
            r#"{{"book_id":"{BOOK_ID}","cid":"{BOOK_ID}|{}"}}"#,
            FIRST_CID + 2
        );
        let response = chapter(config, Query(DataParam { data }));
        assert_eq!(response.status(), StatusCode::OK);
        let data = format!(
            r#"{{"book_id":"{BOOK_ID}","cid":"{BOOK_ID}|{}"}}"#,
            FIRST_CID + 3
        );
        assert_eq!(
            chapter(config, Query(DataParam { data })).status(),
            StatusCode::NOT_FOUND
        );
    }
}
