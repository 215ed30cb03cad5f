//! Bodies with a shape: `/delay`, `/bytes`, `/stream-bytes`, `/drip`,
//! `/gzip`, `/deflate`, `/brotli`, `/encoding/{charset}`, `/download/{n}`
//! and, the other way, `/upload`.

use std::io::Write;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use super::echo::{json_response, Echo};
use super::pyjson;

/// httpbin caps `/delay` at 10 seconds.
const MAX_DELAY: f64 = 10.0;

/// `/delay/{seconds}`: answers after the delay (fractions allowed, at most 10 s).
pub(crate) async fn delay(Path(seconds): Path<f64>, echo: Echo) -> Response {
    if !seconds.is_finite() || seconds < 0.0 {
        return StatusCode::BAD_REQUEST.into_response();
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds.min(MAX_DELAY))).await;
    let keys = ["url", "args", "form", "data", "origin", "headers", "files"];
    json_response(StatusCode::OK, &echo.dict(&keys))
}

#[derive(Deserialize)]
pub(crate) struct Seed {
    seed: Option<u64>,
    chunk_size: Option<usize>,
}

/// `/bytes/{n}`: `n` pseudo-random bytes (repeatable with `?seed=`), at most 100 KiB as in httpbin.
pub(crate) async fn bytes(Path(n): Path<usize>, Query(q): Query<Seed>) -> Response {
    let data = random_bytes(q.seed.unwrap_or(n as u64), n.min(100 * 1024));
    octet_stream(Body::from(data))
}

/// `/stream-bytes/{n}`: `n` bytes sent in chunks of `?chunk_size=` (default 10 KiB).
///
/// Unlike httpbin there is no 100 KiB cap, so multi-gigabyte downloads can
/// be tested; the data repeats a 64 KiB pseudo-random block.
pub(crate) async fn stream_bytes(Path(n): Path<u64>, Query(q): Query<Seed>) -> Response {
    let block = Bytes::from(random_bytes(q.seed.unwrap_or(n), 64 * 1024));
    let chunk = q.chunk_size.unwrap_or(10 * 1024).clamp(1, block.len()) as u64;
    let chunks = stream::unfold(0u64, move |sent| {
        let block = block.clone();
        async move {
            if sent >= n {
                return None;
            }
            let len = chunk.min(n - sent);
            let start = (sent % block.len() as u64) as usize;
            let end = (start + len as usize).min(block.len());
            let piece = block.slice(start..end);
            let next = sent + piece.len() as u64;
            Some((Ok::<_, std::io::Error>(piece), next))
        }
    });
    octet_stream(Body::from_stream(chunks))
}

#[derive(Deserialize)]
pub(crate) struct Drip {
    duration: Option<f64>,
    numbytes: Option<u64>,
    code: Option<u16>,
    delay: Option<f64>,
}

/// `/drip?duration=2&numbytes=10&code=200&delay=0`: `numbytes` asterisks
/// spread over `duration` seconds, after an initial `delay`.
pub(crate) async fn drip(Query(q): Query<Drip>) -> Response {
    let numbytes = q.numbytes.unwrap_or(10).min(10 * 1024 * 1024);
    let duration = q.duration.unwrap_or(2.0).max(0.0);
    let delay = q.delay.unwrap_or(0.0).clamp(0.0, MAX_DELAY);
    let Ok(code) = StatusCode::from_u16(q.code.unwrap_or(200)) else {
        return (StatusCode::BAD_REQUEST, "Invalid status code").into_response();
    };
    if numbytes == 0 {
        return (StatusCode::BAD_REQUEST, "number of bytes must be positive").into_response();
    }
    tokio::time::sleep(Duration::from_secs_f64(delay)).await;
    let pause = Duration::from_secs_f64(duration / numbytes as f64);
    let drops = stream::iter(0..numbytes).then(move |i| async move {
        if i > 0 {
            tokio::time::sleep(pause).await;
        }
        Ok::<_, std::io::Error>(Bytes::from_static(b"*"))
    });
    let mut response = octet_stream(Body::from_stream(drops));
    *response.status_mut() = code;
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(numbytes));
    response
}

