//! Compressed bodies and body size limits.

use futures_util::StreamExt;
use serde_json::Value;
use unifetch::Session;

use super::{Failure, Outcome, Site};

/// gzip, deflate and brotli bodies arrive decoded.
pub async fn compressed_bodies_are_decoded(site: &Site) -> Outcome {
    let session = Session::builder().base_url(&site.base)?.build()?;
    for (path, flag) in [("/gzip", "gzipped"), ("/deflate", "deflated"), ("/brotli", "brotli")] {
        let response = session.get(path).send().await?;
        ensure!(
            !response.headers().contains_key("content-encoding") || response.status() == 200,
            "{path}"
        );
        let body: Value = response.json().await?;
        ensure!(body[flag] == true, "{path}: {body}");
    }
    Ok(())
}

/// zstd bodies arrive decoded.
pub async fn zstd_bodies_are_decoded(site: &Site) -> Outcome {
    let body: Value = Session::new()
        .get(format!("{}/zstd", site.base))
        .send()
        .await?
        .json()
        .await?;
    ensure!(body["zstd"] == true, "{body}");
    Ok(())
}

/// With decompression off, the compressed bytes and their header come through.
pub async fn decompression_can_be_turned_off(site: &Site) -> Outcome {
    let session = Session::builder().base_url(&site.base)?.decompress(false).build()?;
    let response = session.get("/gzip").send().await?;
    ensure!(
        response.headers()["content-encoding"] == "gzip",
        "{:?}",
        response.headers()
    );
    let bytes = response.bytes().await?;
    ensure!(
        bytes.starts_with(&[0x1f, 0x8b]),
        "gzip magic: {:02x?}",
        &bytes[..bytes.len().min(4)]
    );
    Ok(())
}

/// A body larger than the limit, plain or a decompression bomb, is a body
/// error, not a full memory.
pub async fn body_size_is_limited(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .max_body_size(1 << 20)
        .build()?;
    let small = session.get("/bytes/1000").send().await?.bytes().await?;
    ensure!(small.len() == 1000, "under the limit");
    for path in ["/stream-bytes/5000000", "/bomb?mb=64"] {
        match session.get(path).send().await?.bytes().await {
            Ok(bytes) => return Err(Failure(format!("{path}: {} bytes read past the limit", bytes.len()))),
            Err(error) => {
                ensure!(error.is_body(), "{path}: {error}");
                ensure!(error.to_string().contains("limit"), "{path}: {error}");
            }
        }
    }
    // A limit that was set bounds a stream too.
    let mut chunks = session.get("/stream-bytes/5000000").send().await?.chunks();
    let mut streamed = 0;
    let failed = loop {
        match chunks.next().await {
            Some(Ok(chunk)) => streamed += chunk.len(),
            Some(Err(error)) => break error,
            None => return Err(Failure(format!("streamed {streamed} bytes past the limit"))),
        }
    };
    ensure!(
        failed.is_body() && streamed <= 1 << 20,
        "{streamed} bytes, then {failed}"
    );
    let per_request = session
        .get("/bytes/1000")
        .max_body_size(100)
        .send()
        .await?
        .bytes()
        .await;
    ensure!(
        matches!(&per_request, Err(e) if e.is_body()),
        "per-request limit: {per_request:?}"
    );
    Ok(())
}
