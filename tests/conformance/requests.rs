//! Requests and responses: methods, parameters, bodies, headers, text, errors.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use unifetch::{Limits, Method, Session, StatusCode, Timeout};

use super::{Failure, Outcome, Site};

/// Five 1 s requests through one session run together: the server sees all
/// five in flight at once, and the batch takes about 1 s, not 5.
pub async fn concurrent_requests_overlap(site: &Site) -> Outcome {
    let session = site.session()?;
    let key = site.track_key("overlap");
    let started = web_time::Instant::now();
    let requests = (0..5).map(|_| session.get("/delay/1").query(&[("track", &key)]).send());
    for response in futures_util::future::join_all(requests).await {
        ensure!(response?.status() == StatusCode::OK, "status");
    }
    let elapsed = started.elapsed();
    let stats = site.stats(&key).await?;
    ensure!(
        stats.max_in_flight == 5,
        "server saw at most {} in flight",
        stats.max_in_flight
    );
    ensure!(
        elapsed < Duration::from_secs(4),
        "5 × 1 s took {elapsed:?}: not concurrent"
    );
    Ok(())
}

#[derive(Serialize)]
struct Person<'a> {
    name: &'a str,
    age: u32,
}

/// Query parameters from pairs, a map and a struct, non-ASCII included.
pub async fn query_params_are_percent_encoded(site: &Site) -> Outcome {
    let session = site.session()?;
    let pairs = [("name", "钢铁知识库"), ("age", "23")];
    let map: BTreeMap<&str, &str> = pairs.into_iter().collect();
    let person = Person {
        name: "钢铁知识库",
        age: 23,
    };
    let by_pairs: Value = session.get("/get").query(&pairs).send().await?.json().await?;
    let by_map: Value = session.get("/get").query(&map).send().await?.json().await?;
    let by_struct: Value = session.get("/get?x=1").query(&person).send().await?.json().await?;
    for echo in [&by_pairs, &by_map, &by_struct] {
        ensure!(echo["args"]["name"] == "钢铁知识库", "args: {}", echo["args"]);
        ensure!(echo["args"]["age"] == "23", "args: {}", echo["args"]);
        let url = echo["url"].as_str().unwrap_or_default();
        ensure!(
            url.contains("name=%E9%92%A2%E9%93%81%E7%9F%A5%E8%AF%86%E5%BA%93"),
            "url {url}"
        );
    }
    ensure!(
        by_struct["args"]["x"] == "1",
        "an existing query is kept: {}",
        by_struct["args"]
    );
    Ok(())
}

/// GET, POST, PUT, DELETE, HEAD, OPTIONS and PATCH reach the server as such,
/// with their bytes bodies.
pub async fn every_method_is_sent_with_its_body(site: &Site) -> Outcome {
    let session = site.session()?;
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let body = format!("{method} body");
        let echo: Value = session
            .request(method.clone(), "/anything")
            .body(body.clone().into_bytes())
            .send()
            .await?
            .json()
            .await?;
        ensure!(echo["method"] == method.as_str(), "method echoed as {}", echo["method"]);
        ensure!(
            echo["data"] == body.as_str(),
            "{method} data echoed as {}",
            echo["data"]
        );
    }
    let echo: Value = session.get("/anything").send().await?.json().await?;
    ensure!(echo["method"] == "GET", "GET echoed as {}", echo["method"]);
    let head = session.head("/get").send().await?;
    ensure!(head.status() == StatusCode::OK, "HEAD status {}", head.status());
    ensure!(head.bytes().await?.is_empty(), "HEAD has no body");
    let options = session.options("/anything").send().await?;
    ensure!(
        options.status() == StatusCode::OK,
        "OPTIONS status {}",
        options.status()
    );
    let echo: Value = options.json().await?;
    ensure!(echo["method"] == "OPTIONS", "OPTIONS echoed as {}", echo["method"]);
    Ok(())
}

