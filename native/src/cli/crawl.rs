//! `unifetch crawl URL…`: a polite crawl with a live progress bar (plain
//! progress lines when stderr is not a terminal), records written as JSON
//! lines, and a summary table; `unifetch export`: the records a store
//! holds.
//!
//! With `--store FILE` the crawl lives in a SQLite file and the same
//! command resumes it; with `--store redis://… --name NAME` any number of
//! processes share it. SIGINT and SIGTERM stop cleanly (pages in flight
//! finish, the rest goes back to the store) and the process exits 130 or
//! 143; a second signal abandons the pages in flight at once. Records are
//! written to `--out` one whole line per write, once the store has them.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::signal::unix::{signal, SignalKind};
use unifetch::crawl::store::{RedisStore, SqliteStore};
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
    /// Write one JSON record per page to this file (appended to with --store).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Ignore robots.txt.
    #[arg(long)]
    no_robots: bool,
    /// Total timeout per request, in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Keep the crawl in a SQLite file (a path: it survives a crash, and
    /// the same command resumes it), or in Redis
    /// (`redis://HOST:PORT/DB`, with --name: any number of processes on any
    /// machines share the crawl).
    #[arg(long, value_name = "STORE")]
    store: Option<String>,
    /// The crawl's name in a Redis store: workers with the same name share it.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Seconds a page stays leased to a Redis worker before another one may
    /// take it (when the first died).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    lease: f64,
    /// Send this header with every request (`Name: value`; repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The crawl's store: a SQLite file, or `redis://HOST:PORT/DB` with --name.
    #[arg(long, value_name = "STORE")]
    store: String,
    /// The crawl's name in a Redis store.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Write the records here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// SIGINT's exit code (128 + 2).
const EXIT_SIGINT: u8 = 130;
/// SIGTERM's exit code (128 + 15).
const EXIT_SIGTERM: u8 = 143;

