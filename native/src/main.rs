//! `unifetch`: HTTP requests httpie- and xh-style, a crawler, and the
//! test site.
//!
//! ```text
//! unifetch serve [--port 8080]
//! unifetch :8080/get name==钢铁知识库 X-Trace:abc
//! unifetch post :8080/post hello=world count:=3
//! unifetch crawl http://127.0.0.1:8080/web/200/ --out pages.jsonl
//! ```
//!
//! Exit codes: 0 success, 1 error, 2 timeout or usage error, 3/4/5 a
//! 3xx/4xx/5xx with --check-status, 6 too many redirects, 130 interrupted.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let invocation = cli::parse(std::env::args_os().collect());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("unifetch: cannot start the async runtime: {e}");
            return ExitCode::from(cli::EXIT_INVALID);
        }
    };
    runtime.block_on(cli::run(invocation))
}
