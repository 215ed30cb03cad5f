//! The crawl loop, driven by polling the [`Crawl`] stream: release what the
//! frontier allows, poll the fetches in flight, turn each finished fetch
//! into a record and new links, sleep on the session's timer until the next
//! host may be contacted.
//!
//! ```text
//!            ┌──────── links, callback URLs (scope, depth, dedup) ◀─────┐
//!            ▼                                                          │
//! seeds → Frontier ──(per host: robots, cap, delay)──▶ fetches in flight ─┴─▶ PageRecord
//!            ▲                                        (≤ concurrency)
//!            └── timer: wake when the next host's delay is over
//! ```

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::stream::FuturesUnordered;
use futures_util::task::AtomicWaker;
use futures_util::{Future, Stream, StreamExt};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use url::Url;
use web_time::Instant;

use super::frontier::{Frontier, Job, Next, Rules};
use super::record::{Page, PageRecord, Summary};
use super::seen::{normalize, UrlSet};
use super::{html, OnPage, Scope, Settings};
use crate::transport::BoxFuture;
use crate::{ContentType, Error, Session};

/// A running crawl: a [`Stream`] of [`PageRecord`]s, in the order pages finish.
///
/// The crawl makes progress only while the stream is polled. When it ends,
/// [`summary`](Crawl::summary) is final.
#[must_use = "a crawl does nothing unless its stream is polled"]
pub struct Crawl {
    session: Session,
    settings: Settings,
    on_page: Option<Arc<dyn OnPage>>,
    scope: Scope,
    frontier: Frontier,
    seen: UrlSet,
    in_flight: FuturesUnordered<BoxFuture<'static, Fetched>>,
    wake: Option<(Instant, BoxFuture<'static, ()>)>,
    ready: VecDeque<PageRecord>,
    summary: Summary,
    started: Instant,
    dispatched: u64,
    stop: Arc<StopSignal>,
}

/// Stops a [`Crawl`] from anywhere (another task, a Ctrl-C handler): nothing
/// new starts; pages in flight finish and are still delivered.
#[derive(Debug, Clone)]
pub struct StopHandle {
    signal: Arc<StopSignal>,
}

#[derive(Debug, Default)]
struct StopSignal {
    stopped: AtomicBool,
    waker: AtomicWaker,
}

impl StopHandle {
    /// Asks the crawl to stop.
    pub fn stop(&self) {
        self.signal.stopped.store(true, Ordering::Release);
        self.signal.waker.wake();
    }
}

/// What one fetch brought back.
struct Fetched {
    what: Fetch,
    result: Result<Response, Error>,
    elapsed: Duration,
}

enum Fetch {
    Page(Job),
    Robots(String),
}

struct Response {
    status: StatusCode,
    final_url: Url,
    headers: HeaderMap,
    body: Bytes,
    too_large: bool,
}

impl Crawl {
    pub(crate) fn start(
        session: Session,
        settings: Settings,
        on_page: Option<Arc<dyn OnPage>>,
        seeds: Vec<Url>,
    ) -> Crawl {
        let scope = settings.scope.clone().resolve(&seeds);
        let frontier = Frontier::new(Rules {
            per_host: settings.per_host,
            delay: settings.delay,
            throttle: settings.throttle,
            obey_robots: settings.obey_robots,
        });
        let mut crawl = Crawl {
            session,
            settings,
            on_page,
            scope,
            frontier,
            seen: UrlSet::default(),
            in_flight: FuturesUnordered::new(),
            wake: None,
            ready: VecDeque::new(),
            summary: Summary::default(),
            started: Instant::now(),
            dispatched: 0,
            stop: Arc::default(),
        };
        for seed in seeds {
            crawl.enqueue(seed, 0);
        }
        crawl
    }

    /// A handle that stops this crawl.
    pub fn stopper(&self) -> StopHandle {
        StopHandle {
            signal: self.stop.clone(),
        }
    }

