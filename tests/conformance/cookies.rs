//! Cookies and credentials: the session's jar, per-request cookies, auth.

use serde_json::Value;
use unifetch::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use unifetch::{HeaderMap, Session};

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

/// Credentials are marked sensitive wherever they come from (a header map
/// given to the session or the request, a response's `Set-Cookie`), so
/// that `Debug` never shows them.
pub async fn credentials_never_show_in_debug(site: &Site) -> Outcome {
    let mut defaults = HeaderMap::new();
    defaults.insert(PROXY_AUTHORIZATION, "Basic session-secret".parse()?);
    let session = Session::builder().base_url(&site.base)?.headers(defaults).build()?;
    let mut own = HeaderMap::new();
    own.insert(AUTHORIZATION, "Bearer map-secret".parse()?);
    own.insert(COOKIE, "id=cookie-secret".parse()?);
    let request = session.get("/headers").headers(own.clone()).build()?;
    let shown = format!("{request:?}");
    ensure!(!shown.contains("secret") && shown.contains("authorization"), "{shown}");

    let response = session
        .get("/response-headers?Set-Cookie=token%3Dtok3n&X-Seen=yes")
        .headers(own)
        .send()
        .await?;
    let shown = format!("{response:?}");
    ensure!(shown.contains("x-seen"), "the response's headers show: {shown}");
    // (Browsers never show `Set-Cookie` to scripts at all.)
    ensure!(!shown.contains("token=tok3n"), "{shown}");
    Ok(())
}
