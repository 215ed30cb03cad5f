//! The `unifetch` binary, run as a user runs it, against the test site.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use unifetch_native::TestServer;

fn unifetch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unifetch"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipe_gets_the_body_alone_and_print_chooses_the_parts() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/get");
    let (piped, printed) = tokio::task::spawn_blocking(move || {
        (
            unifetch(&[&url, "name==钢铁知识库", "X-Trace:abc"]),
            unifetch(&["-p", "hb", "--pretty", "format", "get", &url, "name==钢铁知识库"]),
        )
    })
    .await
    .unwrap();
    assert!(piped.status.success(), "{piped:?}");
    let body: serde_json::Value = serde_json::from_slice(&piped.stdout).expect("the body alone, for jq");
    assert_eq!(body["args"]["name"], "钢铁知识库");
    assert_eq!(body["headers"]["X-Trace"], "abc");
    let text = stdout(&printed);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\nContent-Type: application/json\n"),
        "{text}"
    );
    assert!(
        text.contains("\n    \"args\": {\n        \"name\": \"钢铁知识库\"\n    },"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colours with --pretty=format");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_sends_json_or_form_fields() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/post");
    let (json, form, escaped, accept_given, json_upload) = tokio::task::spawn_blocking(move || {
        (
            unifetch(&["post", &url, "a=1", "n:=2"]),
            unifetch(&["post", &url, "a=1", "--form"]),
            unifetch(&["post", &url, r"a\=b=c", r"time=10\:30", r"mail\@x=y"]),
            unifetch(&["post", &url, "a=1", "Accept:text/plain"]),
            unifetch(&["-j", "post", &url, "f@Cargo.toml"]),
        )
    })
    .await
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["json"], serde_json::json!({"a": "1", "n": 2}));
    assert_eq!(json["headers"]["Content-Type"], "application/json");
    assert_eq!(
        json["headers"]["Accept"], "application/json, */*;q=0.5",
        "JSON sent asks for JSON, as httpie and xh"
    );
    let form: serde_json::Value = serde_json::from_slice(&form.stdout).unwrap();
    assert_eq!(form["form"], serde_json::json!({"a": "1"}));
    assert_ne!(form["headers"]["Accept"], "application/json, */*;q=0.5");
    let escaped: serde_json::Value = serde_json::from_slice(&escaped.stdout).unwrap();
    assert_eq!(
        escaped["json"],
        serde_json::json!({"a=b": "c", "time": "10:30", "mail@x": "y"}),
        "`\\` makes a separator literal"
    );
    let accept_given: serde_json::Value = serde_json::from_slice(&accept_given.stdout).unwrap();
    assert_eq!(accept_given["headers"]["Accept"], "text/plain", "an item wins");
    assert_eq!(json_upload.status.code(), Some(2), "{json_upload:?}");
    assert!(stdout_or_err(&json_upload).contains("multipart"), "{json_upload:?}");
}