pub(crate) async fn run(args: CrawlArgs) -> ExitCode {
    let (crawl, file_store) = match start(&args).await {
        Ok(started) => started,
        Err(error) => {
            eprintln!("unifetch crawl: {error}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let out = match &args.out {
        None => None,
        Some(path) => match open_out(path, args.store.is_some(), file_store).await {
            Ok(out) => Some(out),
            Err(error) => {
                eprintln!("unifetch crawl: cannot write {}: {error}", path.display());
                return ExitCode::from(EXIT_INVALID);
            }
        },
    };
    let driven = drive(crawl, out, "crawl").await;
    if driven.abandoned {
        eprintln!("unifetch crawl: abandoned the pages in flight");
    } else {
        print_summary("crawl", &driven.summary);
    }
    if let Some(error) = &driven.summary.store_error {
        eprintln!("unifetch crawl: the store failed: {error}");
        return ExitCode::from(EXIT_INVALID);
    }
    match driven.signal {
        Some(code) => ExitCode::from(code),
        None if driven.summary.ok == 0 && driven.summary.pages > 0 => ExitCode::from(EXIT_TRANSPORT),
        None => ExitCode::SUCCESS,
    }
}

/// `unifetch export`: every record of a store as JSON lines.
pub(crate) async fn export(args: ExportArgs) -> ExitCode {
    let out: Box<dyn Write + Send> = match &args.out {
        None => Box::new(std::io::stdout()),
        Some(path) => match File::create(path) {
            Ok(file) => Box::new(std::io::BufWriter::new(file)),
            Err(error) => {
                eprintln!("unifetch export: cannot write {}: {error}", path.display());
                return ExitCode::from(EXIT_INVALID);
            }
        },
    };
    let exported = match Store::parse(&args.store, args.name.as_deref()) {
        Ok(Store::Sqlite(path)) => match SqliteStore::open(path) {
            Ok(store) => store.export(out).await.map_err(|e| format!("{e:#}")),
            Err(error) => Err(format!("{error:#}")),
        },
        Ok(Store::Redis { url, name }) => match RedisStore::connect(url, name).await {
            Ok(store) => store.export(out).await.map_err(|e| format!("{e:#}")),
            Err(error) => Err(format!("{error:#}")),
        },
        Err(usage) => Err(usage),
    };
    match exported {
        Ok(records) => {
            if args.out.is_some() {
                eprintln!("{records} records");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("unifetch export: {error}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

/// The `--out` file: truncated, or appended to when the crawl resumes
/// from a store (the earlier run's lines are its records). With a crawl
/// file, a torn last line is cut and the records the store holds beyond
/// the file's lines are added first: a process killed after its store
/// committed records, before it wrote them, leaves them out.
async fn open_out(path: &Path, append: bool, store: Option<SqliteStore>) -> Result<File, String> {
    let mut options = OpenOptions::new();
    options.create(true);
    if append {
        options.read(true).append(true);
    } else {
        options.write(true).truncate(true);
    }
    let file = options.open(path).map_err(|e| e.to_string())?;
    let Some(store) = store else { return Ok(file) };
    let lines = whole_lines(&file).map_err(|e| e.to_string())?;
    let copy = file.try_clone().map_err(|e| e.to_string())?;
    store
        .export_after(lines, std::io::BufWriter::new(copy))
        .await
        .map_err(|e| format!("{e:#}"))?;
    Ok(file)
}

/// How many whole lines `file` holds, once a torn last line (a write cut
/// short by a kill) is cut off.
fn whole_lines(file: &File) -> std::io::Result<u64> {
    let mut lines = 0;
    let mut whole = 0;
    let mut read = 0;
    let mut reader = std::io::BufReader::new(file);
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            break;
        }
        if let Some(last) = buffer.iter().rposition(|&byte| byte == b'\n') {
            lines += buffer.iter().filter(|&&byte| byte == b'\n').count() as u64;
            whole = read + last as u64 + 1;
        }
        read += buffer.len() as u64;
        let used = buffer.len();
        reader.consume(used);
    }
    if whole < read {
        file.set_len(whole)?;
    }
    Ok(lines)
}

/// Where `--store` says the crawl lives.
enum Store<'a> {
    Sqlite(&'a str),
    Redis { url: &'a str, name: &'a str },
}

impl<'a> Store<'a> {
    /// The store named by `--store` (and `--name`), or a usage error.
    fn parse(store: &'a str, name: Option<&'a str>) -> Result<Store<'a>, String> {
        let redis = store.starts_with("redis://") || store.starts_with("rediss://");
        match (redis, name) {
            (false, None) => Ok(Store::Sqlite(store)),
            (true, Some(name)) => Ok(Store::Redis { url: store, name }),
            (true, None) => Err("a Redis store needs --name (the crawl's name)".to_owned()),
            (false, Some(_)) => Err("--name is for Redis stores (redis://…)".to_owned()),
        }
    }
}

/// The crawl the arguments describe (with its crawl file, if it has one),
/// or why not (a usage error, or the library's error in full).
async fn start(args: &CrawlArgs) -> Result<(Crawl, Option<SqliteStore>), String> {
    let failed = |error: unifetch::Error| format!("{error:#}");
    let timeout = Timeout {
        total: Some(Duration::try_from_secs_f64(args.timeout).unwrap_or(Duration::from_secs(30))),
        ..Timeout::default()
    };
    let mut session = Session::builder().header("User-Agent", CRAWLER_AGENT).timeout(timeout);
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(format!("--header {header:?} is not `Name: value`"));
        };
        session = session.header(name.trim(), value.trim());
    }
    let mut crawler = Crawler::new(session.build().map_err(failed)?)
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
    let mut file_store = None;
    match args
        .store
        .as_deref()
        .map(|store| Store::parse(store, args.name.as_deref()))
        .transpose()?
    {
        None => {}
        Some(Store::Sqlite(path)) => {
            let store = SqliteStore::open(path).map_err(failed)?;
            file_store = Some(store.clone());
            crawler = crawler.store(store);
        }
        Some(Store::Redis { url, name }) => {
            let lease = Duration::try_from_secs_f64(args.lease).map_err(|e| format!("--lease {}: {e}", args.lease))?;
            let store = RedisStore::connect(url, name).await.map_err(failed)?;
            crawler = crawler.store(store.lease(lease));
        }
    }
    Ok((crawler.crawl(&args.urls).map_err(failed)?, file_store))
}

/// How a driven crawl ended.
pub(crate) struct Driven {
    pub(crate) summary: Summary,
    /// The exit code of the signal that stopped it, if one did.
    pub(crate) signal: Option<u8>,
    /// A second signal abandoned the pages in flight.
    pub(crate) abandoned: bool,
}

/// Runs `crawl` to its end with progress on stderr, writing each record to
/// `out` as one line in one write. The first SIGINT or SIGTERM stops it
/// cleanly, a second abandons what is in flight.
pub(crate) async fn drive(mut crawl: Crawl, mut out: Option<File>, label: &str) -> Driven {
    let stopper = crawl.stopper();
    let (mut interrupts, mut terminations) = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(interrupts), Ok(terminations)) => (interrupts, terminations),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("unifetch: cannot handle signals ({error}); Ctrl-C will not stop cleanly");
            return Driven {
                summary: crawl.summary(),
                signal: None,
                abandoned: true,
            };
        }
    };
    let progress = Progress::new(label);
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    let mut signalled = None;
    let mut abandoned = false;
    let mut line = Vec::with_capacity(1024);
    loop {
        let received = tokio::select! {
            record = crawl.next() => {
                let Some(record) = record else { break };
                if let Some(file) = out.as_mut() {
                    line.clear();
                    let written = serde_json::to_writer(&mut line, &record)
                        .map_err(std::io::Error::from)
                        .and_then(|()| {
                            line.push(b'\n');
                            file.write_all(&line)
                        });
                    if let Err(error) = written {
                        eprintln!("unifetch crawl: writing a record failed: {error}");
                    }
                }
                None
            }
            _ = interrupts.recv() => Some(EXIT_SIGINT),
            _ = terminations.recv() => Some(EXIT_SIGTERM),
            _ = ticker.tick() => {
                progress.show(&crawl.summary());
                None
            }
        };
        if let Some(code) = received {
            if signalled.is_some() {
                abandoned = true;
                break;
            }
            signalled = Some(code);
            progress.note(
                "stopping: the requests in flight finish, the rest goes back to the store (again to abandon them)",
            );
            stopper.stop();
        }
    }
    let summary = crawl.summary();
    progress.finish(&summary);
    Driven {
        summary,
        signal: signalled,
        abandoned,
    }
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

    /// A message above the progress.
    fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(message),
            None => eprintln!("{message}"),
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
    let mut line = format!(
        "pages {} | in flight {} | queued {} | errors {} | {:.1} pages/s",
        summary.pages,
        summary.in_flight,
        summary.queued,
        summary.error_count(),
        summary.pages_per_second
    );
    if summary.resumed_pages > 0 || summary.resumed_queued > 0 {
        line.push_str(&format!(
            " | resumed: {} done, {} queued",
            summary.resumed_pages, summary.resumed_queued
        ));
    }
    if summary.workers > 1 {
        line.push_str(&format!(" | workers {}", summary.workers));
    }
    line
}

