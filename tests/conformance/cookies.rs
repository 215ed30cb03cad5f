//! Cookies and credentials: the session's jar, per-request cookies, auth.

use serde_json::Value;
use unifetch::Session;

use super::{Outcome, Site};

/// A session with a jar keeps the cookies servers set and sends them back.
pub async fn the_cookie_jar_keeps_cookies(site: &Site) -> Outcome {
    let session = Session::builder().base_url(&site.base)?.cookie_store(true).build()?;
    let after_set: Value = session
        .get("/cookies/set?flavour=oat&size=2")
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        after_set["cookies"]["flavour"] == "oat",
        "after the redirect: {after_set}"
    );
    let later: Value = session.get("/cookies").send().await?.json().await?;
    ensure!(later["cookies"]["size"] == "2", "a later request: {later}");
    let deleted: Value = session.get("/cookies/delete?size").send().await?.json().await?;
    ensure!(deleted["cookies"].get("size").is_none(), "deleted: {deleted}");
    ensure!(deleted["cookies"]["flavour"] == "oat", "the other stays: {deleted}");

    let without_jar = Session::builder().base_url(&site.base)?.build()?;
    let _ = without_jar.get("/cookies/set?flavour=oat").send().await?;
    let none: Value = without_jar.get("/cookies").send().await?.json().await?;
    ensure!(none["cookies"] == serde_json::json!({}), "no jar, no cookies: {none}");
    Ok(())
}

/// `.cookie(name, value)` sends a cookie with one request.
pub async fn per_request_cookies_are_sent(site: &Site) -> Outcome {
    let session = Session::builder().base_url(&site.base)?.build()?;
    let echo: Value = session
        .get("/cookies")
        .cookie("theme", "dark")
        .cookie("lang", "zh")
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        echo["cookies"] == serde_json::json!({"theme": "dark", "lang": "zh"}),
        "{echo}"
    );
    Ok(())
}

/// Basic and bearer credentials.
pub async fn basic_and_bearer_auth(site: &Site) -> Outcome {
    let session = Session::builder().base_url(&site.base)?.build()?;
    let ok = session
        .get("/basic-auth/ann/s3cret")
        .basic_auth("ann", Some("s3cret"))
        .send()
        .await?;
    ensure!(ok.status() == 200, "basic: {}", ok.status());
    let wrong = session
        .get("/basic-auth/ann/s3cret")
        .basic_auth("ann", Some("nope"))
        .send()
        .await?;
    ensure!(wrong.status() == 401, "wrong password: {}", wrong.status());
    let bearer: Value = session.get("/bearer").bearer_auth("t0ken").send().await?.json().await?;
    ensure!(bearer["token"] == "t0ken", "{bearer}");
    Ok(())
}
