//! Hooks: where they run, in which order, and what their answers do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use unifetch::hooks::{BeforeRequest, Hooks, RetryDecision};
use unifetch::retry::RetryEvent;
use unifetch::{Body, Limits, Request, Response, Retry, Session, StatusCode, Timeout};

use super::{Outcome, Site};

/// The names hooks write down as they run.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: impl Into<String>) {
        self.0.lock().unwrap().push(entry.into());
    }

    fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn quick() -> Retry {
    Retry::default().base_delay(Duration::from_millis(20)).jitter(false)
}

/// The session's hooks run before the request's, each before_request on
/// the previous one's request; the server gets what they made of it.
pub async fn hooks_run_in_order_and_may_change_the_request(site: &Site) -> Outcome {
    let log = Log::default();
    let (first, second, third) = (log.clone(), log.clone(), log.clone());
    let session = Session::builder()
        .base_url(&site.base)?
        .hooks(Hooks::new().before_request(move |mut request: Request| {
            first.push("session before_request");
            request.headers_mut().insert("x-hook", "session".parse().unwrap());
            async move { Ok(BeforeRequest::Send(request)) }
        }))
        .build()?;
    let request_hooks = Hooks::new()
        .before_request(move |mut request: Request| {
            let seen = request.headers().get("x-hook").cloned();
            second.push(format!("request before_request saw {seen:?}"));
            request.url_mut().query_pairs_mut().append_pair("added", "yes");
            async move { Ok(BeforeRequest::Send(request)) }
        })
        .after_response(move |response: Response| {
            third.push(format!("after_response {}", response.status()));
            async move { Ok(response) }
        });
    let echo: serde_json::Value = session.get("/get").hooks(request_hooks).send().await?.json().await?;
    ensure!(
        echo["headers"]["X-Hook"] == "session",
        "headers sent: {}",
        echo["headers"]
    );
    ensure!(echo["args"]["added"] == "yes", "query sent: {}", echo["args"]);
    let expected = [
        "session before_request",
        "request before_request saw Some(\"session\")",
        "after_response 200 OK",
    ];
    ensure!(log.entries() == expected, "hooks ran as {:?}", log.entries());
    Ok(())
}

/// A before_request hook that answers skips the network; after_response
/// hooks see the answer, which is what the caller gets.
pub async fn a_before_request_hook_may_answer(site: &Site) -> Outcome {
    let key = site.track_key("hook-answer");
    let log = Log::default();
    let seen = log.clone();
    let hooks = Hooks::new()
        .before_request(|request: Request| async move {
            let made = http::Response::builder()
                .status(203)
                .header("x-from", "hook")
                .body(Body::from("cached"))
                .expect("a valid response");
            Ok(BeforeRequest::Respond(Response::from_http(made, request.url().clone())))
        })
        .after_response(move |response: Response| {
            seen.push(format!("after_response {}", response.status().as_u16()));
            async move { Ok(response) }
        });
    let session = site.tracked_session(&key)?;
    let response = session.get("/get").hooks(hooks).send().await?;
    ensure!(response.status().as_u16() == 203, "status {}", response.status());
    ensure!(
        response.headers()["x-from"] == "hook",
        "headers {:?}",
        response.headers()
    );
    ensure!(response.text().await? == "cached", "body");
    ensure!(
        log.entries() == ["after_response 203"],
        "after_response saw {:?}",
        log.entries()
    );
    only_the_request_without_hooks_arrived(site, &session, &key).await
}

/// after_response sees each attempt before the retry policy does: turning
/// a 503 into a 200 means no retry.
pub async fn after_response_comes_before_the_retry_policy(site: &Site) -> Outcome {
    let key = site.track_key("hook-after");
    let hooks = Hooks::new().after_response(|response: Response| async move {
        if response.status() != StatusCode::SERVICE_UNAVAILABLE {
            return Ok(response);
        }
        let made = http::Response::builder()
            .status(200)
            .body(Body::from("replaced"))
            .expect("valid");
        Ok(Response::from_http(made, response.url().clone()))
    });
    let session = Session::builder()
        .base_url(&site.base)?
        .header("X-Track", &key)
        .retry(quick())
        .hooks(hooks)
        .build()?;
    let response = session.get(format!("/flaky/1?id={key}")).send().await?;
    ensure!(response.status() == StatusCode::OK, "status {}", response.status());
    ensure!(response.text().await? == "replaced", "the hook's body");
    ensure!(site.stats(&key).await?.requests == 1, "retried after the hook's 200");
    Ok(())
}

