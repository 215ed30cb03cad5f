//! `unifetch`: send HTTP requests httpie-style, and serve the test site.
//!
//! ```text
//! unifetch serve [--port 8080]
//! unifetch get  http://127.0.0.1:8080/get name==钢铁知识库 X-Trace:abc
//! unifetch post http://127.0.0.1:8080/post hello=world count:=3
//! ```
//!
//! Exit codes: 0 success, 1 invalid input, 2 transport error (connect,
//! timeout, broken body), 4 HTTP 4xx, 5 HTTP 5xx.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("unifetch: cannot start the async runtime: {e}");
            return ExitCode::from(cli::EXIT_INVALID);
        }
    };
    runtime.block_on(cli::run(args))
}