/// Form bodies from pairs and structs, JSON bodies from any `Serialize`.
pub async fn form_and_json_bodies(site: &Site) -> Outcome {
    let session = site.session()?;
    let echo: Value = session
        .post("/post")
        .form(&[("name", "钢铁知识库"), ("tag", "a&b=c")])
        .send()
        .await?
        .json()
        .await?;
    ensure!(echo["form"]["name"] == "钢铁知识库", "form {}", echo["form"]);
    ensure!(echo["form"]["tag"] == "a&b=c", "form {}", echo["form"]);
    ensure!(
        echo["headers"]["Content-Type"] == "application/x-www-form-urlencoded",
        "content type {}",
        echo["headers"]["Content-Type"]
    );
    let echo: Value = session
        .post("/post")
        .form(&Person { name: "Ann", age: 7 })
        .send()
        .await?
        .json()
        .await?;
    ensure!(echo["form"]["age"] == "7", "form from a struct {}", echo["form"]);
    let payload = serde_json::json!({"name": "钢铁知识库", "list": [1, 2, 3], "nested": {"ok": true}});
    let echo: Value = session.post("/post").json(&payload).send().await?.json().await?;
    ensure!(echo["json"] == payload, "json {}", echo["json"]);
    ensure!(
        echo["headers"]["Content-Type"] == "application/json",
        "{}",
        echo["headers"]
    );
    Ok(())
}

#[derive(Deserialize)]
struct Echo {
    url: String,
    args: BTreeMap<String, String>,
    headers: BTreeMap<String, String>,
}

/// Status, case-insensitive headers, final URL, and the body as text, bytes
/// and JSON (untyped and typed).
pub async fn response_head_text_bytes_and_json(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .header("X-Client", "unifetch-conformance")
        .build()?;
    let response = session
        .get("/response-headers?X-Custom=Value&Content-Type=application/json")
        .send()
        .await?;
    ensure!(response.status() == StatusCode::OK, "status");
    ensure!(response.headers()["x-custom"] == "Value", "lower-case lookup");
    ensure!(response.headers()["X-CUSTOM"] == "Value", "upper-case lookup");
    ensure!(response.url().path() == "/response-headers", "url {}", response.url());
    let text = response.text().await?;
    ensure!(text.contains("\"X-Custom\": \"Value\""), "text {text}");

    let bytes = session.get("/bytes/1000?seed=3").send().await?.bytes().await?;
    ensure!(bytes.len() == 1000, "got {} bytes", bytes.len());

    let typed: Echo = session
        .get("/get?k=v")
        .header("X-Trace", "t1")
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        typed.args.get("k").map(String::as_str) == Some("v"),
        "args {:?}",
        typed.args
    );
    ensure!(
        typed.headers.get("X-Trace").map(String::as_str) == Some("t1"),
        "{:?}",
        typed.headers
    );
    ensure!(
        typed.headers.get("X-Client").map(String::as_str) == Some("unifetch-conformance"),
        "default header {:?}",
        typed.headers
    );
    let own: Echo = session
        .get("/get")
        .header("X-Client", "mine")
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        own.headers.get("X-Client").map(String::as_str) == Some("mine"),
        "a request's header replaces the default: {:?}",
        own.headers
    );
    ensure!(typed.url.ends_with("/get?k=v"), "url {}", typed.url);
    Ok(())
}

/// A browser-like `User-Agent` set on the session is what the server sees
/// (the guide's crawler sends one).
pub async fn user_agent_is_replaced(site: &Site) -> Outcome {
    let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) unifetch";
    let session = Session::builder()
        .base_url(&site.base)?
        .header("User-Agent", agent)
        .build()?;
    let echo: Value = session.get("/user-agent").send().await?.json().await?;
    ensure!(echo["user-agent"] == agent, "server saw {}", echo["user-agent"]);
    Ok(())
}