fn stdout_or_err(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned() + &stdout(output)
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_tell_transport_errors_from_http_errors() {
    let site = TestServer::site().await.unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (not_found, server_error, timeout, stalled, refused, invalid) = {
        let (a, b, c) = (site.url("/status/404"), site.url("/status/503"), site.url("/delay/3"));
        let d = site.url("/fault/stall-body?bytes=10&seconds=30");
        let e = format!("http://127.0.0.1:{closed}/");
        tokio::task::spawn_blocking(move || {
            (
                unifetch(&["get", &a]),
                unifetch(&["--check-status", "get", &b]),
                unifetch(&["get", &c, "--timeout", "0.5"]),
                unifetch(&["get", &d, "--read-timeout", "0.5"]),
                unifetch(&["get", &e]),
                unifetch(&["get", "http://exa mple.com/"]),
            )
        })
        .await
        .unwrap()
    };
    assert_eq!(
        not_found.status.code(),
        Some(0),
        "HTTP errors are not failures without --check-status"
    );
    assert_eq!(server_error.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&server_error.stderr).contains("warning: HTTP 503 Service Unavailable"),
        "{server_error:?}"
    );
    assert_eq!(timeout.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&timeout.stderr).contains("timeout: total"),
        "{timeout:?}"
    );
    // `--read-timeout` is aiohttp's sock_read: the body stalls after 10 bytes.
    assert_eq!(stalled.status.code(), Some(2), "{stalled:?}");
    assert!(
        String::from_utf8_lossy(&stalled.stderr).contains("timeout: sock_read"),
        "{stalled:?}"
    );
    assert_eq!(stalled.stdout.len(), 10, "what came before the stall, nothing more");
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("connect error"),
        "{refused:?}"
    );
    assert_eq!(invalid.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn crawl_writes_one_json_line_per_page() {
    let site = TestServer::site().await.unwrap();
    let start = site.url("/web/100/");
    let dir = std::env::temp_dir().join(format!("unifetch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("pages.jsonl");
    let out_arg = out.to_string_lossy().into_owned();
    let output = tokio::task::spawn_blocking(move || {
        unifetch(&[
            "crawl",
            &start,
            "--max-pages",
            "20",
            "--concurrency",
            "4",
            "--out",
            &out_arg,
        ])
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = std::fs::read_to_string(&out).unwrap();
    assert_eq!(lines.lines().count(), 20);
    for line in lines.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(record["url"].as_str().unwrap().contains("/web/100/"));
    }
    let summary = stdout(&output);
    assert!(summary.contains("pages") && summary.contains("20"), "{summary}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_a_crawl_and_keeps_what_was_fetched() {
    let site = TestServer::site().await.unwrap();
    let start = site.url("/web/5000x50/");
    let dir = std::env::temp_dir().join(format!("unifetch-ctrlc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("pages.jsonl");
    let child = Command::new(env!("CARGO_BIN_EXE_unifetch"))
        .args(["crawl", &start, "--out", &out.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(130), "128 + SIGINT: {output:?}");
    let summary = stdout(&output);
    assert!(
        summary.contains("stopped early") && summary.contains("yes"),
        "{summary}"
    );
    let pages: u64 = summary
        .lines()
        .find_map(|line| line.strip_prefix("pages").map(str::trim).and_then(|n| n.parse().ok()))
        .expect("a pages row");
    let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
    assert!(pages > 0 && pages < 5000, "{pages} pages");
    assert_eq!(lines, pages, "every fetched page is in the file");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Runs the binary with `args` off the async runtime.
async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        unifetch(&args)
    })
    .await
    .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_and_verbose_show_each_attempt() {
    let site = TestServer::site().await.unwrap();
    let url = site.url(&format!("/flaky/2?id=cli-{}", std::process::id()));
    let output = run(strings(&["get", &url, "--retry", "2", "-v"])).await;
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr
            .matches("failed (HTTP 503 Service Unavailable); retrying")
            .count(),
        2,
        "{stderr}"
    );
    let without = run(strings(&["get", &url.replace("cli-", "cli-none-"), "--check-status"])).await;
    assert_eq!(
        without.status.code(),
        Some(5),
        "no retries by default on the command line"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_followed_only_with_follow() {
    let site = TestServer::site().await.unwrap();
    let stop = run(strings(&["-h", &site.url("/redirect/1")])).await;
    assert!(stdout(&stop).starts_with("HTTP/1.1 302 Found"), "{}", stdout(&stop));
    let followed = run(strings(&["-h", "-F", &site.url("/redirect/1")])).await;
    assert!(
        stdout(&followed).starts_with("HTTP/1.1 200 OK"),
        "{}",
        stdout(&followed)
    );
    let checked = run(strings(&["--check-status", &site.url("/redirect/1")])).await;
    assert_eq!(
        checked.status.code(),
        Some(3),
        "a 3xx not followed, with --check-status"
    );
    let over = run(strings(&["-F", &site.url("/redirect/3"), "--max-redirects", "1"])).await;
    assert_eq!(over.status.code(), Some(6));
    assert!(
        String::from_utf8_lossy(&over.stderr).contains("more than 1 redirects"),
        "{over:?}"
    );
    let hops = run(strings(&["get", &site.url("/redirect/2"), "-v", "--follow"])).await;
    let stderr = String::from_utf8_lossy(&hops.stderr);
    assert!(
        stderr.contains("< 302 Found → ") && stderr.contains("/relative-redirect/1"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cookie_jar_file_keeps_cookies_between_runs() {
    let site = TestServer::site().await.unwrap();
    let jar = std::env::temp_dir().join(format!("unifetch-jar-{}.json", std::process::id()));
    let jar_arg = jar.to_string_lossy().into_owned();
    let set = run(strings(&[
        "get",
        &site.url("/cookies/set?flavour=oat"),
        "--cookie-jar",
        &jar_arg,
    ]))
    .await;
    assert!(set.status.success(), "{set:?}");
    let later = run(strings(&["get", &site.url("/cookies"), "--cookie-jar", &jar_arg])).await;
    assert!(stdout(&later).contains("\"flavour\": \"oat\""), "{}", stdout(&later));
    std::fs::remove_file(jar).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn decompression_and_body_limits_can_be_set() {
    let site = TestServer::site().await.unwrap();
    let raw = run(strings(&["get", &site.url("/gzip"), "--no-decompress", "--print=hb"])).await;
    assert!(stdout(&raw).contains("Content-Encoding: gzip"), "{}", stdout(&raw));
    assert!(
        raw.stdout.windows(2).any(|w| w == [0x1f, 0x8b]),
        "the gzip bytes themselves"
    );
    let limited = run(strings(&["get", &site.url("/bytes/1000"), "--max-body", "100"])).await;
    assert_eq!(limited.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&limited.stderr).contains("limit of 100 bytes"),
        "{limited:?}"
    );
}

/// A decompression bomb (256 MiB of zeros, 256 KiB on the wire), with no
/// limit set (a streamed body is uncapped), is printed as it is decoded: the process never
/// holds more than a few MiB of it (its resident memory, sampled every few
/// milliseconds from /proc, stays far below the body's size).
#[tokio::test(flavor = "multi_thread")]
async fn a_decompression_bomb_streams_through_in_bounded_memory() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/bomb?mb=256");
    let peak = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_unifetch"))
            .args(["get", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status_file = format!("/proc/{}/status", child.id());
        let mut peak_kib = 0u64;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}");
                return peak_kib;
            }
            let rss = std::fs::read_to_string(&status_file).unwrap_or_default();
            let kib = rss
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
            std::thread::sleep(Duration::from_millis(5));
        }
    })
    .await
    .unwrap();
    assert!(
        peak > 0 && peak < 64 * 1024,
        "peak resident memory {peak} KiB for a 256 MiB body"
    );
    // --max-body caps what is read, streamed or not: the bomb is an error
    // after at most that many bytes.
    let url = site.url("/bomb?mb=64");
    let capped = tokio::task::spawn_blocking(move || unifetch(&["--max-body", "1000000", &url]))
        .await
        .unwrap();
    assert_eq!(capped.status.code(), Some(1), "{capped:?}");
    assert!(
        String::from_utf8_lossy(&capped.stderr).contains("larger than the limit"),
        "{capped:?}"
    );
    assert!(capped.stdout.len() <= 1_000_000, "{} bytes", capped.stdout.len());
}

/// Broken servers through the CLI: a non-zero exit, one line on stderr
/// saying where it broke, and on stdout only what really came.
#[tokio::test(flavor = "multi_thread")]
async fn broken_servers_exit_non_zero_with_one_line_saying_where() {
    let site = TestServer::site().await.unwrap();
    let info: serde_json::Value = site
        .session()
        .get("/fault/raw")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw = info["base"].as_str().unwrap();
    for (case, says, body_shown) in [
        ("reset-before-head", "headers error", ""),
        ("huge-header", "message head is too large", ""),
        ("reset-mid-body", "body error", "0123456789"),
        ("chunked-cut", "body error", "hello"),
        ("lying-encoding", "cannot decode the response body", ""),
        ("endless-body", "larger than the limit of 1000000 bytes", "eeee"),
    ] {
        let output = run(strings(&["get", &format!("{raw}/{case}"), "--max-body", "1000000"])).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{case}: {output:?}");
        assert_eq!(stderr.lines().count(), 1, "{case}: {stderr}");
        assert!(stderr.contains(says), "{case}: {stderr}");
        let printed = stdout(&output);
        assert!(printed.contains(body_shown), "{case}: {printed:.200}");
    }
}