/// `/zstd`: httpbin-style compressed JSON, with zstd.
pub(crate) async fn zstd(echo: Echo) -> Response {
    compressed(echo, "zstd", "zstd", |data| {
        Ok(ruzstd::encoding::compress_to_vec(
            data,
            ruzstd::encoding::CompressionLevel::Fastest,
        ))
    })
}

#[derive(Deserialize)]
pub(crate) struct BombQuery {
    mb: Option<u64>,
    /// `gzip` (the default), `br` or `zstd`.
    coding: Option<String>,
}

/// `/bomb?mb=64&coding=gzip|br|zstd`: a small compressed body that
/// inflates to `mb` MiB of zeros (at most 1024), to test body size limits.
/// It is one gzip member, brotli stream or zstd frame (browsers read no
/// further than the first), compressed as it is sent.
pub(crate) async fn bomb(Query(q): Query<BombQuery>) -> Response {
    let megabytes = q.mb.unwrap_or(64).min(1024);
    let coding: &'static str = match q.coding.as_deref().unwrap_or("gzip") {
        "gzip" => "gzip",
        "br" => "br",
        "zstd" => "zstd",
        other => {
            return (
                StatusCode::BAD_REQUEST,
                format!("no coding {other:?}: gzip, br or zstd"),
            )
                .into_response()
        }
    };
    let (sender, chunks) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = compress_zeros(coding, megabytes, ChannelWriter(sender.clone())) {
            let _ = sender.blocking_send(Err(e));
        }
    });
    let body = stream::unfold(chunks, |mut chunks| async move {
        chunks.recv().await.map(|chunk| (chunk, chunks))
    });
    let mut response = octet_stream(Body::from_stream(body));
    response
        .headers_mut()
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    response
}

/// Writes `megabytes` MiB of zeros compressed with `coding` to `out`,
/// flushing each MiB so that the body flows while it is made.
fn compress_zeros(coding: &str, megabytes: u64, mut out: ChannelWriter) -> std::io::Result<()> {
    let zeros = [0u8; 1 << 20];
    match coding {
        "zstd" => {
            let source = std::io::Read::take(std::io::repeat(0), megabytes << 20);
            ruzstd::encoding::compress(source, out, ruzstd::encoding::CompressionLevel::Fastest);
            Ok(())
        }
        "br" => {
            let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
            for _ in 0..megabytes {
                encoder.write_all(&zeros)?;
                encoder.flush()?;
            }
            Ok(())
        }
        _ => {
            let mut encoder = flate2::write::GzEncoder::new(&mut out, flate2::Compression::best());
            for _ in 0..megabytes {
                encoder.write_all(&zeros)?;
                encoder.flush()?;
            }
            encoder.finish().map(drop)
        }
    }
}

/// Sends what is written to a response body's channel; a client that
/// went away ends the writing.
struct ChannelWriter(tokio::sync::mpsc::Sender<std::io::Result<Bytes>>);

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(bytes)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `/gzip`, `/deflate`, `/brotli`: httpbin's compressed JSON.
pub(crate) async fn gzip(echo: Echo) -> Response {
    compressed(echo, "gzipped", "gzip", |data| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).and_then(|_| encoder.finish())
    })
}

pub(crate) async fn deflate(echo: Echo) -> Response {
    compressed(echo, "deflated", "deflate", |data| {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).and_then(|_| encoder.finish())
    })
}

pub(crate) async fn brotli(echo: Echo) -> Response {
    compressed(echo, "brotli", "br", |data| {
        let mut out = Vec::new();
        let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        encoder.write_all(data)?;
        drop(encoder);
        Ok(out)
    })
}