/// The summary as a two-column table on stdout.
pub(crate) fn print_summary(title: &str, summary: &Summary) {
    let mut rows = vec![
        ("pages".to_owned(), summary.pages.to_string()),
        ("ok".to_owned(), summary.ok.to_string()),
    ];
    if summary.resumed_pages > 0 || summary.resumed_queued > 0 {
        rows.push(("resumed: done before".to_owned(), summary.resumed_pages.to_string()));
        rows.push(("resumed: queued before".to_owned(), summary.resumed_queued.to_string()));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_cut_and_whole_lines_counted() {
        let path = std::env::temp_dir().join(format!("unifetch-torn-{}.jsonl", std::process::id()));
        for (text, lines, kept) in [
            ("{\"a\":1}\n{\"b\":2}\n{\"c\"", 2, "{\"a\":1}\n{\"b\":2}\n"),
            ("{\"a\":1}\n", 1, "{\"a\":1}\n"),
            ("{\"torn", 0, ""),
            ("", 0, ""),
        ] {
            std::fs::write(&path, text).unwrap();
            let file = OpenOptions::new().read(true).append(true).open(&path).unwrap();
            assert_eq!(whole_lines(&file).unwrap(), lines, "{text:?}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), kept);
        }
        std::fs::remove_file(&path).unwrap();
    }
}