    /// Where the crawl stands now (final once the stream has ended).
    pub fn summary(&self) -> Summary {
        let mut summary = self.summary.clone();
        summary.in_flight = self.in_flight.len();
        summary.queued = self.frontier.queued();
        summary.disallowed = self.frontier.disallowed();
        summary.seen = self.seen.len() as u64;
        if !summary.finished {
            summary.set_elapsed(self.started.elapsed());
        }
        summary
    }

    /// Queues `url` found at `depth` if it is new, in scope and not too deep.
    fn enqueue(&mut self, url: Url, depth: u32) {
        let url = normalize(&url);
        let too_deep = self.settings.max_depth.is_some_and(|max| depth > max);
        if too_deep || !self.scope.contains(&url) {
            self.summary.out_of_scope += 1;
            return;
        }
        if !self.seen.insert(&url) {
            self.summary.duplicates += 1;
            return;
        }
        self.frontier.push(Job { url, depth });
    }

    fn stopped(&self) -> bool {
        self.stop.stopped.load(Ordering::Acquire)
    }

    fn out_of_pages(&self) -> bool {
        self.settings.max_pages.is_some_and(|max| self.dispatched >= max)
    }

    /// Starts fetches until the concurrency or the frontier says stop; arms
    /// the wake-up timer when the frontier is waiting on a delay.
    fn dispatch(&mut self) {
        if self.stopped() || self.out_of_pages() {
            self.frontier.clear();
            return;
        }
        while self.in_flight.len() < self.settings.concurrency && !self.out_of_pages() {
            let now = Instant::now();
            match self.frontier.next(now) {
                Next::Page(job) => {
                    self.dispatched += 1;
                    let fetch = fetch(self.session.clone(), job.url.clone(), self.settings.max_page_bytes);
                    self.in_flight.push(timed(Fetch::Page(job), fetch));
                }
                Next::Robots { host, url } => {
                    let fetch = fetch(self.session.clone(), url, 512 * 1024);
                    self.in_flight.push(timed(Fetch::Robots(host), fetch));
                }
                Next::WaitUntil(at) => {
                    if self.wake.as_ref().is_none_or(|(armed, _)| at < *armed) {
                        let sleep = self.session.timer().sleep(at.saturating_duration_since(now));
                        self.wake = Some((at, sleep));
                    }
                    return;
                }
                Next::Idle => return,
            }
        }
    }

    /// Turns a finished fetch into frontier updates, new URLs and a record.
    fn finish(&mut self, fetched: Fetched) {
        let job = match fetched.what {
            Fetch::Robots(host) => {
                let robots = robots_from(&fetched.result, &self.settings.robots_agent);
                self.frontier.robots_known(&host, robots);
                return;
            }
            Fetch::Page(job) => job,
        };
        let ok = matches!(&fetched.result, Ok(r) if !r.too_large && !is_error_status(r.status));
        self.frontier.finished(&job.url, fetched.elapsed, ok);
        let record = match fetched.result {
            Ok(response) => self.record_response(&job, response, fetched.elapsed),
            Err(error) => failed_record(&job, &error, fetched.elapsed),
        };
        self.summary.pages += 1;
        self.summary.bytes += record.bytes;
        match &record.error {
            None => self.summary.ok += 1,
            Some(kind) => *self.summary.errors.entry(kind.clone()).or_default() += 1,
        }
        self.ready.push_back(record);
    }

    fn record_response(&mut self, job: &Job, response: Response, elapsed: Duration) -> PageRecord {
        let final_url = normalize(&response.final_url);
        if final_url != job.url {
            self.seen.insert(&final_url);
        }
        let mut record = PageRecord::new(job.url.clone(), response.final_url.clone(), job.depth, elapsed);
        record.status = Some(response.status.as_u16());
        record.bytes = response.body.len() as u64;
        record.content_type = response
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if response.too_large {
            let message = format!("page larger than {} bytes", self.settings.max_page_bytes);
            return record.failed("too_large", message);
        }
        if is_error_status(response.status) {
            return record.failed("status", format!("HTTP status {}", response.status));
        }
        if record
            .content_type
            .as_deref()
            .and_then(ContentType::parse)
            .is_some_and(|ct| ct.is_html())
        {
            let facts = html::parse(&response.body, &response.final_url);
            record.title = facts.title;
            record.links = facts.links;
        }
        self.follow(job, &response, &record.links);
        record
    }