/// `text()` decodes with the `charset` of `Content-Type` (a byte-order mark
/// wins), falls back to UTF-8, and replaces invalid bytes instead of failing.
pub async fn text_follows_the_charset(site: &Site) -> Outcome {
    let session = site.session()?;
    let cases = [
        ("gbk", "钢铁知识库：西游记"),
        ("shift_jis", "こんにちは、世界"),
        ("iso-8859-1", "Grüße, café"),
        ("windows-1251", "Привет, мир"),
        ("utf-8", "Grüße, café — 钢铁知识库 ✓"),
    ];
    for (charset, expected) in cases {
        let text = session.get(format!("/encoding/{charset}")).send().await?.text().await?;
        ensure!(text == expected, "{charset}: {text:?}");
    }
    let undeclared = session
        .get("/encoding/utf-8?declare=false")
        .send()
        .await?
        .text()
        .await?;
    ensure!(undeclared == "Grüße, café — 钢铁知识库 ✓", "undeclared: {undeclared:?}");
    let wrong = session.get("/encoding/gbk?declare=false").send().await?.text().await?;
    ensure!(wrong.contains('\u{FFFD}'), "invalid UTF-8 is replaced: {wrong:?}");
    let fallback = session
        .get("/encoding/gbk?declare=false")
        .send()
        .await?
        .text_with_charset("gbk")
        .await?;
    ensure!(
        fallback == "钢铁知识库：西游记",
        "explicit default charset: {fallback:?}"
    );
    for charset in ["utf-8", "utf-16le", "utf-16be"] {
        let url = format!("/encoding/{charset}?bom=true&declare_as=windows-1252");
        let marked = session.get(url).send().await?.text().await?;
        ensure!(
            marked == "Grüße, café — 钢铁知识库 ✓",
            "{charset}: the byte-order mark wins over the declared charset and is dropped: {marked:?}"
        );
    }
    Ok(())
}

/// `error_for_status` passes 2xx and 3xx and turns 4xx/5xx into status errors.
pub async fn error_for_status_flags_4xx_and_5xx(site: &Site) -> Outcome {
    let session = site.session()?;
    let ok = session.get("/status/204").send().await?.error_for_status();
    ensure!(ok.is_ok(), "204 passes");
    for code in [404u16, 418, 500, 503] {
        let err = match session.get(format!("/status/{code}")).send().await?.error_for_status() {
            Ok(_) => return Err(Failure(format!("{code} passed error_for_status"))),
            Err(err) => err,
        };
        ensure!(err.is_status(), "{code}: {err}");
        ensure!(
            err.status().map(|s| s.as_u16()) == Some(code),
            "{code}: {:?}",
            err.status()
        );
        ensure!(
            err.url().is_some_and(|u| u.path().ends_with(&code.to_string())),
            "url on error"
        );
    }
    Ok(())
}

/// A closed port is a connect error, not a panic or a hang.
pub async fn connection_refused_is_a_connect_error(site: &Site) -> Outcome {
    let session = Session::builder()
        .timeout(Timeout::total(Duration::from_secs(20)))
        .build()?;
    let err = match session.get(&site.closed).send().await {
        Ok(response) => return Err(Failure(format!("{} answered {}", site.closed, response.status()))),
        Err(err) => err,
    };
    ensure!(err.is_connect(), "not a connect error: {err}");
    ensure!(!err.is_timeout(), "refused, not timed out: {err}");
    ensure!(err.url().is_some(), "the error keeps the URL");
    Ok(())
}