fn compressed(
    echo: Echo,
    flag: &str,
    encoding: &'static str,
    compress: impl FnOnce(&[u8]) -> std::io::Result<Vec<u8>>,
) -> Response {
    let mut value = echo.dict(&["origin", "headers", "method"]);
    if let Value::Object(map) = &mut value {
        map.insert(flag.to_owned(), Value::Bool(true));
    }
    let Ok(body) = compress(pyjson::to_string(&value).as_bytes()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = json_response(StatusCode::OK, &Value::Null);
    *response.body_mut() = Body::from(body);
    response
        .headers_mut()
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    response
}

#[derive(Deserialize)]
pub(crate) struct EncodingQuery {
    text: Option<String>,
    declare: Option<bool>,
    /// Starts the body with the encoding's byte-order mark (UTF-8, UTF-16).
    bom: Option<bool>,
    /// Announces this charset instead (a server that lies).
    declare_as: Option<String>,
}

/// Sample texts, tried in order until one fits the charset.
const SAMPLES: [&str; 5] = [
    "Grüße, café — 钢铁知识库 ✓",
    "钢铁知识库：西游记",
    "こんにちは、世界",
    "Привет, мир",
    "Grüße, café",
];

/// `/encoding/{charset}`: text encoded in `charset` (any WHATWG label),
/// announced in `Content-Type` unless `?declare=false` (or as another
/// charset with `?declare_as=`). `?text=` picks the text; `?bom=true` puts
/// the byte-order mark of UTF-8 or UTF-16 first.
pub(crate) async fn encoding(Path(label): Path<String>, Query(q): Query<EncodingQuery>) -> Response {
    let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) else {
        return (StatusCode::NOT_FOUND, format!("unknown charset {label:?}")).into_response();
    };
    let candidates: Vec<&str> = match &q.text {
        Some(text) => vec![text.as_str()],
        None => SAMPLES.to_vec(),
    };
    let Some(mut bytes) = candidates.iter().find_map(|text| encode(encoding, text)) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the text cannot be written in {label}"),
        )
            .into_response();
    };
    if q.bom == Some(true) {
        let mark: &[u8] = match encoding.name() {
            "UTF-8" => b"\xEF\xBB\xBF",
            "UTF-16LE" => b"\xFF\xFE",
            "UTF-16BE" => b"\xFE\xFF",
            _ => b"",
        };
        bytes.splice(0..0, mark.iter().copied());
    }
    let content_type = match (q.declare, &q.declare_as) {
        (Some(false), _) => "text/plain".to_owned(),
        (_, Some(other)) => format!("text/plain; charset={other}"),
        _ => format!("text/plain; charset={label}"),
    };
    let mut response = Body::from(bytes).into_response();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// `text` in `encoding`, or `None` if a character does not exist there.
fn encode(encoding: &'static encoding_rs::Encoding, text: &str) -> Option<Vec<u8>> {
    if encoding == encoding_rs::UTF_16LE {
        return Some(text.encode_utf16().flat_map(u16::to_le_bytes).collect());
    }
    if encoding == encoding_rs::UTF_16BE {
        return Some(text.encode_utf16().flat_map(u16::to_be_bytes).collect());
    }
    let (bytes, used, unmappable) = encoding.encode(text);
    (used == encoding && !unmappable).then(|| bytes.into_owned())
}

fn octet_stream(body: Body) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
}

/// xorshift64*: repeatable bytes from a seed, no extra dependency.
pub(crate) fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_fall_back_to_what_the_charset_can_hold() {
        let latin1 = encoding_rs::Encoding::for_label(b"iso-8859-1").unwrap();
        let first = SAMPLES.iter().find_map(|t| encode(latin1, t)).unwrap();
        assert_eq!(latin1.decode(&first).0, "Grüße, café");
        let gbk = encoding_rs::Encoding::for_label(b"gbk").unwrap();
        let chinese = SAMPLES.iter().find_map(|t| encode(gbk, t)).unwrap();
        assert_eq!(gbk.decode(&chinese).0, "钢铁知识库：西游记");
    }

    #[test]
    fn random_bytes_repeat_for_a_seed() {
        assert_eq!(random_bytes(7, 100), random_bytes(7, 100));
        assert_ne!(random_bytes(7, 100), random_bytes(8, 100));
    }
}

#[derive(Deserialize)]
pub(crate) struct DownloadQuery {
    /// The file name to offer in `Content-Disposition`.
    name: Option<String>,
    /// `no`: ignore `Range` and always send everything; `wrong`: answer a
    /// range with a 206 from half the byte asked for (a server that lies).
    ranges: Option<String>,
}

/// The byte at `offset` of every `/download` body: a pattern no two
/// nearby offsets share, so that a misplaced byte shows.
fn download_byte(offset: u64) -> u8 {
    (offset.wrapping_mul(31) ^ (offset >> 8)) as u8
}