/// before_retry hears of each retry (attempt, reason) after the wait, and
/// may stop them: the last failure stands, its body still readable.
pub async fn before_retry_may_stop_the_retries(site: &Site) -> Outcome {
    let key = site.track_key("hook-retry");
    let log = Log::default();
    let heard = log.clone();
    let hooks = Hooks::new().before_retry(move |event: &RetryEvent<'_>| {
        heard.push(format!("attempt {} failed: {}", event.attempt(), event.reason()));
        let decision = if event.attempt() >= 2 {
            RetryDecision::Stop
        } else {
            RetryDecision::Retry
        };
        async move { Ok(decision) }
    });
    let session = Session::builder()
        .base_url(&site.base)?
        .header("X-Track", &key)
        .retry(quick().max_attempts(5))
        .limits(Limits::default().limit(1))
        .hooks(hooks)
        .build()?;
    let response = session.get(format!("/flaky/9?id={key}")).send().await?;
    ensure!(
        response.status() == StatusCode::SERVICE_UNAVAILABLE,
        "status {}",
        response.status()
    );
    let body: serde_json::Value = response.json().await?;
    ensure!(body["attempt"] == 2, "the last attempt's body: {body}");
    ensure!(
        site.stats(&key).await?.requests == 2,
        "{} attempts",
        site.stats(&key).await?.requests
    );
    let expected = [
        "attempt 1 failed: HTTP 503 Service Unavailable",
        "attempt 2 failed: HTTP 503 Service Unavailable",
    ];
    ensure!(log.entries() == expected, "before_retry heard {:?}", log.entries());
    Ok(())
}

/// before_error sees the error the caller is about to get, once.
pub async fn before_error_sees_the_final_error(site: &Site) -> Outcome {
    let log = Log::default();
    let heard = log.clone();
    let hooks = Hooks::new().before_error(move |error: unifetch::Error| {
        heard.push(format!("connect={}", error.is_connect()));
        async move { error }
    });
    let session = Session::builder().retry(Retry::none()).hooks(hooks).build()?;
    let error = match session.get(&site.closed).send().await {
        Ok(response) => return Err(super::Failure(format!("got {}", response.status()))),
        Err(error) => error,
    };
    ensure!(error.is_connect(), "a connect error: {error:#}");
    ensure!(
        log.entries() == ["connect=true"],
        "before_error ran as {:?}",
        log.entries()
    );
    Ok(())
}

/// A buffered response holds no limit slot: with `limit(1)` the next
/// request goes through while it is kept unread.
pub async fn a_buffered_response_frees_its_slot(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .limits(Limits::default().limit(1))
        .timeout(Timeout::total(Duration::from_secs(5)))
        .build()?;
    let kept = session.get("/bytes/1000").send().await?.buffered().await?;
    let next = session.get("/get").send().await?;
    ensure!(next.status() == StatusCode::OK, "status {}", next.status());
    ensure!(kept.bytes().await?.len() == 1000, "the kept body");
    Ok(())
}

/// A hook that fails ends the exchange with its own error (a `hook` error
/// with its message), and nothing is sent.
pub async fn a_failing_hook_ends_the_exchange(site: &Site) -> Outcome {
    let key = site.track_key("hook-fails");
    let hooks =
        Hooks::new().before_request(|_: Request| async { Err(unifetch::Error::hook("no token for this host")) });
    let session = site.tracked_session(&key)?;
    let error = match session.get("/get").hooks(hooks).send().await {
        Ok(response) => return Err(super::Failure(format!("got {}", response.status()))),
        Err(error) => error,
    };
    ensure!(
        error.is_hook() && error.kind_name() == "hook",
        "a hook error: {error:#}"
    );
    ensure!(
        format!("{error:#}").contains("hook failed") && format!("{error:#}").contains("no token for this host"),
        "the message: {error:#}"
    );
    only_the_request_without_hooks_arrived(site, &session, &key).await
}

/// Sends one request without hooks on `session` (tracked under `key`) and
/// checks that it is the only one the server saw: the hooked ones never left.
async fn only_the_request_without_hooks_arrived(site: &Site, session: &Session, key: &str) -> Outcome {
    session.get("/get").send().await?.bytes().await?;
    let asked = site.stats(key).await?.requests;
    ensure!(
        asked == 1,
        "the server saw {asked} requests, only the one without the hook"
    );
    Ok(())
}
