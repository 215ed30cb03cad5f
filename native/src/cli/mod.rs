//! The command line: a request httpie- and xh-style (`unifetch [FLAGS]
//! [METHOD] URL [ITEM…]`, see [`http`]), or one of the commands `crawl`,
//! `export`, `serve` and `demo`.

mod crawl;
mod demo;
mod http;
mod items;
mod serve;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Invalid input: a bad URL, item or option, or a failed command.
pub(crate) const EXIT_INVALID: u8 = http::EXIT_ERROR;
/// The crawl's pages all failed; the demo or the server could not run.
pub(crate) const EXIT_TRANSPORT: u8 = 2;
/// A usage error: an unknown flag or a bad value (clap's code).
const EXIT_USAGE: u8 = 2;

/// The commands besides requests.
#[derive(Parser)]
#[command(name = "unifetch", version, about = "unifetch's crawler and test site")]
pub(crate) struct Commands {
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
}

/// What the command line asks for.
pub(crate) enum Invocation {
    Command(Commands),
    Request(Box<http::args::HttpArgs>),
    /// Help or the version was printed, or a usage error was reported.
    Done(ExitCode),
}

/// Reads the command line: a command's name first means that command,
/// anything else a request. A usage error is one line on stderr.
pub(crate) fn parse(argv: Vec<OsString>) -> Invocation {
    let first = argv.get(1).and_then(|word| word.to_str());
    if matches!(first, Some("crawl" | "export" | "serve" | "demo")) {
        return Invocation::Command(Commands::parse_from(argv));
    }
    match http::args::HttpArgs::try_parse_from(argv) {
        Ok(args) => Invocation::Request(Box::new(args)),
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = error.print();
                return Invocation::Done(ExitCode::SUCCESS);
            }
            eprintln!(
                "unifetch: {} (see --help)",
                first_paragraph(&error.render().to_string())
            );
            Invocation::Done(ExitCode::from(EXIT_USAGE))
        }
    }
}

/// clap's message up to its first blank line (before its tips and usage),
/// on one line: `the following required arguments were not provided: <URL>`.
fn first_paragraph(rendered: &str) -> String {
    rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_owned()
}

pub(crate) async fn run(invocation: Invocation) -> ExitCode {
    match invocation {
        Invocation::Done(code) => code,
        Invocation::Request(args) => http::run(*args).await,
        Invocation::Command(commands) => match commands.command {
            Command::Demo => demo::run().await,
            Command::Crawl(args) => crawl::run(args).await,
            Command::Export(args) => crawl::export(args).await,
            Command::Serve(args) => serve::run(args).await,
        },
    }
}