/// URLs that do not parse, non-HTTP schemes and headers with newlines are
/// builder errors from `send()`.
pub async fn malformed_input_is_a_builder_error(site: &Site) -> Outcome {
    let session = site.session()?;
    let bare = Session::new();
    for url in [
        "http://exa mple.com/",
        "http://[::1/",
        "not a url",
        "ftp://example.com/file",
        "mailto:a@b.c",
    ] {
        let result = bare.get(url).send().await;
        ensure!(
            matches!(&result, Err(e) if e.is_builder()),
            "{url}: {:?}",
            result.map(|r| r.status())
        );
    }
    let header = session.get("/get").header("X-Bad", "a\r\nInjected: 1").send().await;
    ensure!(
        matches!(&header, Err(e) if e.is_builder()),
        "header with CR/LF accepted"
    );
    let name = session.get("/get").header("Bad Name", "v").send().await;
    ensure!(
        matches!(&name, Err(e) if e.is_builder()),
        "header name with a space accepted"
    );
    let built = Session::builder().base_url("::not a base::");
    ensure!(matches!(&built, Err(e) if e.is_builder()), "bad base URL accepted");
    let built = Session::builder().header("X-Bad", "\n").build();
    ensure!(
        matches!(&built, Err(e) if e.is_builder()),
        "bad default header accepted"
    );
    Ok(())
}

/// A reset mid-body and a body shorter than its `Content-Length` are body
/// errors, never silently short data.
pub async fn broken_bodies_are_body_errors(site: &Site) -> Outcome {
    let session = site.session()?;
    for path in ["/fault/reset?bytes=1000", "/fault/truncated?bytes=100&length=5000"] {
        let response = session.get(path).send().await?;
        match response.bytes().await {
            Ok(bytes) => return Err(Failure(format!("{path}: {} bytes and no error", bytes.len()))),
            Err(err) => ensure!(err.is_body(), "{path}: not a body error: {err}"),
        }
    }
    Ok(())
}

/// `json()` of something that is not JSON is a decode error.
pub async fn invalid_json_is_a_decode_error(site: &Site) -> Outcome {
    let session = site.session()?;
    let result = session.get("/encoding/utf-8").send().await?.json::<Value>().await;
    ensure!(matches!(&result, Err(e) if e.is_decode()), "{result:?}");
    Ok(())
}

/// Redirects are followed by default; the response knows where it ended.
pub async fn redirects_are_followed(site: &Site) -> Outcome {
    let session = site.session()?;
    let response = session.get("/redirect/3").send().await?;
    ensure!(response.status() == StatusCode::OK, "status {}", response.status());
    ensure!(response.url().path() == "/get", "final url {}", response.url());
    let echo: Value = response.json().await?;
    ensure!(
        echo["url"].as_str().is_some_and(|u| u.ends_with("/get")),
        "{}",
        echo["url"]
    );
    Ok(())
}

/// Many GETs in a row on one session all succeed (pooled connections are
/// reused correctly; on WASI this guards against empty-body resets).
pub async fn many_gets_in_a_row(site: &Site) -> Outcome {
    let session = site.session()?;
    for i in 0..60 {
        let response = session.get("/get").query(&[("i", i)]).send().await?;
        ensure!(
            response.status() == StatusCode::OK,
            "request {i}: {}",
            response.status()
        );
        let echo: Value = response.json().await?;
        ensure!(
            echo["args"]["i"].as_str() == Some(i.to_string().as_str()),
            "request {i}: {}",
            echo["args"]
        );
    }
    Ok(())
}

/// Dropping a response before its body is read gives its slot back: with
/// `limit(1)` the next request still goes through.
pub async fn dropping_a_response_frees_its_slot(site: &Site) -> Outcome {
    let session = Session::builder()
        .base_url(&site.base)?
        .limits(Limits::default().limit(1))
        .timeout(Timeout::total(Duration::from_secs(10)))
        .build()?;
    let mut unread = session.get("/stream-bytes/10000000?chunk_size=1024").send().await?;
    ensure!(unread.chunk().await?.is_some(), "the first chunk arrives");
    drop(unread);
    let next = session.get("/get").send().await?;
    ensure!(next.status() == StatusCode::OK, "status {}", next.status());
    Ok(())
}

