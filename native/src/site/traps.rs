//! Crawler traps: pages that never run out (a calendar of months), a
//! redirect chain that never ends, a 50 MB "HTML" page, binary bytes
//! labelled `text/html`. A crawler must end on them, in bounded memory,
//! with a record per page saying what happened.

use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use serde::Deserialize;

/// `/trap/`: links to every trap and to one ordinary page.
pub(crate) async fn index() -> Html<&'static str> {
    Html(
        "<!doctype html><title>traps</title>\
         <a href='calendar/2026/1'>calendar</a> <a href='redirects/0'>redirects</a> \
         <a href='huge.html'>huge</a> <a href='binary.html'>binary</a> <a href='ok'>ok</a>",
    )
}

/// `/trap/ok`: an ordinary page.
pub(crate) async fn ok() -> Html<&'static str> {
    Html("<!doctype html><title>ok</title><p>nothing to see</p>")
}

/// `/trap/calendar/{year}/{month}`: a month linking to the one before and
/// the one after, for ever.
pub(crate) async fn calendar(Path((year, month)): Path<(i64, u32)>) -> Response {
    if !(1..=12).contains(&month) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (prev_year, prev_month) = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    Html(format!(
        "<!doctype html><title>{year}-{month:02}</title>\
         <a href='/trap/calendar/{prev_year}/{prev_month}'>previous</a> \
         <a href='/trap/calendar/{next_year}/{next_month}'>next</a>"
    ))
    .into_response()
}

/// `/trap/redirects/{n}`: a 302 to `n + 1`, for ever.
pub(crate) async fn redirects(Path(n): Path<u64>) -> Response {
    let next = format!("/trap/redirects/{}", n.saturating_add(1));
    (StatusCode::FOUND, [(LOCATION, next)]).into_response()
}

#[derive(Deserialize)]
pub(crate) struct Size {
    mb: Option<usize>,
}

/// `/trap/huge.html?mb=N`: N MB (default 50) of paragraphs, streamed.
pub(crate) async fn huge(Query(size): Query<Size>) -> Response {
    let chunk = Bytes::from("<p>all work and no play makes a dull crawler</p>\n".repeat(20_000));
    let chunks = (size.mb.unwrap_or(50).min(1024) << 20) / chunk.len() + 1;
    let body = stream::iter((0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    ([(CONTENT_TYPE, "text/html")], Body::from_stream(body)).into_response()
}

/// `/trap/binary.html`: 256 KiB of pseudo-random bytes labelled HTML.
pub(crate) async fn binary() -> Response {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..256 << 10)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    ([(CONTENT_TYPE, "text/html; charset=utf-8")], bytes).into_response()
}
