//! The command line: argument definitions and dispatch.

mod crawl;
mod demo;
mod items;
mod send;
mod serve;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Invalid input: a bad URL, item or option.
pub(crate) const EXIT_INVALID: u8 = 1;
/// The request failed before a complete response: connect, timeout, broken body.
pub(crate) const EXIT_TRANSPORT: u8 = 2;
/// The server answered 4xx.
pub(crate) const EXIT_CLIENT_ERROR: u8 = 4;
/// The server answered 5xx.
pub(crate) const EXIT_SERVER_ERROR: u8 = 5;

#[derive(Parser)]
#[command(
    name = "unifetch",
    version,
    about = "HTTP requests httpie-style, and unifetch's test site"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the demo site and crawl it: the HTML site, then the guide's novel API.
    Demo,
    /// Crawl from the given URLs, politely, with a live progress bar.
    Crawl(crawl::CrawlArgs),
    /// Write every record of a crawl store as JSON lines.
    Export(crawl::ExportArgs),
    /// Serve the test site (httpbin-compatible API, novel API, demo site, faults, counters).
    Serve(serve::ServeArgs),
    /// Send a GET request.
    Get(RequestArgs),
    /// Send a POST request.
    Post(RequestArgs),
    /// Send a PUT request.
    Put(RequestArgs),
    /// Send a PATCH request.
    Patch(RequestArgs),
    /// Send a DELETE request.
    Delete(RequestArgs),
    /// Send a HEAD request.
    Head(RequestArgs),
    /// Send an OPTIONS request.
    Options(RequestArgs),
}

/// One request, httpie-style.
#[derive(Args)]
pub(crate) struct RequestArgs {
    /// The URL (`http://` is assumed when no scheme is given).
    url: String,
    /// `name==value` query parameter, `field=value` body field, `field:=json`
    /// raw JSON field, `Header:value` header.
    items: Vec<String>,
    /// Total timeout in seconds.
    #[arg(long, value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Send body fields as JSON (the default).
    #[arg(long, conflicts_with = "form")]
    json: bool,
    /// Send body fields as `application/x-www-form-urlencoded`.
    #[arg(long)]
    form: bool,
    /// Print the request line, each retry and each redirect hop (stderr).
    #[arg(short, long)]
    verbose: bool,
    /// Retry failed requests up to N times (idempotent methods; default 0).
    #[arg(long, value_name = "N", default_value_t = 0)]
    retry: u32,
    /// Send the request through this proxy: `http://user:pass@host:port`,
    /// `https://` (TLS to the proxy), `socks5://` (names resolved here) or
    /// `socks5h://` (the proxy resolves them).
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// Use HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY from the environment.
    #[arg(long)]
    trust_env: bool,
    /// Also trust the certificates in this PEM file: authorities, or the
    /// server's own (a self-signed one is trusted for its names).
    #[arg(long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,
    /// Present this client certificate (PEM chain; the key may follow it in
    /// the same file) to servers that ask for one (mutual TLS).
    #[arg(long, value_name = "FILE")]
    cert: Option<std::path::PathBuf>,
    /// The client certificate's private key (PEM), if not in the --cert file.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<std::path::PathBuf>,
    /// Do not verify TLS certificates (dangerous: for test servers only).
    #[arg(long)]
    insecure: bool,
    /// Follow at most N redirects (0: do not follow).
    #[arg(long, value_name = "N", default_value_t = 10)]
    max_redirects: usize,
    /// Read cookies from this file and save them back after the request.
    #[arg(long, value_name = "FILE")]
    cookie_jar: Option<std::path::PathBuf>,
    /// Do not decode gzip, deflate, br or zstd bodies.
    #[arg(long)]
    no_decompress: bool,
    /// Refuse response bodies larger than this many bytes (after decoding).
    #[arg(long, value_name = "BYTES")]
    max_body: Option<u64>,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|e| format!("{text:?} is not a number of seconds: {e}"))?;
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

pub(crate) async fn run(cli: Cli) -> ExitCode {
    use unifetch::Method;
    let (method, args) = match cli.command {
        Command::Demo => return demo::run().await,
        Command::Crawl(args) => return crawl::run(args).await,
        Command::Export(args) => return crawl::export(args).await,
        Command::Serve(args) => return serve::run(args).await,
        Command::Get(args) => (Method::GET, args),
        Command::Post(args) => (Method::POST, args),
        Command::Put(args) => (Method::PUT, args),
        Command::Patch(args) => (Method::PATCH, args),
        Command::Delete(args) => (Method::DELETE, args),
        Command::Head(args) => (Method::HEAD, args),
        Command::Options(args) => (Method::OPTIONS, args),
    };
    send::run(method, args).await
}
