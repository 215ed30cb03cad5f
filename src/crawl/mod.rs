//! The portable crawler: the same code natively, in a browser, in Node and
//! in WASI, because it only uses a [`Session`] and the session's timer.
//!
//! Two ways to drive it, which combine:
//!
//! * **follow links** (the default): HTML pages are parsed with the
//!   streaming `lol_html` parser; their `<a href>` links are resolved,
//!   normalized, deduplicated and queued if they are in [`Scope`];
//! * **a callback** ([`Crawler::on_page`]) that sees every successful page
//!   (JSON or anything else) and returns the next URLs — the guide's
//!   catalog → chapters crawl.
//!
//! Results come out as a [`Stream`](futures_util::Stream) of
//! [`PageRecord`]s as pages finish, with a live [`Summary`]. A
//! [`StopHandle`] stops the crawl cleanly: nothing new starts, what is in
//! flight finishes and is still delivered.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use unifetch::crawl::Crawler;
//! use unifetch::Session;
//!
//! # async fn run() -> unifetch::Result<()> {
//! let session = Session::builder().header("User-Agent", "Mozilla/5.0 (compatible; mybot)").build()?;
//! let mut crawl = Crawler::new(session)
//!     .concurrency(16)
//!     .per_host(4)
//!     .max_depth(3)
//!     .crawl(["http://127.0.0.1:8080/web/200/"])?;
//! while let Some(page) = crawl.next().await {
//!     println!("{} {:?} {:?}", page.url, page.status, page.title);
//! }
//! println!("{:?}", crawl.summary());
//! # Ok(()) }
//! ```
//!
//! Politeness: per-host concurrency, a per-host delay between request
//! starts (raised to robots.txt's `Crawl-delay`), optionally adapted to
//! latency ([`Throttle`], Scrapy's AutoThrottle), and robots.txt obeyed by
//! default (RFC 9309: a missing file allows everything, an unreachable one
//! disallows everything). Retries and timeouts are the session's.

mod engine;
mod frontier;
mod html;
mod record;
mod scope;
mod seen;
mod sitemap;
pub mod store;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use self::engine::{Crawl, StopHandle};
pub use self::record::{Page, PageRecord, Summary};
pub use self::scope::Scope;
pub use self::seen::{normalize, UrlSet};
use self::store::{CrawlStore, MemoryStore};
use crate::transport::{MaybeSend, MaybeSync};
use crate::Session;

