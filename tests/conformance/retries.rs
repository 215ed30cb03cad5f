//! Retries: which failures are retried, how many times, after how long.

use std::time::Duration;

use unifetch::{Body, Method, Retry, Session, StatusCode, Timeout, TimeoutKind};

use super::{Failure, Outcome, Site};

/// A quick policy for tests: 3 attempts, 50 ms then 100 ms, no jitter.
fn quick() -> Retry {
    Retry::default().base_delay(Duration::from_millis(50)).jitter(false)
}

fn session(site: &Site, key: &str, retry: Retry) -> Result<Session, Failure> {
    Ok(Session::builder()
        .base_url(&site.base)?
        .header("X-Track", key)
        .retry(retry)
        .build()?)
}

/// A GET that fails twice with 503 succeeds on the third attempt; the
/// server saw exactly three requests, spaced by at least the backoff.
pub async fn retries_recover_from_transient_failures(site: &Site) -> Outcome {
    let key = site.track_key("retry-ok");
    let session = session(site, &key, quick())?;
    let response = session.get(format!("/flaky/2?id={key}")).send().await?;
    ensure!(response.status() == StatusCode::OK, "status {}", response.status());
    let stats = site.stats(&key).await?;
    ensure!(stats.requests == 3, "{} attempts", stats.requests);
    let gaps: Vec<u64> = stats.arrivals_ms.windows(2).map(|w| w[1] - w[0]).collect();
    ensure!(
        gaps[0] >= 40 && gaps[1] >= 90,
        "waits of {gaps:?} ms, expected ≥ 50 then ≥ 100"
    );
    Ok(())
}

/// After the last attempt the last response is returned as it is.
pub async fn retries_stop_at_the_attempt_limit(site: &Site) -> Outcome {
    let key = site.track_key("retry-limit");
    let session = session(site, &key, quick().max_attempts(2))?;
    let response = session.get(format!("/flaky/5?id={key}")).send().await?;
    ensure!(
        response.status() == StatusCode::SERVICE_UNAVAILABLE,
        "status {}",
        response.status()
    );
    ensure!(site.stats(&key).await?.requests == 2, "two attempts");
    Ok(())
}

/// POST is not retried unless the request asks for it.
pub async fn only_idempotent_methods_are_retried(site: &Site) -> Outcome {
    let key = site.track_key("retry-post");
    let session = session(site, &key, quick())?;
    let once = session.post(format!("/flaky/1?id={key}")).body("x").send().await?;
    ensure!(
        once.status() == StatusCode::SERVICE_UNAVAILABLE,
        "status {}",
        once.status()
    );
    ensure!(site.stats(&key).await?.requests == 1, "POST was retried");
    let asked = session
        .request(Method::POST, format!("/flaky/1?id={key}-asked"))
        .body("x")
        .retry(quick().any_method(true))
        .send()
        .await?;
    ensure!(
        asked.status() == StatusCode::OK,
        "an opted-in POST is retried: {}",
        asked.status()
    );
    Ok(())
}

/// `Retry-After` in seconds and as an HTTP-date sets the wait.
pub async fn retry_after_sets_the_wait(site: &Site) -> Outcome {
    for (variant, extra) in [("seconds", ""), ("date", "&date=true")] {
        let key = site.track_key(&format!("retry-after-{variant}"));
        let session = session(site, &key, quick())?;
        let response = session.get(format!("/retry-after/1?id={key}{extra}")).send().await?;
        ensure!(
            response.status() == StatusCode::OK,
            "{variant}: status {}",
            response.status()
        );
        let stats = site.stats(&key).await?;
        ensure!(stats.requests == 2, "{variant}: {} requests", stats.requests);
        let gap = stats.arrivals_ms[1] - stats.arrivals_ms[0];
        ensure!(gap >= 900, "{variant}: waited {gap} ms, Retry-After said 1 s");
    }
    Ok(())
}

/// A streamed body cannot be replayed: the failure is returned at once.
pub async fn a_streamed_body_is_never_retried(site: &Site) -> Outcome {
    let key = site.track_key("retry-stream");
    let session = session(site, &key, quick())?;
    let stream = futures_util::stream::iter(["a", "b"].map(Ok::<_, std::io::Error>));
    let response = session
        .put(format!("/flaky/1?id={key}"))
        .body(Body::wrap_stream(stream))
        .send()
        .await?;
    ensure!(
        response.status() == StatusCode::SERVICE_UNAVAILABLE,
        "status {}",
        response.status()
    );
    ensure!(site.stats(&key).await?.requests == 1, "a streamed body was sent twice");
    Ok(())
}

/// Connect errors are retried, and the final error keeps the earlier ones.
pub async fn failed_attempts_are_kept_in_the_error(site: &Site) -> Outcome {
    let session = Session::builder().retry(quick()).build()?;
    let error = match session.get(&site.closed).send().await {
        Ok(response) => return Err(Failure(format!("{} answered {}", site.closed, response.status()))),
        Err(error) => error,
    };
    ensure!(error.is_connect(), "{error}");
    ensure!(
        error.previous_attempts().len() == 2,
        "{} earlier attempts",
        error.previous_attempts().len()
    );
    ensure!(error.previous_attempts().iter().all(|e| e.is_connect()), "{error:?}");
    ensure!(error.to_string().contains("attempt 3"), "{error}");
    Ok(())
}

/// `total` covers every attempt and every wait.
pub async fn total_timeout_covers_all_attempts(site: &Site) -> Outcome {
    let key = site.track_key("retry-total");
    let session = Session::builder()
        .base_url(&site.base)?
        .retry(quick().max_attempts(10).base_delay(Duration::from_millis(400)))
        .timeout(Timeout::total(Duration::from_secs(1)))
        .build()?;
    let error = match session.get(format!("/flaky/10?id={key}")).send().await {
        Ok(response) => return Err(Failure(format!("answered {}", response.status()))),
        Err(error) => error,
    };
    ensure!(error.timeout_kind() == Some(TimeoutKind::Total), "{error}");
    Ok(())
}
