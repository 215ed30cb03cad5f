//! The crawl loop, driven by polling the [`Crawl`] stream: lease pages
//! from the store, release what the frontier allows, poll the fetches and
//! the store's replies, turn each finished fetch into a record and new
//! links (delivered once the store has them), sleep on the session's timer
//! until the next host may be contacted.
//!
//! ```text
//!        ┌────────── finish: record + links found (scope, depth) ◀───────────┐
//!        ▼                                                                   │
//! seeds → store ──take──▶ Frontier ──(per host: robots, cap, delay)──▶ fetches ┘
//!          (dedup, BFS)    (leased)                                  (≤ concurrency)
//!                            ▲
//!                            └── timer: wake when the next host's delay is over
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
use web_time::{Instant, SystemTime, UNIX_EPOCH};

use super::frontier::{Frontier, Next, Rules};
use super::record::{Page, PageRecord, Summary};
use super::seen::{normalize, UrlSet};
use super::store::{Counts, CrawlStore, Finished, HostSlot, Job, Recorded, RobotsOutcome, StoredRobots, Taken};
use super::{html, sitemap, OnPage, Scope, Settings};
use crate::transport::BoxFuture;
use crate::{ContentType, Error, Session};

/// How often a worker that has nothing to do asks whether other workers
/// (sharing its store) still hold pages that may lead to more.
const OTHERS_POLL: Duration = Duration::from_millis(250);
/// The most sitemaps one crawl reads (the protocol's index limit).
const MAX_SITEMAPS: usize = 50_000;

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
    store: Arc<dyn CrawlStore>,
    frontier: Frontier,
    in_flight: FuturesUnordered<BoxFuture<'static, Fetched>>,
    store_ops: FuturesUnordered<BoxFuture<'static, Reply>>,
    /// Finished pages not yet handed to the store.
    finishing: Vec<Finished>,
    /// Finished pages handed to the store and not yet acknowledged.
    unacknowledged: usize,
    /// A `take` is pending.
    taking: bool,
    /// The last `take` found nothing: none until more is added.
    store_drained: bool,
    /// The store's last counts and when to ask again while others work.
    counts: Counts,
    counting: bool,
    /// The store said, while this worker was idle, that nothing is left.
    confirmed_empty: bool,
    /// Sitemaps fetched or being fetched (each once).
    sitemaps: UrlSet,
    wake: Option<(Instant, BoxFuture<'static, ()>)>,
    recheck_at: Option<Instant>,
    ready: VecDeque<PageRecord>,
    summary: Summary,
    started: Instant,
    dispatched: u64,
    stop: Arc<StopSignal>,
}

/// Stops a [`Crawl`] from anywhere (another task, a Ctrl-C handler): nothing
/// new starts; pages in flight finish and are still delivered, pages leased
/// but not started go back to the store.
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
    Sitemap,
}

struct Response {
    status: StatusCode,
    final_url: Url,
    headers: HeaderMap,
    body: Bytes,
    too_large: bool,
}

/// What [`Crawl::over`] found.
enum Over {
    Yes,
    /// Not known: the store was asked.
    Asked,
    No,
}

/// A store's answer, with what the crawl needs to act on it.
enum Reply {
    Opened(Result<(Counts, u64), Error>, u64),
    Added(Result<u64, Error>, u64),
    Taken(Result<Taken, Error>),
    /// The store's answer, how many pages it was about, how many links they found.
    Finished(Result<Recorded, Error>, usize, u64),
    Counted(Result<Counts, Error>),
    StoredRobots(Result<Option<StoredRobots>, Error>, String, Url),
    Slot(Result<HostSlot, Error>, Job),
    Done(Result<(), Error>),
}

