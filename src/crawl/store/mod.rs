//! Where a crawl keeps its state: the frontier (queued pages and their
//! depth), the set of URLs seen, the pages leased to workers, robots.txt
//! per host, and the records of finished pages.
//!
//! The [`Crawler`](super::Crawler) drives any [`CrawlStore`] with the same
//! code on every target:
//!
//! * [`MemoryStore`] (the default): everything in this process, gone when
//!   it ends;
//! * `SqliteStore` (feature `sqlite`, native): one file holds the crawl; a
//!   crash loses nothing recorded and the same crawl resumes;
//! * `RedisStore` (feature `redis`, native): one crawl shared by any number
//!   of processes on any machines.
//!
//! The crawl leases pages a few at a time ([`take`](CrawlStore::take)),
//! fetches them under its politeness rules, and hands each finished page
//! back with the links it found ([`finish`](CrawlStore::finish)): the
//! store records it, releases its lease and queues the new links as one
//! step, so a store can never hold a record without its links or lose a
//! page that was leased but not finished.

mod memory;
// Native backends: like the transports, the only places that name a target.
#[cfg(all(feature = "redis", not(target_family = "wasm")))]
mod redis;
#[cfg(all(feature = "sqlite", not(target_family = "wasm")))]
mod sqlite;

use std::time::Duration;

use url::Url;

pub use self::memory::MemoryStore;
#[cfg(all(feature = "redis", not(target_family = "wasm")))]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
#[cfg(all(feature = "sqlite", not(target_family = "wasm")))]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use self::sqlite::SqliteStore;
use super::PageRecord;
use crate::transport::{BoxFuture, MaybeSend, MaybeSync};
use crate::Result;

/// A page to fetch and how deep it was found (seeds are 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The normalized URL ([`normalize`](super::normalize)).
    pub url: Url,
    /// Links followed from the seeds to find it.
    pub depth: u32,
}

/// A page the crawl is done with, as it goes back to the store.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The lease it ends.
    pub job: Job,
    /// What the fetch produced; `None` for a page robots.txt disallows,
    /// which is done without a fetch or a record.
    pub record: Option<PageRecord>,
    /// The pages it leads to (in scope, not too deep): queued if new.
    pub found: Vec<Job>,
    /// Where a redirect ended, normalized, to be marked seen too.
    pub redirected_to: Option<Url>,
}

/// What a store holds, over every worker of the crawl.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Pages waiting to be fetched.
    pub queued: u64,
    /// Pages leased to workers and not yet finished.
    pub leased: u64,
    /// Pages finished (recorded).
    pub done: u64,
    /// Distinct URLs seen.
    pub seen: u64,
    /// Workers that took or finished a page recently (1 for a store of one process).
    pub workers: u64,
}

/// A host's robots.txt as fetched, kept so that it is fetched once per
/// host (and per expiry) by every worker and every resumed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRobots {
    /// How the fetch went.
    pub outcome: RobotsOutcome,
    /// When it was fetched, in milliseconds since the Unix epoch.
    pub fetched_at_ms: u64,
}

/// How fetching a robots.txt went (RFC 9309).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsOutcome {
    /// A 2xx: the file's contents.
    Rules(Vec<u8>),
    /// A 4xx: no rules, everything is allowed.
    Unavailable,
    /// A 5xx or a network failure: everything is disallowed for now.
    Unreachable,
}

/// When a request to a host may start, under politeness shared by every
/// worker of a crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSlot {
    /// Start after this long (zero: now): the start is reserved, first come
    /// first served. [`CrawlStore::host_done`] when the request ends.
    Start(Duration),
    /// The host is at its limit of requests at once: ask again after this long.
    Retry(Duration),
}

/// What [`CrawlStore::finish`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// How many of the found URLs were new (and queued).
    pub new_links: u64,
    /// The records stored, in order, handed back to be delivered: all of
    /// them but those of pages another worker (whose lease had expired)
    /// recorded first.
    pub records: Vec<PageRecord>,
}

/// A crawl's state, kept wherever the implementation keeps it.
///
/// Every method returns a `'static` future (clone what it needs), so the
/// crawl can keep several in flight; on wasm they need not be `Send`.
pub trait CrawlStore: MaybeSend + MaybeSync + 'static {
    /// Queues the `jobs` whose URL was never seen (by any worker, in any
    /// earlier run) and returns how many were new.
    fn add(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<u64>>;

    /// Leases up to `max` queued pages to this worker, shallowest first
    /// (breadth-first), and tells how many are still queued.
    fn take(&self, max: usize) -> BoxFuture<'static, Result<Taken>>;

    /// Records finished pages: for each, its record is stored, its lease
    /// released and its new links queued together.
    fn finish(&self, pages: Vec<Finished>) -> BoxFuture<'static, Result<Recorded>>;

    /// Returns leased pages this worker will not fetch (a stopped crawl)
    /// to the queue.
    fn give_back(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<()>>;

    /// What the store holds now.
    fn counts(&self) -> BoxFuture<'static, Result<Counts>>;

    /// The robots.txt kept for `host` (`scheme://host:port`), if any.
    fn robots(&self, host: &str) -> BoxFuture<'static, Result<Option<StoredRobots>>>;

    /// Keeps the robots.txt of `host`.
    fn save_robots(&self, host: &str, robots: StoredRobots) -> BoxFuture<'static, Result<()>>;

    /// How many pages this worker should hold leased but not started, at
    /// most, when it runs `concurrency` requests at once. The default,
    /// `concurrency`, bounds what a crash makes fetch again to about twice
    /// the concurrency.
    fn lease_ahead(&self, concurrency: usize) -> usize {
        concurrency
    }

    /// Asks to start a request to `host` under politeness shared with
    /// other workers (`per_host` requests at once, `delay` between starts,
    /// counted over every worker). `None` when the store has no other
    /// workers (the default): the crawl's own rules are enough.
    fn host_slot(&self, host: &str, per_host: usize, delay: Duration) -> Option<BoxFuture<'static, Result<HostSlot>>> {
        let _ = (host, per_host, delay);
        None
    }

    /// Ends a request that [`host_slot`](Self::host_slot) granted.
    fn host_done(&self, host: &str) -> Option<BoxFuture<'static, Result<()>>> {
        let _ = host;
        None
    }
}

/// Pages leased by [`CrawlStore::take`].
#[derive(Debug, Clone, Default)]
pub struct Taken {
    /// The pages, shallowest first.
    pub jobs: Vec<Job>,
    /// Pages still queued after these.
    pub queued: u64,
}

/// A fingerprint of a normalized URL that stays the same across runs,
/// machines and versions (xxh3, 64 bits): what persistent stores key the
/// seen set by.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn stable_fingerprint(url: &Url) -> u64 {
    xxhash_rust::xxh3::xxh3_64(url.as_str().as_bytes())
}
