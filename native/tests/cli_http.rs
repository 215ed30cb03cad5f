//! The request command line as httpie and xh users type it: output on a
//! terminal (a pseudo-terminal, portable-pty's) and in a
//! pipe, stdin as the body, items from files, auth, `--print`, and usage
//! errors, against the test site.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use unifetch_native::TestServer;

// The library's test daemons: a real proxy (Debian's tinyproxy).
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/support/daemon.rs"]
mod daemon;
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/support/tinyproxy.rs"]
mod tinyproxy;

/// A port on 127.0.0.1 where nothing listens (the daemons' free port).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Runs the binary with `args`, `stdin` piped in (or nothing, closed).
fn unifetch(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifetch"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

async fn run(args: Vec<String>, stdin: Option<Vec<u8>>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        unifetch(&args, stdin.as_deref())
    })
    .await
    .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// Runs `unifetch ARGS` in a pseudo-terminal (portable-pty's), with
/// `typed` typed into it first; returns what the terminal showed.
fn in_pty(args: &[String], no_color: bool, typed: &str) -> String {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::Read;
    let pty = native_pty_system()
        .openpty(PtySize::default())
        .expect("a pseudo-terminal");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_unifetch"));
    command.args(args);
    command.cwd(std::env::current_dir().unwrap());
    if no_color {
        command.env("NO_COLOR", "1");
    } else {
        command.env_remove("NO_COLOR");
    }
    let mut child = pty.slave.spawn_command(command).expect("unifetch starts");
    drop(pty.slave);
    let mut keyboard = pty.master.take_writer().unwrap();
    // The terminal keeps the line until the program reads it.
    keyboard.write_all(typed.as_bytes()).unwrap();
    let mut screen = pty.master.try_clone_reader().unwrap();
    let mut shown = Vec::new();
    let mut buffer = [0; 4096];
    // Ends at EOF, or EIO once the program is gone (Linux).
    while let Ok(read @ 1..) = screen.read(&mut buffer) {
        shown.extend_from_slice(&buffer[..read]);
    }
    let status = child.wait().unwrap();
    let shown = String::from_utf8_lossy(&shown).replace("\r\n", "\n");
    assert!(status.success(), "{status:?}: {shown}");
    shown
}

/// Runs `unifetch ARGS` in a pseudo-terminal and types Ctrl-C once it
/// asks for a password; returns what the terminal showed, how it ended,
/// and the terminal's settings afterwards (`stty -a`).
fn ctrl_c_at_the_prompt(args: &[String]) -> (String, portable_pty::ExitStatus, String) {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::Read;
    let pty = native_pty_system()
        .openpty(PtySize::default())
        .expect("a pseudo-terminal");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_unifetch"));
    command.args(args);
    let mut child = pty.slave.spawn_command(command).expect("unifetch starts");
    drop(pty.slave);
    // A watchdog: a prompt that never ends fails the test, not hangs it.
    let mut killer = child.clone_killer();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(30));
        let _ = killer.kill();
    });
    let terminal = pty.master.tty_name().expect("the terminal's name");
    let settings = || {
        let output = Command::new("stty")
            .arg("-F")
            .arg(&terminal)
            .arg("-a")
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let mut keyboard = pty.master.take_writer().unwrap();
    let mut screen = pty.master.try_clone_reader().unwrap();
    let mut shown = Vec::new();
    let mut buffer = [0; 4096];
    let mut typed = false;
    while let Ok(read @ 1..) = screen.read(&mut buffer) {
        shown.extend_from_slice(&buffer[..read]);
        if !typed && String::from_utf8_lossy(&shown).contains("password for ann: ") {
            // The prompt is written before the terminal is set to read keys
            // one by one: Ctrl-C is a key only once echo is off.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !settings().split_whitespace().any(|setting| setting == "-echo")
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            keyboard.write_all(b"\x03").unwrap();
            typed = true;
        }
    }
    let status = child.wait().unwrap();
    (String::from_utf8_lossy(&shown).into_owned(), status, settings())
}

