//! `unifetch crawl URL…`: a polite crawl with a live progress bar (plain
//! progress lines when stderr is not a terminal), records written as JSON
//! lines, and a summary table. Ctrl-C stops cleanly: pages in flight finish
//! and are written before the output is flushed.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use unifetch::crawl::{Crawl, Crawler, Summary};
use unifetch::{Session, Timeout};

use super::{EXIT_INVALID, EXIT_TRANSPORT};

/// The User-Agent of crawls started from the command line.
pub(crate) const CRAWLER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 unifetch/0.1";

#[derive(Args)]
pub(crate) struct CrawlArgs {
    /// Where to start (links are followed on the same hosts).
    #[arg(required = true)]
    urls: Vec<String>,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Requests in flight to one host at most.
    #[arg(long, default_value_t = 8)]
    per_host: usize,
    /// Milliseconds between two requests to one host.
    #[arg(long, default_value_t = 0)]
    delay: u64,
    /// Follow links at most this many steps from the start URLs.
    #[arg(long)]
    depth: Option<u32>,
    /// Fetch at most this many pages.
    #[arg(long)]
    max_pages: Option<u64>,
    /// Write one JSON record per page to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Ignore robots.txt.
    #[arg(long)]
    no_robots: bool,
    /// Total timeout per request, in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
}

pub(crate) async fn run(args: CrawlArgs) -> ExitCode {
    let crawl = match start(&args) {
        Ok(crawl) => crawl,
        Err(error) => {
            eprintln!("unifetch crawl: {error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let out = match args.out.as_ref().map(File::create).transpose() {
        Ok(out) => out.map(BufWriter::new),
        Err(error) => {
            eprintln!(
                "unifetch crawl: cannot write {}: {error}",
                args.out.unwrap_or_default().display()
            );
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let summary = drive(crawl, out, "crawl").await;
    print_summary("crawl", &summary);
    if summary.ok == 0 && summary.pages > 0 {
        ExitCode::from(EXIT_TRANSPORT)
    } else {
        ExitCode::SUCCESS
    }
}

fn start(args: &CrawlArgs) -> unifetch::Result<Crawl> {
    let timeout = Timeout {
        total: Some(Duration::try_from_secs_f64(args.timeout).unwrap_or(Duration::from_secs(30))),
        ..Timeout::default()
    };
    let session = Session::builder()
        .header("User-Agent", CRAWLER_AGENT)
        .timeout(timeout)
        .build()?;
    let mut crawler = Crawler::new(session)
        .concurrency(args.concurrency)
        .per_host(args.per_host)
        .delay(Duration::from_millis(args.delay))
        .obey_robots(!args.no_robots);
    if let Some(depth) = args.depth {
        crawler = crawler.max_depth(depth);
    }
    if let Some(max) = args.max_pages {
        crawler = crawler.max_pages(max);
    }
    crawler.crawl(&args.urls)
}

/// Runs `crawl` to its end with progress on stderr, writing records to
/// `out`; Ctrl-C stops it cleanly. Returns the final summary.
pub(crate) async fn drive(mut crawl: Crawl, mut out: Option<BufWriter<File>>, label: &str) -> Summary {
    let stopper = crawl.stopper();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: letting the requests in flight finish…");
            stopper.stop();
        }
    });
    let progress = Progress::new(label);
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            record = crawl.next() => {
                let Some(record) = record else { break };
                if let Some(out) = out.as_mut() {
                    if let Err(error) = serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::from).and_then(|()| out.write_all(b"\n")) {
                        eprintln!("unifetch crawl: writing a record failed: {error}");
                    }
                }
            }
            _ = ticker.tick() => progress.show(&crawl.summary()),
        }
    }
    ctrl_c.abort();
    if let Some(out) = out.as_mut() {
        if let Err(error) = out.flush() {
            eprintln!("unifetch crawl: flushing the output failed: {error}");
        }
    }
    let summary = crawl.summary();
    progress.finish(&summary);
    summary
}

/// A progress bar on a terminal, a line per second otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    last_line: std::cell::Cell<f64>,
}

impl Progress {
    fn new(label: &str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            let style = ProgressStyle::with_template("{spinner} {prefix:>6} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.set_prefix(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Progress {
            bar,
            label: label.to_owned(),
            last_line: std::cell::Cell::new(0.0),
        }
    }

    fn show(&self, summary: &Summary) {
        let line = status_line(summary);
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None if summary.elapsed_secs - self.last_line.get() >= 1.0 => {
                self.last_line.set(summary.elapsed_secs);
                eprintln!("{} {:6.1}s {line}", self.label, summary.elapsed_secs);
            }
            None => {}
        }
    }

    fn finish(&self, summary: &Summary) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(status_line(summary)),
            None => eprintln!("{} {:6.1}s {}", self.label, summary.elapsed_secs, status_line(summary)),
        }
    }
}

fn status_line(summary: &Summary) -> String {
    format!(
        "pages {} | in flight {} | queued {} | errors {} | {:.1} pages/s",
        summary.pages,
        summary.in_flight,
        summary.queued,
        summary.error_count(),
        summary.pages_per_second
    )
}

/// The summary as a two-column table on stdout.
pub(crate) fn print_summary(title: &str, summary: &Summary) {
    let mut rows = vec![
        ("pages".to_owned(), summary.pages.to_string()),
        ("ok".to_owned(), summary.ok.to_string()),
    ];
    for (kind, count) in &summary.errors {
        rows.push((format!("errors: {kind}"), count.to_string()));
    }
    rows.extend([
        ("bytes".to_owned(), summary.bytes.to_string()),
        ("elapsed".to_owned(), format!("{:.2} s", summary.elapsed_secs)),
        ("pages/s".to_owned(), format!("{:.1}", summary.pages_per_second)),
        ("disallowed by robots.txt".to_owned(), summary.disallowed.to_string()),
        ("duplicate links".to_owned(), summary.duplicates.to_string()),
        ("out-of-scope links".to_owned(), summary.out_of_scope.to_string()),
        (
            "stopped early".to_owned(),
            if summary.stopped { "yes" } else { "no" }.to_owned(),
        ),
    ]);
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    println!("\n{title}");
    println!("{}", "─".repeat(width + 14));
    for (name, value) in rows {
        println!("{name:<width$}  {value:>12}");
    }
}
