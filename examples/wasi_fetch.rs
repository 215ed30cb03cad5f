//! A WASI command: fetch a URL with a timeout and print the status and the
//! JSON body. The client code (`fetch`) is the same portable code as on
//! every other target; only `main` picks the executor of its platform.
//!
//! ```text
//! cargo build --release --target wasm32-wasip2 --example wasi_fetch
//! wasmtime run -S http target/wasm32-wasip2/release/examples/wasi_fetch.wasm \
//!     http://127.0.0.1:8080/get 5
//! ```
//!
//! Arguments: the URL, and the total timeout in seconds (default 10).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use unifetch::{Session, Timeout};

/// Fetches `url` and prints what came back; the exit code says how it went.
async fn fetch(url: &str, timeout: Duration) -> ExitCode {
    let session = match Session::builder().timeout(Timeout::total(timeout)).build() {
        Ok(session) => session,
        Err(error) => return fail(&error),
    };
    let response = match session.get(url).send().await {
        Ok(response) => response,
        Err(error) => return fail(&error),
    };
    let head = format!("{:?} {}", response.version(), response.status());
    let ok = response.status().is_success();
    let json = match response.json::<serde_json::Value>().await {
        Ok(json) => json,
        Err(error) => return fail(&error),
    };
    // A closed stdout (`| head`) is not worth a panic.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{head}\n{}",
        serde_json::to_string_pretty(&json).unwrap_or_default()
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(4)
    }
}

fn fail(error: &unifetch::Error) -> ExitCode {
    eprintln!("error ({}): {error}", error.kind_name());
    if let Some(cause) = std::error::Error::source(error) {
        eprintln!("  caused by: {cause}");
    }
    ExitCode::from(2)
}

fn arguments() -> Option<(String, Duration)> {
    let mut args = std::env::args().skip(1);
    let url = args.next()?;
    let seconds: f64 = args.next().map_or(Some(10.0), |s| s.parse().ok())?;
    Some((url, Duration::try_from_secs_f64(seconds).ok()?))
}

#[cfg(target_os = "wasi")]
fn main() -> ExitCode {
    let Some((url, timeout)) = arguments() else {
        eprintln!("usage: wasi_fetch URL [TIMEOUT_SECONDS]");
        return ExitCode::from(1);
    };
    wstd::runtime::block_on(fetch(&url, timeout))
}

#[cfg(not(target_os = "wasi"))]
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some((url, timeout)) = arguments() else {
        eprintln!("usage: wasi_fetch URL [TIMEOUT_SECONDS]");
        return ExitCode::from(1);
    };
    fetch(&url, timeout).await
}