/// Runs `unifetch ARGS` in a pseudo-terminal; returns what it printed.
async fn in_terminal(args: &str, no_color: bool) -> String {
    let args: Vec<String> = args.split(' ').map(str::to_owned).collect();
    tokio::task::spawn_blocking(move || in_pty(&args, no_color, ""))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_gets_the_head_and_a_coloured_formatted_body() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/get?a=1");
    let coloured = in_terminal(&url, false).await;
    assert!(
        coloured.contains("\u{1b}[") && coloured.contains(" 200 OK"),
        "{coloured}"
    );
    assert!(coloured.contains("Content-Type"), "{coloured}");
    let plain = in_terminal(&url, true).await;
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain}");
    assert!(plain.starts_with("HTTP/1.1 200 OK\n"), "{plain}");
    assert!(
        plain.contains("\n    \"args\": {\n        \"a\": \"1\"\n    },"),
        "formatted: {plain}"
    );
    let piped = run(strings(&[&url]), None).await;
    assert!(
        piped.stdout.starts_with(b"{\n  \"args\""),
        "the server's bytes as they came"
    );

    // Binary data is not shown on a terminal (as httpie and xh); a pipe gets it.
    let binary = in_terminal(&site.url("/download/100"), true).await;
    assert!(binary.contains("NOTE: binary data not shown in terminal"), "{binary}");
    let piped = run(strings(&[&site.url("/download/100")]), None).await;
    assert_eq!(piped.stdout, expected_download(100));

    // A download draws its progress (bytes, rate, ETA) on the terminal.
    let dir = std::env::temp_dir().join(format!("unifetch-bar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("drip.bin");
    let args = format!("-d -o {} {}", file.display(), site.url("/drip?duration=1&numbytes=50"));
    let shown = in_terminal(&args, true).await;
    assert!(shown.contains("B/s") && shown.contains("ETA"), "{shown}");
    assert_eq!(std::fs::read(&file).unwrap(), vec![b'*'; 50]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_piped_stdin_is_the_body_unless_items_or_ignore_stdin_say_otherwise() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/anything");
    let posted = run(strings(&[&url]), Some(b"{\"from\": \"stdin\"}".to_vec())).await;
    let echo = json(&posted);
    assert_eq!(echo["method"], "POST", "data makes the method POST");
    assert_eq!(echo["data"], "{\"from\": \"stdin\"}");
    assert_eq!(
        echo["json"],
        serde_json::json!({"from": "stdin"}),
        "sent as JSON, as httpie does"
    );
    let mixed = run(strings(&[&url, "a=1"]), Some(b"body".to_vec())).await;
    assert_eq!(mixed.status.code(), Some(2), "a usage error");
    assert!(
        String::from_utf8_lossy(&mixed.stderr).contains("cannot be mixed"),
        "{mixed:?}"
    );
    // Stdin is not read to tell: a pipe left open gets the error at once.
    let open_pipe = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_unifetch"))
                .args([&url, "a=1"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let _held_open = child.stdin.take();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(open_pipe.status.code(), Some(2), "{open_pipe:?}");
    let ignored = run(strings(&["-I", &url, "a=1"]), Some(b"body".to_vec())).await;
    assert_eq!(json(&ignored)["json"], serde_json::json!({"a": "1"}));
    let raw = run(strings(&["put", &url, "--raw", "plain words"]), None).await;
    let echo = json(&raw);
    assert_eq!(
        (echo["method"].as_str(), echo["data"].as_str()),
        (Some("PUT"), Some("plain words"))
    );
    let empty = run(strings(&[&url]), None).await;
    assert_eq!(json(&empty)["method"], "GET", "a closed stdin is no body");
}

#[tokio::test(flavor = "multi_thread")]
async fn items_read_text_json_and_uploads_from_files() {
    let site = TestServer::site().await.unwrap();
    let dir = std::env::temp_dir().join(format!("unifetch-items-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("note.txt");
    std::fs::write(&text, "from a file").unwrap();
    let data = dir.join("data.json");
    std::fs::write(&data, r#"{"nested": [1, 2]}"#).unwrap();
    let upload = dir.join("pixel.bin");
    std::fs::write(&upload, b"\x89PNG fake").unwrap();

    let multipart = run(strings(&["--multipart", &site.url("/post"), "a=1", "Empty:"]), None).await;
    let echo = json(&multipart);
    assert_eq!(echo["form"]["a"], "1", "{echo}");
    assert_eq!(echo["headers"]["Empty"], "", "`Header:` sends it empty: {echo}");
    let fields = [
        format!("note=@{}", text.display()),
        format!("data:=@{}", data.display()),
    ];
    let sent = run(strings(&[&site.url("/post"), &fields[0], &fields[1]]), None).await;
    assert_eq!(
        json(&sent)["json"],
        serde_json::json!({"note": "from a file", "data": {"nested": [1, 2]}})
    );
    let file = format!("picture@{};type=image/png", upload.display());
    let uploaded = run(strings(&[&site.url("/post"), "title=cat", &file]), None).await;
    let echo = json(&uploaded);
    assert_eq!(echo["form"]["title"], "cat");
    // httpbin shows a binary upload as a data URL: its type and its bytes.
    assert_eq!(echo["files"]["picture"], "data:image/png;base64,iVBORyBmYWtl", "{echo}");
    assert!(
        echo["headers"]["Content-Type"]
            .as_str()
            .is_some_and(|ct| ct.starts_with("multipart/form-data")),
        "{echo}"
    );
    let missing = run(strings(&[&site.url("/post"), "note=@/nonexistent/file"]), None).await;
    assert_eq!(
        missing.status.code(),
        Some(2),
        "an item that cannot be read: a usage error"
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/file"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_basic_bearer_and_digest() {
    let site = TestServer::site().await.unwrap();
    let basic = run(
        strings(&["-a", "ann:s3cret", &site.url("/basic-auth/ann/s3cret")]),
        None,
    )
    .await;
    assert_eq!(json(&basic)["authenticated"], true);
    let wrong = run(
        strings(&["--check-status", "-a", "ann:nope", &site.url("/basic-auth/ann/s3cret")]),
        None,
    )
    .await;
    assert_eq!(wrong.status.code(), Some(4));
    let bearer = run(strings(&["-A", "bearer", "-a", "tok-1", &site.url("/bearer")]), None).await;
    assert_eq!(json(&bearer)["token"], "tok-1");
    // Digest: the site's endpoint as curl answers it (an independent
    // client), then as unifetch does.
    let digest_url = site.url("/digest-auth/auth/ann/s3cret");
    let by_curl = {
        let url = digest_url.clone();
        tokio::task::spawn_blocking(move || {
            Command::new("curl")
                .args(["-s", "--digest", "-u", "ann:s3cret", &url])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert_eq!(
        json(&by_curl)["authenticated"],
        true,
        "the site's digest endpoint, to curl"
    );
    let digest = run(strings(&["-A", "digest", "-a", "ann:s3cret", &digest_url]), None).await;
    assert_eq!(json(&digest)["authenticated"], true, "{digest:?}");
    let refused = run(
        strings(&["--check-status", "-A", "digest", "-a", "ann:no", &digest_url]),
        None,
    )
    .await;
    assert_eq!(refused.status.code(), Some(4));
    // --curl carries the digest credentials for curl to answer with.
    let printed = run(
        strings(&["--curl", "-A", "digest", "-a", "ann:s3cret", &digest_url]),
        None,
    )
    .await;
    let command = String::from_utf8(printed.stdout).unwrap();
    assert!(command.contains("--digest --user ann:s3cret"), "{command}");
    let by_curl = tokio::task::spawn_blocking(move || Command::new("sh").args(["-c", &command]).output().unwrap())
        .await
        .unwrap();
    assert_eq!(json(&by_curl)["authenticated"], true, "{by_curl:?}");
    let basic_challenge = run(
        strings(&["-A", "digest", "-a", "ann:s3cret", &site.url("/basic-auth/ann/s3cret")]),
        None,
    )
    .await;
    assert_eq!(basic_challenge.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&basic_challenge.stderr).contains("401 without a Digest challenge"),
        "{basic_challenge:?}"
    );
    // Without a terminal (setsid: no controlling one, even when the tests
    // run in one) a missing password cannot be asked for.
    let url = site.url("/basic-auth/ann/s3cret");
    let no_password = tokio::task::spawn_blocking(move || {
        Command::new("setsid")
            .args([env!("CARGO_BIN_EXE_unifetch"), "-a", "ann", &url])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(no_password.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&no_password.stderr).contains("no password"),
        "{no_password:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn print_chooses_request_and_response_parts() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/post");
    let heads = run(strings(&["-p", "Hh", &url, "a=1"]), None).await;
    let text = String::from_utf8_lossy(&heads.stdout);
    assert!(text.starts_with("POST /post HTTP/1.1\n"), "{text}");
    assert!(
        text.contains("\nContent-Type: application/json\n") && text.contains("\nHTTP/1.1 200 OK\n"),
        "{text}"
    );
    assert!(!text.contains("\"json\""), "no bodies: {text}");
    let verbose = run(strings(&["-v", &url, "a=1"]), None).await;
    let text = String::from_utf8_lossy(&verbose.stdout);
    assert!(text.contains("{\"a\":\"1\"}") && text.contains("\"json\": {"), "{text}");
    let meta = run(strings(&["-p", "m", &site.url("/get")]), None).await;
    assert!(
        String::from_utf8_lossy(&meta.stdout).contains("Elapsed time: "),
        "{meta:?}"
    );
    let quiet = run(strings(&["-q", &site.url("/get")]), None).await;
    assert!(quiet.status.success() && quiet.stdout.is_empty(), "{quiet:?}");
    let h2c = run(strings(&["--http-version", "2", "-h", &site.url("/get")]), None).await;
    assert!(h2c.stdout.starts_with(b"HTTP/2 200 OK\n"), "{h2c:?}");
    let colours = run(strings(&["--pretty", "colors", "-b", &site.url("/get")]), None).await;
    assert!(colours.stdout.contains(&0x1b), "--pretty=colors colours a pipe too");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_are_one_line_and_exit_2() {
    for (args, says) in [
        (vec!["--bogus", "http://127.0.0.1:1/"], "unexpected argument '--bogus'"),
        (
            vec!["--timeout", "-1", "http://127.0.0.1:1/"],
            "a timeout is a positive number",
        ),
        (
            vec!["--timeout=-1", "http://127.0.0.1:1/"],
            "a timeout is a positive number",
        ),
        (
            vec!["--timeout", "soon", "http://127.0.0.1:1/"],
            "is not a number of seconds",
        ),
        (
            vec!["--print", "Z", "http://127.0.0.1:1/"],
            "is not one of H, B, h, b, m",
        ),
        (vec![], "were not provided: <[METHOD] URL [ITEM]>"),
    ] {
        let output = run(strings(&args), None).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("unifetch: "), "{stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let help = run(strings(&["--help"]), None).await;
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--check-status"));
}

/// The bytes of the site's `/download/{n}` at `offset` (its fixed pattern).
fn download_byte(offset: u64) -> u8 {
    (offset.wrapping_mul(31) ^ (offset >> 8)) as u8
}

fn expected_download(length: u64) -> Vec<u8> {
    (0..length).map(download_byte).collect()
}

/// Runs `unifetch ARGS` in `dir` (where downloads land).
async fn run_in(dir: &std::path::Path, args: Vec<String>) -> Output {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_unifetch"))
            .args(&args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_name_their_file_never_overwrite_and_resume() {
    let site = TestServer::site().await.unwrap();
    let dir = std::env::temp_dir().join(format!("unifetch-download-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    const LENGTH: u64 = 3 << 20;
    let named = site.url(&format!("/download/{LENGTH}?name=../../evil/report.bin"));

    let first = run_in(&dir, strings(&["-d", &named])).await;
    assert!(first.status.success(), "{first:?}");
    assert!(first.stdout.is_empty(), "the body goes to the file, not stdout");
    let saved = std::fs::read(dir.join("report.bin")).expect("named by Content-Disposition, its path dropped");
    assert!(saved == expected_download(LENGTH), "byte for byte");
    let second = run_in(&dir, strings(&["-d", &named])).await;
    assert!(second.status.success());
    assert!(dir.join("report.bin-1").exists(), "never overwriting");
    let from_url = run_in(&dir, strings(&["--download", &site.url("/download/10")])).await;
    assert!(from_url.status.success());
    assert_eq!(
        std::fs::read(dir.join("10")).unwrap(),
        expected_download(10),
        "named after the URL"
    );

    // A partial file goes on from where it stopped, with Range…
    let partial = dir.join("partial.bin");
    std::fs::write(&partial, &expected_download(LENGTH)[..1_000_000]).unwrap();
    let out = partial.to_string_lossy().into_owned();
    let url = site.url(&format!("/download/{LENGTH}"));
    let resumed = run_in(&dir, strings(&["-d", "-c", "-o", &out, &url])).await;
    assert!(resumed.status.success(), "{resumed:?}");
    assert!(
        std::fs::read(&partial).unwrap() == expected_download(LENGTH),
        "resumed byte for byte"
    );
    // …and starts over when the server sends the whole body.
    std::fs::write(&partial, b"stale bytes that are not the file").unwrap();
    let ignored = site.url(&format!("/download/{LENGTH}?ranges=no"));
    let over = run_in(&dir, strings(&["-d", "-c", "-o", &out, &ignored])).await;
    assert!(over.status.success(), "{over:?}");
    assert!(
        String::from_utf8_lossy(&over.stderr).contains("starting over"),
        "{over:?}"
    );
    assert!(
        std::fs::read(&partial).unwrap() == expected_download(LENGTH),
        "started over"
    );

    // A complete file: the server's 416 says so, and it is left as it is.
    let complete = run_in(&dir, strings(&["-d", "-c", "-o", &out, &url])).await;
    assert!(complete.status.success(), "{complete:?}");
    assert!(String::from_utf8_lossy(&complete.stderr).contains("complete already"));
    assert!(std::fs::read(&partial).unwrap() == expected_download(LENGTH));
    // A 206 from another byte than asked for would make a file of pieces.
    std::fs::write(&partial, &expected_download(LENGTH)[..1_000_000]).unwrap();
    let misplaced = site.url(&format!("/download/{LENGTH}?ranges=wrong"));
    let refused = run_in(&dir, strings(&["-d", "-c", "-o", &out, &misplaced])).await;
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("from byte 500000"),
        "{refused:?}"
    );
    assert!(std::fs::read(&partial).unwrap() == expected_download(LENGTH)[..1_000_000]);

    // Saved as the server sent it: no decoding, so ranges count the same bytes.
    let gzipped = run_in(&dir, strings(&["-d", "-o", "body.gz", &site.url("/gzip")])).await;
    assert!(gzipped.status.success(), "{gzipped:?}");
    assert!(std::fs::read(dir.join("body.gz")).unwrap().starts_with(&[0x1f, 0x8b]));
    // Nor a name that would write escapes to the terminal (here a URL's).
    let escapes = run_in(&dir, strings(&["-d", &site.url("/anything/%1B%5B31mred")])).await;
    assert!(escapes.status.success(), "{escapes:?}");
    assert!(dir.join("index").exists(), "the fallback name");
    assert!(!String::from_utf8_lossy(&escapes.stderr).contains('\u{1b}'));
    // A server cannot name a hidden file.
    let hidden = run_in(&dir, strings(&["-d", &site.url("/download/5?name=.bashrc")])).await;
    assert!(hidden.status.success());
    assert!(dir.join("bashrc").exists() && !dir.join(".bashrc").exists());
    // -o without -d: the output (for a pipe: the body) to a file.
    let written = run_in(&dir, strings(&["-o", "echo.json", &site.url("/get?x=1")])).await;
    assert!(written.status.success() && written.stdout.is_empty());
    let echo: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("echo.json")).unwrap()).unwrap();
    assert_eq!(echo["args"]["x"], "1");

    let missing = run_in(&dir, strings(&["-d", &site.url("/status/404")])).await;
    assert_eq!(missing.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nothing saved"));
    let no_output = run_in(&dir, strings(&["-d", "-c", &url])).await;
    assert_eq!(no_output.status.code(), Some(2), "{no_output:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_keeps_cookies_credentials_and_headers_between_runs() {
    let site = TestServer::site().await.unwrap();
    let dir = std::env::temp_dir().join(format!("unifetch-session-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("team.json").to_string_lossy().into_owned();
    let session = format!("--session={file}");

    let first = run(
        strings(&[
            &session,
            "-a",
            "ann:pw",
            &site.url("/cookies/set?flavour=oat"),
            "X-Team:blue",
            "If-None-Match:abc",
        ]),
        None,
    )
    .await;
    assert!(first.status.success(), "{first:?}");
    let second = run(strings(&[&session, &site.url("/anything")]), None).await;
    let echo = json(&second);
    assert_eq!(echo["headers"]["X-Team"], "blue", "{echo}");
    assert_eq!(echo["headers"]["Authorization"], "Basic YW5uOnB3", "{echo}");
    assert_eq!(echo["headers"]["Cookie"], "flavour=oat", "{echo}");
    assert!(
        echo["headers"].get("If-None-Match").is_none(),
        "per-request headers are not kept: {echo}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a session holds credentials: its owner's alone");
    }

    let before = std::fs::read(&file).unwrap();
    let read_only = format!("--session-read-only={file}");
    let third = run(
        strings(&[&read_only, &site.url("/cookies/set?more=1"), "X-New:1"]),
        None,
    )
    .await;
    assert!(third.status.success());
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "a read-only session is not written"
    );

    let named = tokio::task::spawn_blocking({
        let (dir, url) = (dir.clone(), site.url("/get"));
        move || {
            Command::new(env!("CARGO_BIN_EXE_unifetch"))
                .args(["--session=work", &url, "X-Named:yes"])
                .env("XDG_CONFIG_HOME", &dir)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(named.status.success(), "{named:?}");
    let host = format!("127.0.0.1_{}", site.addr().port());
    let kept = dir.join("unifetch/sessions").join(host).join("work.json");
    let text = std::fs::read_to_string(&kept).expect("a named session is kept per host");
    assert!(text.contains("X-Named"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_prints_the_request_and_curl_sends_the_same_one() {
    let site = TestServer::site().await.unwrap();
    // Nothing listens at the closed port: --offline must not connect.
    let offline = run(
        strings(&["--offline", "post", "http://127.0.0.1:9/post", "a=1", "X-T:x", "q==1"]),
        None,
    )
    .await;
    assert!(offline.status.success(), "{offline:?}");
    let text = String::from_utf8_lossy(&offline.stdout);
    assert!(text.starts_with("POST /post?q=1 HTTP/1.1\n"), "{text}");
    assert!(
        text.contains("\nX-T: x\n") && text.ends_with("\n{\"a\":\"1\"}\n"),
        "{text}"
    );
    // Formatted JSON keeps its numbers as written, keys sorted.
    let raw = r#"{"z": 1.50, "id": 123456789012345678901234567890}"#;
    let args = [
        "--offline",
        "--pretty=format",
        "-p",
        "B",
        "post",
        "http://127.0.0.1:9/",
        "--raw",
        raw,
    ];
    let formatted = run(strings(&args), None).await;
    assert_eq!(
        String::from_utf8_lossy(&formatted.stdout),
        "{\n    \"id\": 123456789012345678901234567890,\n    \"z\": 1.50\n}\n\n"
    );

    let url = site.url("/anything");
    let item_args = ["put", &url, "n:=2", "note=it's", "X-Trace:abc", "k==v w"];
    let mut curl_args = vec!["--curl", "-a", "ann:pw"];
    curl_args.extend(item_args);
    let printed = run(strings(&curl_args), None).await;
    let command = String::from_utf8(printed.stdout).unwrap();
    assert!(
        command.contains(" --data-raw "),
        "a body starting with @ is no file to curl: {command}"
    );
    let by_curl = tokio::task::spawn_blocking(move || Command::new("sh").args(["-c", &command]).output().unwrap())
        .await
        .unwrap();
    assert!(by_curl.status.success(), "curl ran: {by_curl:?}");
    let mut direct_args = vec!["-a", "ann:pw"];
    direct_args.extend(item_args);
    let direct = run(strings(&direct_args), None).await;
    let (curl_echo, direct_echo) = (json(&by_curl), json(&direct));
    for field in ["method", "url", "args", "json"] {
        assert_eq!(curl_echo[field], direct_echo[field], "{field}");
    }
    for header in ["Authorization", "Content-Type", "X-Trace"] {
        assert_eq!(curl_echo["headers"][header], direct_echo["headers"][header], "{header}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_interrupts_with_130_and_a_missing_password_is_asked_for() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/delay/10");
    let interrupted = tokio::task::spawn_blocking(move || {
        let child = Command::new(env!("CARGO_BIN_EXE_unifetch"))
            .arg(&url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let started = std::time::Instant::now();
        let output = child.wait_with_output().unwrap();
        (output, started.elapsed())
    })
    .await
    .unwrap();
    let (output, waited) = interrupted;
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(
        waited < std::time::Duration::from_secs(5),
        "at once, not after the response"
    );

    // Ctrl-C at the password prompt exits 130 with the terminal as it was
    // (echo on again), and nothing is sent.
    let args = strings(&["-a", "ann", &site.url("/basic-auth/ann/typed?track=prompt-ctrl-c")]);
    let (shown, status, settings) = tokio::task::spawn_blocking(move || ctrl_c_at_the_prompt(&args))
        .await
        .unwrap();
    assert_eq!(
        (status.signal(), status.exit_code()),
        (None, 130),
        "{status:?}: {shown}"
    );
    assert!(
        settings.split_whitespace().any(|setting| setting == "echo"),
        "echo is back on: {settings}"
    );
    let tracked = run(strings(&["--check-status", &site.url("/track/prompt-ctrl-c")]), None).await;
    assert_eq!(
        tracked.status.code(),
        Some(4),
        "no request carried the key: {tracked:?}"
    );

    // On a terminal, `-a USER` asks for the password (typed into the pty).
    let args = strings(&["-a", "ann", &site.url("/basic-auth/ann/typed")]);
    let text = tokio::task::spawn_blocking(move || in_pty(&args, true, "typed\n"))
        .await
        .unwrap();
    assert!(text.contains("password for ann: "), "{text}");
    assert!(text.contains("\"authenticated\": true"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_cannot_be_used_are_clear_errors() {
    let site = TestServer::site().await.unwrap();
    let dir = std::env::temp_dir().join(format!("unifetch-unusable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    let not_a_session = dir.join("broken.json");
    std::fs::write(&not_a_session, "not json at all").unwrap();
    let session = format!("--session={}", not_a_session.display());
    let output = run(strings(&[&session, &site.url("/get")]), None).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("is not a session"), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(&not_a_session).unwrap(),
        "not json at all",
        "left alone"
    );

    let nowhere = dir.join("missing/dir/file.bin").to_string_lossy().into_owned();
    let output = run(strings(&["-d", "-o", &nowhere, &site.url("/download/10")]), None).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot write"), "{output:?}");

    let binary = dir.join("pixel.bin");
    std::fs::write(&binary, b"\x89PNG\xff\xfe").unwrap();
    let upload = format!("f@{}", binary.display());
    let output = run(strings(&["--curl", &site.url("/post"), &upload]), None).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("the body is not text"), "{output:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Runs the binary with `args`, stdin redirected from `stdin_file` or, with
/// `piped`, fed that file through a pipe; returns its output and the peak
/// resident memory (VmHWM, in KiB) sampled from /proc while it ran.
fn run_measuring_memory(args: &[String], stdin_file: Option<&std::path::Path>, piped: bool) -> (Output, u64) {
    let stdin = match (stdin_file, piped) {
        (Some(_), true) => Stdio::piped(),
        (Some(path), false) => Stdio::from(std::fs::File::open(path).unwrap()),
        (None, _) => Stdio::null(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifetch"))
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let feeder = child.stdin.take().map(|mut pipe| {
        let path = stdin_file.unwrap().to_owned();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut pipe);
        })
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    while child.try_wait().unwrap().is_none() {
        let status = std::fs::read_to_string(&status_file).unwrap_or_default();
        let high_water = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok());
        peak_kib = peak_kib.max(high_water.unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    if let Some(feeder) = feeder {
        feeder.join().unwrap();
    }
    (child.wait_with_output().unwrap(), peak_kib)
}

/// Uploads from a file item, from stdin redirected from a file and from a
/// piped stdin are read as they are sent: 64 MiB go up with the process
/// never holding more than a fraction of them, each byte as it was (the
/// site checks the pattern), with a `Content-Length` where the size is
/// known and in chunks from a pipe.
#[tokio::test(flavor = "multi_thread")]
async fn uploads_stream_from_files_and_stdin_in_bounded_memory() {
    const LENGTH: u64 = 64 << 20;
    let site = TestServer::site().await.unwrap();
    let url = site.url("/upload");
    let dir = std::env::temp_dir().join(format!("unifetch-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pattern.bin");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        for start in (0..LENGTH).step_by(1 << 20) {
            out.write_all(&(start..start + (1 << 20)).map(download_byte).collect::<Vec<u8>>())
                .unwrap();
        }
    }
    let file_item = format!("upload@{}", file.display());
    let runs = {
        let (url, file) = (url.clone(), file.clone());
        tokio::task::spawn_blocking(move || {
            let put = strings(&["PUT", &url]);
            [
                run_measuring_memory(&put, Some(&file), false),
                run_measuring_memory(&put, Some(&file), true),
                run_measuring_memory(&strings(&["-f", "POST", &url, "title=x", &file_item]), None, false),
            ]
        })
        .await
        .unwrap()
    };
    std::fs::remove_dir_all(&dir).unwrap();
    let [(redirected, redirected_peak), (piped, piped_peak), (form, form_peak)] = runs;
    for (name, output, peak_kib) in [
        ("stdin from a file", &redirected, redirected_peak),
        ("a piped stdin", &piped, piped_peak),
        ("a file item", &form, form_peak),
    ] {
        assert!(output.status.success(), "{name}: {output:?}");
        assert!(
            peak_kib > 0 && peak_kib < 40 << 10,
            "{name}: a peak of {peak_kib} KiB for a 64 MiB upload"
        );
    }
    let redirected = json(&redirected);
    assert_eq!(redirected["bytes"], LENGTH, "{redirected}");
    assert_eq!(redirected["pattern"], true, "{redirected}");
    assert_eq!(redirected["request"]["content_length"], LENGTH.to_string());

    let piped = json(&piped);
    assert_eq!(piped["bytes"], LENGTH, "{piped}");
    assert_eq!(piped["pattern"], true, "{piped}");
    assert_eq!(piped["request"]["transfer_encoding"], "chunked", "{piped}");

    let form = json(&form);
    let upload = &form["parts"][1];
    assert_eq!(form["parts"][0]["name"], "title", "{form}");
    assert_eq!(upload["filename"], "pattern.bin", "{form}");
    assert_eq!(upload["bytes"], LENGTH, "{form}");
    assert_eq!(upload["pattern"], true, "{form}");
    assert!(form["request"]["content_length"].is_string(), "a known length: {form}");
}

/// What is not a regular file of a known size still uploads: a FIFO (in
/// chunks), a /proc file that says it is empty (read whole); a directory
/// is a clear error before anything is sent. A small piped stdin is held
/// whole, so a 307 sends it again.
#[tokio::test(flavor = "multi_thread")]
async fn uploads_from_fifos_proc_files_and_small_pipes() {
    let site = TestServer::site().await.unwrap();
    let url = site.url("/upload");
    let dir = std::env::temp_dir().join(format!("unifetch-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut pipe = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            pipe.write_all(&expected_download(3 << 20)).unwrap();
        })
    };
    let from_fifo = run(strings(&["-f", "POST", &url, &format!("f@{}", fifo.display())]), None).await;
    writer.join().unwrap();
    assert!(from_fifo.status.success(), "{from_fifo:?}");
    let report = json(&from_fifo);
    assert_eq!(report["parts"][0]["bytes"], 3 << 20, "{report}");
    assert_eq!(report["parts"][0]["pattern"], true, "{report}");
    assert_eq!(report["request"]["transfer_encoding"], "chunked", "{report}");

    let from_proc = run(strings(&["-f", "POST", &url, "f@/proc/self/status"]), None).await;
    assert!(from_proc.status.success(), "{from_proc:?}");
    let report = json(&from_proc);
    assert!(report["parts"][0]["bytes"].as_u64().unwrap() > 100, "{report}");
    assert!(report["request"]["content_length"].is_string(), "read whole: {report}");

    let directory = run(strings(&["-f", "POST", &url, &format!("f@{}", dir.display())]), None).await;
    assert_eq!(directory.status.code(), Some(1), "{directory:?}");
    assert!(
        String::from_utf8_lossy(&directory.stderr).contains("a directory"),
        "{directory:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // 307 keeps the method and the body: the small stdin goes twice.
    let redirect = site.url("/redirect-to?url=/anything&status_code=307");
    let followed = run(strings(&["-F", "PUT", &redirect]), Some(b"{\"again\": true}".to_vec())).await;
    assert!(followed.status.success(), "{followed:?}");
    assert_eq!(json(&followed)["data"], "{\"again\": true}");
}

#[tokio::test(flavor = "multi_thread")]
async fn proxies_and_the_connect_timeout() {
    let site = TestServer::site().await.unwrap();
    let proxy = tinyproxy::Tinyproxy::start();
    let url = site.url("/get?via=proxy");
    let through = run(strings(&["--proxy", &format!("http:{}", proxy.url()), &url]), None).await;
    assert!(through.status.success(), "{through:?}");
    assert_eq!(json(&through)["args"]["via"], "proxy");
    assert!(proxy.log().contains("/get?via=proxy"), "went through tinyproxy");
    // For another scheme only: this http request goes direct.
    let direct = run(
        strings(&[
            "--proxy",
            &format!("https:{}", proxy.url()),
            &site.url("/get?via=direct"),
        ]),
        None,
    )
    .await;
    assert!(direct.status.success(), "{direct:?}");
    assert!(!proxy.log().contains("via=direct"));

    // A listener whose accept queue is full never completes a connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fillers: Vec<_> = (0..1024)
        .map_while(|_| {
            let filler = socket_to(port)?;
            Some(filler)
        })
        .collect();
    assert!(!fillers.is_empty());
    let started = std::time::Instant::now();
    assert!(fillers.len() < 1024, "the accept queue filled up");
    let timed_out = run(
        strings(&[
            "--connect-timeout",
            "0.5",
            "--timeout",
            "8",
            &format!("http://127.0.0.1:{port}/"),
        ]),
        None,
    )
    .await;
    assert_eq!(timed_out.status.code(), Some(2), "{timed_out:?}");
    assert!(
        String::from_utf8_lossy(&timed_out.stderr).contains("timeout: connect"),
        "{timed_out:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(listener);
}

/// A connection to `port` on 127.0.0.1, or `None` once the listener's
/// accept queue is full (the attempt does not complete within 200 ms).
fn socket_to(port: u16) -> Option<std::net::TcpStream> {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_millis(200)).ok()
}