/// A page callback: `Send + Sync` natively, anything on wasm.
pub(crate) trait OnPage: Fn(&Page<'_>) -> Vec<url::Url> + MaybeSend + MaybeSync {}
impl<F: Fn(&Page<'_>) -> Vec<url::Url> + MaybeSend + MaybeSync> OnPage for F {}

/// Configures a crawl; [`crawl`](Crawler::crawl) starts it.
#[derive(Clone)]
#[must_use]
pub struct Crawler {
    session: Session,
    pub(crate) settings: Settings,
    on_page: Option<Arc<dyn OnPage>>,
    store: Arc<dyn CrawlStore>,
}

/// The crawl's settings (everything but the session and the callback).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) concurrency: usize,
    pub(crate) per_host: usize,
    pub(crate) delay: Duration,
    pub(crate) throttle: Option<Throttle>,
    pub(crate) max_depth: Option<u32>,
    pub(crate) max_pages: Option<u64>,
    pub(crate) scope: Scope,
    pub(crate) obey_robots: bool,
    pub(crate) robots_agent: String,
    pub(crate) follow_links: bool,
    pub(crate) max_page_bytes: usize,
    pub(crate) robots_ttl: Duration,
    pub(crate) sitemaps: bool,
    pub(crate) sitemap_xml: bool,
}

impl Crawler {
    /// A crawler with Scrapy-like defaults: 16 requests in flight, 8 per
    /// host, no delay, no depth or page limit, same hosts as the seeds,
    /// robots.txt obeyed (as `unifetch`), links followed, pages up to 10 MiB.
    pub fn new(session: Session) -> Crawler {
        Crawler {
            session,
            settings: Settings {
                concurrency: 16,
                per_host: 8,
                delay: Duration::ZERO,
                throttle: None,
                max_depth: None,
                max_pages: None,
                scope: Scope::same_host(),
                obey_robots: true,
                robots_agent: "unifetch".to_owned(),
                follow_links: true,
                max_page_bytes: 10 * 1024 * 1024,
                robots_ttl: Duration::from_secs(24 * 60 * 60),
                sitemaps: true,
                sitemap_xml: false,
            },
            on_page: None,
            store: Arc::new(MemoryStore::default()),
        }
    }

    /// At most `n` requests in flight (at least 1).
    pub fn concurrency(mut self, n: usize) -> Crawler {
        self.settings.concurrency = n.max(1);
        self
    }

    /// At most `n` requests in flight to one host (at least 1).
    pub fn per_host(mut self, n: usize) -> Crawler {
        self.settings.per_host = n.max(1);
        self
    }

    /// At least `delay` between the starts of two requests to one host.
    pub fn delay(mut self, delay: Duration) -> Crawler {
        self.settings.delay = delay;
        self
    }

    /// Adapts each host's delay to its latency (the delay above is the minimum).
    pub fn throttle(mut self, throttle: Throttle) -> Crawler {
        self.settings.throttle = Some(throttle);
        self
    }

    /// Follows links at most `depth` steps from the seeds.
    pub fn max_depth(mut self, depth: u32) -> Crawler {
        self.settings.max_depth = Some(depth);
        self
    }

    /// Fetches at most `n` pages.
    pub fn max_pages(mut self, n: u64) -> Crawler {
        self.settings.max_pages = Some(n);
        self
    }

    /// Which URLs may be visited (default: the seeds' hosts).
    pub fn scope(mut self, scope: Scope) -> Crawler {
        self.settings.scope = scope;
        self
    }

    /// Whether robots.txt is obeyed (default: yes).
    pub fn obey_robots(mut self, obey: bool) -> Crawler {
        self.settings.obey_robots = obey;
        self
    }

    /// The name matched against robots.txt `User-agent` lines (default `unifetch`).
    pub fn robots_agent(mut self, agent: impl Into<String>) -> Crawler {
        self.settings.robots_agent = agent.into();
        self
    }

    /// How long a host's robots.txt is trusted before it is fetched again
    /// (default 24 hours, as Google documents).
    pub fn robots_ttl(mut self, ttl: Duration) -> Crawler {
        self.settings.robots_ttl = ttl;
        self
    }

    /// Whether the sitemaps that robots.txt names (`Sitemap:` lines) seed
    /// the crawl (default: yes, when robots.txt is obeyed). Sitemap indexes
    /// and gzipped sitemaps are read too; the pages they list start at
    /// depth 0, like the seeds, subject to the scope.
    pub fn sitemaps(mut self, follow: bool) -> Crawler {
        self.settings.sitemaps = follow;
        self
    }

    /// Also reads `/sitemap.xml` of every seed's host (default: no).
    pub fn sitemap_xml(mut self, read: bool) -> Crawler {
        self.settings.sitemap_xml = read;
        self
    }

    /// Keeps the crawl's state in `store` (default: a [`MemoryStore`]): a
    /// store that outlives the process makes the crawl resumable, one that
    /// is shared spreads it over several workers.
    pub fn store(mut self, store: impl CrawlStore) -> Crawler {
        #[allow(clippy::arc_with_non_send_sync)]
        let store = Arc::new(store);
        self.store = store;
        self
    }

    /// Whether links found in HTML pages are followed (default: yes).
    pub fn follow_links(mut self, follow: bool) -> Crawler {
        self.settings.follow_links = follow;
        self
    }

    /// Reads at most this many bytes of a page; longer pages are recorded
    /// as `too_large` errors (default 10 MiB).
    pub fn max_page_bytes(mut self, bytes: usize) -> Crawler {
        self.settings.max_page_bytes = bytes;
        self
    }

    /// Calls `on_page` with every successful page; the URLs it returns are
    /// queued (one step deeper, subject to scope, depth and dedup).
    ///
    /// ```no_run
    /// # use unifetch::crawl::Crawler;
    /// # fn run(session: unifetch::Session) {
    /// let crawler = Crawler::new(session).follow_links(false).on_page(|page| {
    ///     let Ok(ids) = page.json::<Vec<u32>>() else { return Vec::new() };
    ///     ids.iter().filter_map(|id| page.join(&format!("/item/{id}"))).collect()
    /// });
    /// # }
    /// ```
    pub fn on_page<F>(mut self, on_page: F) -> Crawler
    where
        F: Fn(&Page<'_>) -> Vec<url::Url> + MaybeSend + MaybeSync + 'static,
    {
        // On wasm the callback need not be `Send`; one `Arc` keeps one type.
        #[allow(clippy::arc_with_non_send_sync)]
        let on_page = Arc::new(on_page);
        self.on_page = Some(on_page);
        self
    }

    /// Starts crawling from `seeds` (absolute, or relative to the session's
    /// base URL). A seed that is not a valid http(s) URL is a builder error.
    pub fn crawl<I>(self, seeds: I) -> crate::Result<Crawl>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let seeds = seeds
            .into_iter()
            .map(|seed| self.session.resolve(seed.as_ref()))
            .collect::<crate::Result<Vec<_>>>()?;
        Ok(Crawl::start(
            self.session,
            self.settings,
            self.on_page,
            self.store,
            seeds,
        ))
    }
}

impl fmt::Debug for Crawler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crawler")
            .field("settings", &self.settings)
            .field("on_page", &self.on_page.is_some())
            .finish()
    }
}

/// Adaptive politeness, as Scrapy's AutoThrottle: each host's delay moves
/// toward `latency / target_concurrency`, between the crawler's delay and
/// `max_delay`; error responses never make it shorter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    /// How many requests should be in flight to a host on average.
    pub target_concurrency: f64,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle {
            target_concurrency: 1.0,
            max_delay: Duration::from_secs(60),
        }
    }
}

impl Throttle {
    /// The next delay after a response that took `latency`.
    pub(crate) fn adjust(&self, delay: Duration, min_delay: Duration, latency: Duration, ok: bool) -> Duration {
        let target = latency.div_f64(self.target_concurrency.max(0.01));
        let next = ((delay + target) / 2)
            .max(target)
            .clamp(min_delay, self.max_delay.max(min_delay));
        if !ok && next < delay {
            delay
        } else {
            next
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_moves_toward_latency_over_concurrency() {
        let throttle = Throttle {
            target_concurrency: 2.0,
            max_delay: Duration::from_secs(1),
        };
        let ms = Duration::from_millis;
        assert_eq!(throttle.adjust(ms(0), ms(0), ms(400), true), ms(200));
        assert_eq!(throttle.adjust(ms(600), ms(0), ms(400), true), ms(400));
        assert_eq!(
            throttle.adjust(ms(600), ms(0), ms(400), false),
            ms(600),
            "errors never speed up"
        );
        assert_eq!(
            throttle.adjust(ms(0), ms(300), ms(100), true),
            ms(300),
            "never below the minimum"
        );
        assert_eq!(
            throttle.adjust(ms(900), ms(0), ms(5000), true),
            ms(1000),
            "never above the maximum"
        );
    }
}