/// `/download/{n}?name=F&ranges=no|wrong`: `n` bytes (at most 256 MiB)
/// of a fixed pattern, offered as the file `F`; `Range: bytes=START-` gets
/// a 206 from `START` (a 416 from the end on) unless `ranges=no`.
pub(crate) async fn download(
    Path(length): Path<u64>,
    Query(q): Query<DownloadQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let length = length.min(256 << 20);
    let ranges = q.ranges.as_deref() != Some("no");
    let asked = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.strip_suffix('-'))
        .and_then(|value| value.parse::<u64>().ok())
        .filter(|_| ranges);
    if asked.is_some_and(|start| start >= length) {
        let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
        return response;
    }
    let start = asked.map(|start| {
        if q.ranges.as_deref() == Some("wrong") {
            start / 2
        } else {
            start
        }
    });
    let from = start.unwrap_or(0);
    let chunks = stream::iter((from..length).step_by(64 << 10).map(move |chunk_start| {
        let end = (chunk_start + (64 << 10)).min(length);
        Ok::<_, std::io::Error>(Bytes::from((chunk_start..end).map(download_byte).collect::<Vec<u8>>()))
    }));
    let mut response = Body::from_stream(chunks).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&(length - from).to_string()) {
        response_headers.insert(header::CONTENT_LENGTH, value);
    }
    if ranges {
        response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    if let Some(name) = &q.name {
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            response_headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    if start.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(value) = HeaderValue::from_str(&format!("bytes {from}-{}/{length}", length - 1)) {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
    }
    response
}

/// `/upload`: reads a request body of any size as it comes, without
/// keeping it, and answers how it came: its `Content-Length` or
/// `Transfer-Encoding`, how many bytes, and whether they are the
/// `/download/{n}` pattern from its start. A multipart body is reported
/// part by part (each part's bytes checked from its own start).
pub(crate) async fn upload(headers: axum::http::HeaderMap, body: Body) -> Response {
    let header_text = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
    let framing = serde_json::json!({
        "content_length": header_text(header::CONTENT_LENGTH),
        "transfer_encoding": header_text(header::TRANSFER_ENCODING),
    });
    let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default().to_owned();
    let chunks = body.into_data_stream();
    let outcome = match multer::parse_boundary(&content_type) {
        Ok(boundary) => upload_parts(multer::Multipart::new(chunks, boundary)).await,
        Err(_) => upload_whole(chunks).await,
    };
    match outcome {
        Ok(mut report) => {
            report["request"] = framing;
            json_response(StatusCode::OK, &report)
        }
        Err(message) => json_response(StatusCode::BAD_REQUEST, &serde_json::json!({"error": message})),
    }
}

/// Counts bytes and checks them against the download pattern.
struct PatternCheck {
    bytes: u64,
    matches: bool,
}

impl PatternCheck {
    fn new() -> PatternCheck {
        PatternCheck {
            bytes: 0,
            matches: true,
        }
    }

    fn add(&mut self, chunk: &[u8]) {
        let start = self.bytes;
        self.matches = self.matches
            && chunk
                .iter()
                .zip(start..)
                .all(|(byte, offset)| *byte == download_byte(offset));
        self.bytes += chunk.len() as u64;
    }

    fn report(&self) -> Value {
        serde_json::json!({"bytes": self.bytes, "pattern": self.matches})
    }
}

async fn upload_whole(
    mut chunks: impl futures_util::Stream<Item = Result<Bytes, axum::Error>> + Unpin,
) -> Result<Value, String> {
    let mut check = PatternCheck::new();
    while let Some(chunk) = chunks.next().await {
        check.add(&chunk.map_err(|e| e.to_string())?);
    }
    Ok(check.report())
}

async fn upload_parts(mut multipart: multer::Multipart<'_>) -> Result<Value, String> {
    let mut parts = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let mut part = serde_json::json!({"name": field.name(), "filename": field.file_name()});
        let mut check = PatternCheck::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
            check.add(&chunk);
        }
        part["bytes"] = check.bytes.into();
        part["pattern"] = check.matches.into();
        parts.push(part);
    }
    Ok(serde_json::json!({ "parts": parts }))
}
