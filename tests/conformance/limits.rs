//! Limits on requests in flight, observed by the server.

use futures_util::StreamExt;
use unifetch::{Limits, Session};

use super::{Outcome, Site};

/// With `limit(2)`, ten requests run two at a time (seen by the server).
pub async fn limit_caps_requests_in_flight(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .limits(Limits::default().limit(2))
        .build()?;
    let key = site.track_key("limit");
    let requests = (0..10).map(|_| async {
        let response = session.get("/delay/0.3").query(&[("track", &key)]).send().await?;
        response.bytes().await
    });
    for result in futures_util::future::join_all(requests).await {
        result?;
    }
    let stats = site.stats(&key).await?;
    ensure!(stats.requests == 10, "server saw {} requests", stats.requests);
    ensure!(
        stats.max_in_flight == 2,
        "server saw {} in flight, limit is 2",
        stats.max_in_flight
    );
    Ok(())
}

/// With `limit_per_host(1)`, each host sees one request at a time while two
/// hosts are served together.
pub async fn limit_per_host_caps_each_host(site: &Site) -> Outcome {
    let session = Session::builder().limits(Limits::default().limit_per_host(1)).build()?;
    let key = site.track_key("per-host");
    let urls = [
        &site.base,
        &site.other_host,
        &site.base,
        &site.other_host,
        &site.base,
        &site.other_host,
    ];
    let (session, key) = (&session, &key);
    let requests = urls.iter().map(|base| async move {
        let response = session
            .get(format!("{base}/delay/0.5"))
            .query(&[("track", key)])
            .send()
            .await?;
        response.bytes().await
    });
    for result in futures_util::future::join_all(requests).await {
        result?;
    }
    let stats = site.stats(key).await?;
    ensure!(stats.hosts.len() == 2, "two hosts: {:?}", stats.hosts.keys());
    for (host, host_stats) in &stats.hosts {
        ensure!(host_stats.requests == 3, "{host}: {} requests", host_stats.requests);
        ensure!(
            host_stats.max_in_flight == 1,
            "{host}: {} in flight",
            host_stats.max_in_flight
        );
    }
    ensure!(stats.max_in_flight == 2, "both hosts at once: {}", stats.max_in_flight);
    Ok(())
}

/// A 16 MiB body arrives as a stream of many chunks, none held in full.
pub async fn large_body_streams_in_chunks(site: &Site) -> Outcome {
    let session = site.session()?;
    let size: usize = 16 * 1024 * 1024;
    let response = session
        .get(format!("/stream-bytes/{size}?chunk_size=65536&seed=1"))
        .send()
        .await?
        .error_for_status()?;
    let mut chunks = response.chunks();
    let (mut total, mut count, mut largest) = (0usize, 0usize, 0usize);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        total += chunk.len();
        count += 1;
        largest = largest.max(chunk.len());
    }
    ensure!(total == size, "received {total} of {size} bytes");
    ensure!(count >= 4, "only {count} chunks");
    ensure!(largest <= 4 * 1024 * 1024, "a chunk of {largest} bytes: not streaming");
    Ok(())
}
