//! Redirects: the method and body rules, credentials across origins, the
//! policy (limit, none, loops) and the history.

use serde_json::Value;
use unifetch::redirect::Redirect;
use unifetch::{Session, StatusCode};

use super::{Outcome, Site};

fn redirect_to(site: &Site, target: &str, status: u16) -> String {
    let target: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
    format!("{}/redirect-to?url={target}&status_code={status}", site.base)
}

/// 301/302/303 turn POST into a GET without body; 307/308 keep both.
pub async fn redirects_follow_the_method_rules(site: &Site) -> Outcome {
    let session = Session::new();
    for status in [301u16, 302, 303] {
        let echo: Value = session
            .post(redirect_to(site, "/anything", status))
            .body("payload")
            .send()
            .await?
            .json()
            .await?;
        ensure!(echo["method"] == "GET", "{status}: {}", echo["method"]);
        ensure!(echo["data"] == "", "{status}: body kept: {}", echo["data"]);
    }
    for status in [307u16, 308] {
        let echo: Value = session
            .post(redirect_to(site, "/anything", status))
            .body("payload")
            .send()
            .await?
            .json()
            .await?;
        ensure!(echo["method"] == "POST", "{status}: {}", echo["method"]);
        ensure!(echo["data"] == "payload", "{status}: body lost: {}", echo["data"]);
    }
    Ok(())
}

/// `Authorization` goes along on the same origin, not to another one.
pub async fn credentials_stay_on_their_origin(site: &Site) -> Outcome {
    let session = Session::new();
    let same: Value = session
        .get(redirect_to(site, "/headers", 302))
        .bearer_auth("secret")
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        same["headers"]["Authorization"] == "Bearer secret",
        "{}",
        same["headers"]
    );
    let elsewhere = format!("{}/headers", site.other_host);
    let other: Value = session
        .get(redirect_to(site, &elsewhere, 302))
        .bearer_auth("secret")
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        other["headers"].get("Authorization").is_none(),
        "leaked: {}",
        other["headers"]
    );
    Ok(())
}

/// `Response::history` lists the URLs that redirected.
pub async fn redirect_history_lists_the_hops(site: &Site) -> Outcome {
    let response = Session::new().get(format!("{}/redirect/3", site.base)).send().await?;
    let hops: Vec<&str> = response.history().iter().map(|u| u.path()).collect();
    ensure!(
        hops == ["/redirect/3", "/relative-redirect/2", "/relative-redirect/1"],
        "{hops:?}"
    );
    ensure!(response.url().path() == "/get", "{}", response.url());
    Ok(())
}

/// Too many hops and loops are redirect errors.
pub async fn redirect_policy_limits_and_loops(site: &Site) -> Outcome {
    let limited = Session::builder().redirect(Redirect::limited(2)).build()?;
    let result = limited.get(format!("{}/redirect/5", site.base)).send().await;
    ensure!(
        matches!(&result, Err(e) if e.is_redirect()),
        "{:?}",
        result.map(|r| r.status())
    );

    let result = Session::new().get(format!("{}/redirect-loop", site.base)).send().await;
    ensure!(
        matches!(&result, Err(e) if e.is_redirect()),
        "loop: {:?}",
        result.map(|r| r.status())
    );
    Ok(())
}

/// `Redirect::none()` never follows: the 3xx comes back as it is, or, where
/// the platform hides redirect responses from scripts (browsers), the
/// request fails with an `is_redirect()` error.
pub async fn redirect_none_never_follows(site: &Site) -> Outcome {
    let key = site.track_key("redirect-none");
    let none = Session::builder()
        .redirect(Redirect::none())
        .header("X-Track", &key)
        .build()?;
    match none.get(format!("{}/redirect/1", site.base)).send().await {
        Ok(response) => {
            ensure!(response.status() == StatusCode::FOUND, "status {}", response.status());
            ensure!(response.headers().contains_key("location"), "the Location is there");
        }
        Err(error) => ensure!(error.is_redirect(), "{error}"),
    }
    let stats = site.stats(&key).await?;
    ensure!(
        !stats.paths.contains_key("/get"),
        "the redirect was followed: {:?}",
        stats.paths
    );
    Ok(())
}

/// A custom policy decides each hop.
pub async fn custom_redirect_policy_decides(site: &Site) -> Outcome {
    let policy = Redirect::custom(|attempt| {
        if attempt.url().path().ends_with("/1") {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let session = Session::builder().redirect(policy).build()?;
    let response = session.get(format!("{}/redirect/3", site.base)).send().await?;
    ensure!(
        response.status() == StatusCode::FOUND,
        "stopped before /relative-redirect/1: {}",
        response.status()
    );
    ensure!(response.url().path() == "/relative-redirect/2", "{}", response.url());
    Ok(())
}