    /// Queues what a successful page leads to: its links (when links are
    /// followed) and the URLs the callback returns, one step deeper.
    fn follow(&mut self, job: &Job, response: &Response, links: &[Url]) {
        let next_depth = job.depth + 1;
        if self.settings.follow_links {
            for link in links {
                self.enqueue(link.clone(), next_depth);
            }
        }
        if let Some(on_page) = self.on_page.clone() {
            let page = Page {
                url: &job.url,
                final_url: &response.final_url,
                status: response.status,
                depth: job.depth,
                headers: &response.headers,
                body: &response.body,
            };
            for url in on_page(&page) {
                self.enqueue(url, next_depth);
            }
        }
    }
}

impl Stream for Crawl {
    type Item = PageRecord;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<PageRecord>> {
        let this = &mut *self;
        this.stop.waker.register(cx.waker());
        loop {
            if let Some(record) = this.ready.pop_front() {
                return Poll::Ready(Some(record));
            }
            if this.summary.finished {
                return Poll::Ready(None);
            }
            this.dispatch();
            match this.in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some(fetched)) => {
                    this.finish(fetched);
                    continue;
                }
                Poll::Ready(None) if this.frontier.queued() == 0 || this.stopped() || this.out_of_pages() => {
                    this.summary.stopped = this.stopped();
                    this.summary.set_elapsed(this.started.elapsed());
                    this.summary.finished = true;
                    continue;
                }
                Poll::Ready(None) | Poll::Pending => {}
            }
            if let Some((_, sleep)) = &mut this.wake {
                if sleep.as_mut().poll(cx).is_ready() {
                    this.wake = None;
                    continue;
                }
            }
            return Poll::Pending;
        }
    }
}

impl std::fmt::Debug for Crawl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crawl")
            .field("summary", &self.summary())
            .finish_non_exhaustive()
    }
}

fn is_error_status(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

/// Runs `fetch`, measuring how long it took.
fn timed(
    what: Fetch,
    fetch: impl Future<Output = Result<Response, Error>> + crate::transport::MaybeSend + 'static,
) -> BoxFuture<'static, Fetched> {
    Box::pin(async move {
        let started = Instant::now();
        let result = fetch.await;
        Fetched {
            what,
            result,
            elapsed: started.elapsed(),
        }
    })
}

/// GETs `url` and reads at most `max_bytes` of its body.
async fn fetch(session: Session, url: Url, max_bytes: usize) -> Result<Response, Error> {
    let mut response = session.get(url.as_str()).send().await?;
    let status = response.status();
    let final_url = response.url().clone();
    let headers = response.headers().clone();
    let mut body = BytesMut::new();
    let mut too_large = false;
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max_bytes {
            too_large = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        final_url,
        headers,
        body: body.freeze(),
        too_large,
    })
}

fn failed_record(job: &Job, error: &Error, elapsed: Duration) -> PageRecord {
    PageRecord::new(job.url.clone(), job.url.clone(), job.depth, elapsed)
        .failed(error.kind_name(), format!("{error:#}"))
}

/// robots.txt rules per RFC 9309: a 4xx means no rules, a 5xx or a network
/// failure means everything is disallowed (for this crawl).
fn robots_from(result: &Result<Response, Error>, agent: &str) -> robotxt::Robots {
    use robotxt::AccessResult;
    let access = match result {
        Ok(r) if r.status.is_success() => AccessResult::Successful(&r.body),
        Ok(r) if r.status.is_client_error() => AccessResult::Unavailable,
        Ok(_) | Err(_) => AccessResult::Unreachable,
    };
    robotxt::Robots::from_access(access, agent)
}