/// A request body given as a stream of chunks arrives whole.
pub async fn streamed_request_body_is_sent(site: &Site) -> Outcome {
    let session = site.session()?;
    let chunks = futures_util::stream::iter(["钢铁", "知识", "库"].map(Ok::<_, std::io::Error>));
    let echo: Value = session
        .post("/post")
        .body(unifetch::Body::wrap_stream(chunks))
        .send()
        .await?
        .json()
        .await?;
    ensure!(echo["data"] == "钢铁知识库", "data {}", echo["data"]);
    Ok(())
}

/// A multipart body with text fields and files arrives as form and files.
pub async fn multipart_bodies_are_sent(site: &Site) -> Outcome {
    use unifetch::multipart::{Form, Part};
    let session = site.session()?;
    let form = Form::new()
        .text("name", "钢铁知识库")
        .text("tag", "a\"b")
        .part(
            "notes",
            Part::text("chapter one").file_name("notes.txt").mime("text/plain"),
        )
        .part(
            "cover",
            Part::bytes(vec![0xff, 0xd8, 0xff])
                .file_name("cover.jpg")
                .mime("image/jpeg"),
        );
    let echo: Value = session.post("/post").multipart(form).send().await?.json().await?;
    ensure!(echo["form"]["name"] == "钢铁知识库", "form {}", echo["form"]);
    ensure!(echo["form"]["tag"] == "a\"b", "a quote in a value: {}", echo["form"]);
    ensure!(echo["files"]["notes"] == "chapter one", "files {}", echo["files"]);
    ensure!(
        echo["files"]["cover"] == "data:image/jpeg;base64,/9j/",
        "files {}",
        echo["files"]
    );
    let content_type = echo["headers"]["Content-Type"].as_str().unwrap_or_default();
    ensure!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    Ok(())
}

/// HTTP broken below what a proper server sends (the site's raw fault
/// server): every break is an error (a body error once the head came),
/// never a success with the bytes that made it; a `100 Continue` first and
/// a body longer than its `Content-Length` still give the right response.
pub async fn broken_http_is_an_error_never_a_short_success(site: &Site) -> Outcome {
    let session = Session::builder().max_body_size(1 << 20).build()?;
    let info: Value = session
        .get(format!("{}/fault/raw", site.base))
        .send()
        .await?
        .json()
        .await?;
    let raw = info["base"].as_str().ok_or(Failure(format!("no base in {info}")))?;
    let heads = [
        "reset-before-head",
        "reset-mid-head",
        "huge-header",
        "huge-header-block",
        "invalid-header-bytes",
    ];
    for case in heads {
        let outcome = session.get(format!("{raw}/{case}")).send().await;
        ensure!(outcome.is_err(), "{case}: a response came");
    }
    // Not gzip, whoever decodes it (the core, Node's zlib, the browser).
    let lying = async { session.get(format!("{raw}/lying-encoding")).send().await?.bytes().await }.await;
    ensure!(lying.is_err(), "lying-encoding: {:?}", lying.map(|bytes| bytes.len()));
    for case in ["reset-mid-body", "chunked-cut", "chunked-malformed", "endless-body"] {
        let outcome = async { session.get(format!("{raw}/{case}")).send().await?.bytes().await }.await;
        match outcome {
            Ok(bytes) => return Err(Failure(format!("{case}: {} bytes and no error", bytes.len()))),
            Err(err) => ensure!(err.is_body(), "{case}: not a body error: {err:#}"),
        }
    }
    let text = session
        .get(format!("{raw}/continue-first"))
        .send()
        .await?
        .text()
        .await?;
    ensure!(text == "after", "continue-first: {text:?}");
    // Bytes past `Content-Length`: ignored (hyper, fetch) or an error
    // (Node's parser, wasmtime's wasi-http), never part of the body.
    let longer = async {
        session
            .get(format!("{raw}/length-shorter-than-body"))
            .send()
            .await?
            .text()
            .await
    }
    .await;
    if let Ok(text) = longer {
        ensure!(text == "first", "length-shorter-than-body: {text:?}");
    }
    Ok(())
}