impl Crawl {
    pub(crate) fn start(
        session: Session,
        settings: Settings,
        on_page: Option<Arc<dyn OnPage>>,
        store: Arc<dyn CrawlStore>,
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
            store,
            frontier,
            in_flight: FuturesUnordered::new(),
            store_ops: FuturesUnordered::new(),
            finishing: Vec::new(),
            unacknowledged: 0,
            taking: false,
            store_drained: false,
            counts: Counts::default(),
            counting: false,
            confirmed_empty: false,
            sitemaps: UrlSet::default(),
            wake: None,
            recheck_at: None,
            ready: VecDeque::new(),
            summary: Summary::default(),
            started: Instant::now(),
            dispatched: 0,
            stop: Arc::default(),
        };
        if crawl.settings.sitemap_xml {
            for seed in &seeds {
                if let Ok(sitemap) = seed.join("/sitemap.xml") {
                    crawl.fetch_sitemap(sitemap);
                }
            }
        }
        let seeds: Vec<Job> = seeds.into_iter().filter_map(|url| crawl.in_scope(url, 0)).collect();
        let submitted = seeds.len() as u64;
        let before = crawl.store.counts();
        let add = crawl.store.add(seeds);
        crawl.store_ops.push(Box::pin(async move {
            let opened = match before.await {
                Ok(counts) => add.await.map(|new| (counts, new)),
                Err(error) => Err(error),
            };
            Reply::Opened(opened, submitted)
        }));
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
        summary.queued = self.frontier.queued() + self.counts.queued as usize;
        summary.seen = self.counts.seen;
        summary.workers = self.counts.workers;
        if !summary.finished {
            summary.set_elapsed(self.started.elapsed());
        }
        summary
    }

    /// `url` normalized, as a job at `depth`, if it is in scope and not too deep.
    fn in_scope(&mut self, url: Url, depth: u32) -> Option<Job> {
        let url = normalize(&url);
        let too_deep = self.settings.max_depth.is_some_and(|max| depth > max);
        if too_deep || !self.scope.contains(&url) {
            self.summary.out_of_scope += 1;
            return None;
        }
        Some(Job { url, depth })
    }

    fn stopped(&self) -> bool {
        self.stop.stopped.load(Ordering::Acquire)
    }

    /// Whether the store lags behind the fetches: finished pages it has not
    /// acknowledged, with those in flight, reach twice the concurrency. New
    /// fetches wait then, so a worker that dies has fetched in vain at most
    /// that many pages, and a slow store bounds the memory finished pages hold.
    fn store_behind(&self) -> bool {
        let unsaved = self.in_flight.len() + self.finishing.len() + self.unacknowledged;
        unsaved >= 2 * self.settings.concurrency
    }

    fn out_of_pages(&self) -> bool {
        self.settings.max_pages.is_some_and(|max| self.dispatched >= max)
    }

    fn winding_down(&self) -> bool {
        self.stopped() || self.out_of_pages() || self.summary.store_error.is_some()
    }

    /// Hands the store what it is owed: finished pages, and when winding
    /// down the pages leased but not started. True if it sent anything.
    fn flush(&mut self) -> bool {
        let mut sent = false;
        if !self.finishing.is_empty() {
            sent = true;
            let pages = std::mem::take(&mut self.finishing);
            self.unacknowledged += pages.len();
            let count = pages.len();
            let submitted = pages.iter().map(|page| page.found.len() as u64).sum();
            if submitted > 0 {
                // The store may have more to lease once it has these links.
                self.store_drained = false;
            }
            let finish = self.store.finish(pages);
            self.store_ops
                .push(Box::pin(async move { Reply::Finished(finish.await, count, submitted) }));
        }
        // Pages leased but not started go back, including those that a
        // lease or a postponed start brings in after the stop.
        if self.winding_down() && self.frontier.queued() > 0 {
            let jobs = self.frontier.drain();
            if !jobs.is_empty() {
                sent = true;
                let give_back = self.store.give_back(jobs);
                self.store_ops
                    .push(Box::pin(async move { Reply::Done(give_back.await) }));
            }
        }
        sent
    }

    /// Leases more pages when the frontier runs low.
    fn refill(&mut self) {
        if self.taking || self.store_drained || self.winding_down() {
            return;
        }
        // Leases come in batches of at least half the window (one round
        // trip for many pages) once the frontier holds the concurrency.
        let ahead = self.store.lease_ahead(self.settings.concurrency);
        let queued = self.frontier.queued();
        let want = ahead.saturating_sub(queued);
        if want == 0 || (queued >= self.settings.concurrency && want < ahead / 2) {
            return;
        }
        self.taking = true;
        let take = self.store.take(want);
        self.store_ops.push(Box::pin(async move { Reply::Taken(take.await) }));
    }

    /// Starts fetches until the concurrency or the frontier says stop; arms
    /// the wake-up timer when the frontier is waiting on a delay.
    fn dispatch(&mut self) {
        if self.winding_down() {
            return;
        }
        while self.in_flight.len() < self.settings.concurrency && !self.out_of_pages() && !self.store_behind() {
            let now = Instant::now();
            match self.frontier.next(now) {
                Next::Page(job) => {
                    let host = crate::limit::host_key(&job.url);
                    match self.store.host_slot(&host, self.settings.per_host, self.settings.delay) {
                        Some(slot) => self
                            .store_ops
                            .push(Box::pin(async move { Reply::Slot(slot.await, job) })),
                        None => self.start_fetch_after(job, Duration::ZERO),
                    }
                }
                Next::Disallowed(job) => {
                    self.summary.disallowed += 1;
                    self.finishing.push(Finished {
                        job,
                        record: None,
                        found: Vec::new(),
                        redirected_to: None,
                    });
                }
                Next::Robots { host, url } => {
                    let stored = self.store.robots(&host);
                    self.store_ops
                        .push(Box::pin(async move { Reply::StoredRobots(stored.await, host, url) }));
                }
                Next::WaitUntil(at) => {
                    self.wake_at(at, now);
                    return;
                }
                Next::Idle => return,
            }
        }
    }

    /// Fetches `job` once `after` has passed (a start reserved on a host
    /// shared with other workers), or now.
    fn start_fetch_after(&mut self, job: Job, after: Duration) {
        self.dispatched += 1;
        let fetch = fetch(self.session.clone(), job.url.clone(), self.settings.max_page_bytes);
        let fetched = timed(Fetch::Page(job), fetch);
        if after.is_zero() {
            self.in_flight.push(fetched);
        } else {
            let reserved = self.session.timer().sleep(after);
            self.in_flight.push(Box::pin(async move {
                reserved.await;
                fetched.await
            }));
        }
    }

    fn fetch_robots(&mut self, host: String, url: Url) {
        let fetch = fetch(self.session.clone(), url, 512 * 1024);
        self.in_flight.push(timed(Fetch::Robots(host), fetch));
    }

    /// Fetches the sitemap at `url` unless this crawl already did.
    fn fetch_sitemap(&mut self, url: Url) {
        if self.sitemaps.len() < MAX_SITEMAPS && self.sitemaps.insert(&url) {
            let fetch = fetch(self.session.clone(), url.clone(), sitemap::MAX_BYTES);
            self.in_flight.push(timed(Fetch::Sitemap, fetch));
        }
    }

    /// Queues what a fetched sitemap lists: more sitemaps, or pages at depth 0.
    fn read_sitemap(&mut self, result: Result<Response, Error>) {
        let read = match result {
            Ok(response) if response.status.is_success() && !response.too_large => {
                sitemap::parse(&response.body, &response.final_url).map_err(|e| format!("{}: {e}", response.final_url))
            }
            Ok(response) => Err(format!("{}: HTTP status {}", response.final_url, response.status)),
            Err(error) => Err(format!("{error:#}")),
        };
        let sitemap = match read {
            Ok(sitemap) => sitemap,
            Err(_why) => {
                self.summary.sitemap_errors += 1;
                debug_event!(error = %_why, "a sitemap could not be read");
                return;
            }
        };
        self.summary.sitemaps += 1;
        if sitemap.is_index {
            for child in sitemap.locs {
                self.fetch_sitemap(child);
            }
            return;
        }
        let jobs: Vec<Job> = sitemap
            .locs
            .into_iter()
            .filter_map(|loc| self.in_scope(loc, 0))
            .collect();
        let submitted = jobs.len() as u64;
        let add = self.store.add(jobs);
        self.store_ops
            .push(Box::pin(async move { Reply::Added(add.await, submitted) }));
    }

    fn wake_at(&mut self, at: Instant, now: Instant) {
        if self.wake.as_ref().is_none_or(|(armed, _)| at < *armed) {
            let sleep = self.session.timer().sleep(at.saturating_duration_since(now));
            self.wake = Some((at, sleep));
        }
    }

    /// Rules from a stored robots.txt, and until when they hold.
    fn robots_rules(&self, stored: &StoredRobots) -> Option<(robotxt::Robots, Instant)> {
        let age = Duration::from_millis(unix_millis().saturating_sub(stored.fetched_at_ms));
        let left = self
            .settings
            .robots_ttl
            .checked_sub(age)
            .filter(|left| !left.is_zero())?;
        let robots = match &stored.outcome {
            RobotsOutcome::Rules(body) => {
                robotxt::Robots::from_access(robotxt::AccessResult::Successful(body), &self.settings.robots_agent)
            }
            RobotsOutcome::Unavailable => {
                robotxt::Robots::from_access(robotxt::AccessResult::Unavailable, &self.settings.robots_agent)
            }
            RobotsOutcome::Unreachable => {
                robotxt::Robots::from_access(robotxt::AccessResult::Unreachable, &self.settings.robots_agent)
            }
        };
        Some((robots, Instant::now() + left))
    }

    /// Acts on a store's reply.
    fn on_reply(&mut self, reply: Reply) {
        let failed = |summary: &mut Summary, error: Error| {
            if summary.store_error.is_none() {
                summary.store_error = Some(format!("{error:#}"));
            }
        };
        match reply {
            Reply::Opened(Ok((before, new)), submitted) => {
                self.summary.resumed_pages = before.done;
                self.summary.resumed_queued = before.queued;
                self.summary.duplicates += submitted - new;
                self.counts = before;
                self.counts.queued += new;
            }
            Reply::Added(Ok(new), submitted) => {
                self.summary.duplicates += submitted - new;
                self.counts.seen += new;
                if new > 0 {
                    self.store_drained = false;
                }
            }
            Reply::Taken(Ok(taken)) => {
                self.taking = false;
                self.store_drained = taken.jobs.is_empty();
                self.counts.queued = taken.queued;
                for job in taken.jobs {
                    self.frontier.push(job);
                }
            }
            Reply::Finished(Ok(recorded), count, submitted) => {
                self.unacknowledged -= count;
                let new = recorded.new_links;
                self.summary.duplicates += submitted - new;
                if new > 0 {
                    self.store_drained = false;
                }
                self.counts.seen += new;
                for record in recorded.records {
                    self.summary.pages += 1;
                    self.summary.bytes += record.bytes;
                    match &record.error {
                        None => self.summary.ok += 1,
                        Some(kind) => *self.summary.errors.entry(kind.clone()).or_default() += 1,
                    }
                    self.ready.push_back(record);
                }
            }
            Reply::Counted(Ok(counts)) => {
                self.counting = false;
                self.counts = counts;
                self.confirmed_empty = counts.queued == 0 && counts.leased == 0;
                if counts.queued > 0 {
                    self.store_drained = false;
                } else if counts.leased > 0 {
                    // Other workers still hold pages that may lead to more.
                    self.recheck_at = Some(Instant::now() + OTHERS_POLL);
                }
            }
            Reply::StoredRobots(Ok(stored), host, url) => {
                match stored.as_ref().and_then(|stored| self.robots_rules(stored)) {
                    Some((robots, expires)) => self.frontier.robots_known(&host, robots, Some(expires)),
                    None => self.fetch_robots(host, url),
                }
            }
            Reply::Slot(Ok(HostSlot::Start(_)), job) if self.winding_down() => {
                if let Some(done) = self.store.host_done(&crate::limit::host_key(&job.url)) {
                    self.store_ops.push(Box::pin(async move { Reply::Done(done.await) }));
                }
                self.frontier.postpone(job, Instant::now());
            }
            Reply::Slot(Ok(HostSlot::Start(after)), job) => self.start_fetch_after(job, after),
            Reply::Slot(Ok(HostSlot::Retry(after)), job) => self.frontier.postpone(job, Instant::now() + after),
            Reply::Done(Ok(())) => {}
            Reply::Taken(Err(error)) => {
                self.taking = false;
                failed(&mut self.summary, error);
            }
            Reply::Counted(Err(error)) => {
                self.counting = false;
                failed(&mut self.summary, error);
            }
            Reply::Finished(Err(error), count, _) => {
                self.unacknowledged -= count;
                failed(&mut self.summary, error);
            }
            Reply::Opened(Err(error), _)
            | Reply::Added(Err(error), _)
            | Reply::StoredRobots(Err(error), ..)
            | Reply::Slot(Err(error), _)
            | Reply::Done(Err(error)) => failed(&mut self.summary, error),
        }
    }

    /// Turns a finished fetch into frontier updates, new URLs and a record
    /// for the store.
    fn finish(&mut self, fetched: Fetched) {
        let job = match fetched.what {
            Fetch::Sitemap => {
                self.read_sitemap(fetched.result);
                return;
            }
            Fetch::Robots(host) => {
                // The worker that fetches a host's robots.txt reads its
                // sitemaps: once per crawl, whatever the number of workers.
                if self.settings.sitemaps {
                    if let Ok(response) = &fetched.result {
                        if response.status.is_success() {
                            let rules = robotxt::Robots::from_access(
                                robotxt::AccessResult::Successful(&response.body),
                                &self.settings.robots_agent,
                            );
                            for sitemap in rules.sitemaps().to_vec() {
                                self.fetch_sitemap(sitemap);
                            }
                        }
                    }
                }
                let stored = StoredRobots {
                    outcome: robots_outcome(&fetched.result),
                    fetched_at_ms: unix_millis(),
                };
                let (robots, expires) = self.robots_rules(&stored).unwrap_or_else(|| {
                    (
                        robotxt::Robots::from_access(robotxt::AccessResult::Unreachable, &self.settings.robots_agent),
                        Instant::now(),
                    )
                });
                self.frontier.robots_known(&host, robots, Some(expires));
                let save = self.store.save_robots(&host, stored);
                self.store_ops.push(Box::pin(async move { Reply::Done(save.await) }));
                return;
            }
            Fetch::Page(job) => job,
        };
        let ok = matches!(&fetched.result, Ok(r) if !r.too_large && !is_error_status(r.status));
        self.frontier.finished(&job.url, fetched.elapsed, ok);
        if let Some(done) = self.store.host_done(&crate::limit::host_key(&job.url)) {
            self.store_ops.push(Box::pin(async move { Reply::Done(done.await) }));
        }
        let mut finished = Finished {
            job: job.clone(),
            record: None,
            found: Vec::new(),
            redirected_to: None,
        };
        let record = match fetched.result {
            Ok(response) => self.record_response(&job, response, fetched.elapsed, &mut finished),
            Err(error) => failed_record(&job, &error, fetched.elapsed),
        };
        finished.record = Some(record);
        self.finishing.push(finished);
    }

    fn record_response(
        &mut self,
        job: &Job,
        response: Response,
        elapsed: Duration,
        finished: &mut Finished,
    ) -> PageRecord {
        let final_url = normalize(&response.final_url);
        if final_url != job.url {
            finished.redirected_to = Some(final_url);
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
        finished.found = self.follow(job, &response, &record.links);
        record
    }

    /// What a successful page leads to: its links (when links are
    /// followed) and the URLs the callback returns, one step deeper, in scope.
    fn follow(&mut self, job: &Job, response: &Response, links: &[Url]) -> Vec<Job> {
        let next_depth = job.depth + 1;
        let mut found = Vec::new();
        if self.settings.follow_links {
            for link in links {
                found.extend(self.in_scope(link.clone(), next_depth));
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
                found.extend(self.in_scope(url, next_depth));
            }
        }
        found
    }

    /// Whether this worker has nothing left: nothing in flight or pending
    /// with the store, nothing leased.
    fn idle(&self) -> bool {
        self.in_flight.is_empty()
            && self.store_ops.is_empty()
            && self.finishing.is_empty()
            && self.frontier.queued() == 0
    }

    /// Whether the crawl is over: this worker is idle and, unless it is
    /// winding down, the store (asked once idle) holds nothing queued or
    /// leased by anyone. Asks the store when that is what is missing.
    fn over(&mut self) -> Over {
        if !self.idle() {
            return Over::No;
        }
        if self.winding_down() || self.confirmed_empty {
            return Over::Yes;
        }
        let recheck_due = self.recheck_at.is_none_or(|at| at <= Instant::now());
        if !self.store_drained || self.counting || !recheck_due {
            return Over::No;
        }
        self.recheck_at = None;
        self.counting = true;
        let counts = self.store.counts();
        self.store_ops
            .push(Box::pin(async move { Reply::Counted(counts.await) }));
        Over::Asked
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
            this.refill();
            // At most `concurrency` finished pages wait to be sent: a
            // worker that dies loses no more than that and its fetches.
            if this.finishing.len() >= this.settings.concurrency {
                this.flush();
            }
            if let Poll::Ready(Some(reply)) = this.store_ops.poll_next_unpin(cx) {
                this.on_reply(reply);
                continue;
            }
            if let Poll::Ready(Some(fetched)) = this.in_flight.poll_next_unpin(cx) {
                this.finish(fetched);
                continue;
            }
            // Nothing else is ready: what finished since the last flush goes
            // to the store in one step (one round trip for many pages).
            if this.flush() {
                continue;
            }
            match this.over() {
                Over::Yes => {
                    this.summary.stopped = this.stopped();
                    this.summary.set_elapsed(this.started.elapsed());
                    this.summary.finished = true;
                    continue;
                }
                Over::Asked => continue,
                Over::No => {}
            }
            if let Some(at) = this.recheck_at {
                this.wake_at(at, Instant::now());
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

/// How a robots.txt fetch went, per RFC 9309: a 4xx means no rules, a 5xx
/// or a network failure means everything is disallowed for now.
fn robots_outcome(result: &Result<Response, Error>) -> RobotsOutcome {
    match result {
        Ok(r) if r.status.is_success() => RobotsOutcome::Rules(r.body.to_vec()),
        Ok(r) if r.status.is_client_error() => RobotsOutcome::Unavailable,
        Ok(_) | Err(_) => RobotsOutcome::Unreachable,
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}
