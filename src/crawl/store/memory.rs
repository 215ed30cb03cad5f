//! [`MemoryStore`]: the crawl's state in this process, the default.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use url::Url;

use super::{Counts, CrawlStore, Finished, Job, Recorded, StoredRobots, Taken};
use crate::crawl::UrlSet;
use crate::transport::BoxFuture;
use crate::Result;

/// A crawl's state in memory: fast, and gone when the process ends. It
/// keeps no records (they come out of the crawl's stream).
///
/// ```
/// use unifetch::crawl::store::{CrawlStore, Job, MemoryStore};
/// # futures_util::FutureExt::now_or_never(async {
/// let store = MemoryStore::default();
/// let job = |url: &str| Job { url: url.parse().unwrap(), depth: 0 };
/// assert_eq!(store.add(vec![job("http://a.test/"), job("http://a.test/")]).await?, 1);
/// assert_eq!(store.take(10).await?.jobs, vec![job("http://a.test/")]);
/// # unifetch::Result::<()>::Ok(()) }).unwrap().unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    seen: UrlSet,
    /// Queued URLs by depth (the index): the shallowest go first.
    queue: Vec<VecDeque<Url>>,
    queued: u64,
    leased: u64,
    done: u64,
    robots: HashMap<String, StoredRobots>,
}

impl State {
    fn at_depth(&mut self, depth: u32) -> &mut VecDeque<Url> {
        let depth = depth as usize;
        if self.queue.len() <= depth {
            self.queue.resize_with(depth + 1, VecDeque::new);
        }
        &mut self.queue[depth]
    }

    fn add(&mut self, jobs: impl IntoIterator<Item = Job>) -> u64 {
        let mut new = 0;
        for job in jobs {
            if self.seen.insert(&job.url) {
                self.at_depth(job.depth).push_back(job.url);
                self.queued += 1;
                new += 1;
            }
        }
        new
    }
}

impl MemoryStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl CrawlStore for MemoryStore {
    /// Everything: a crash loses the crawl anyway, and the frontier then
    /// sees every host at once.
    fn lease_ahead(&self, _: usize) -> usize {
        usize::MAX
    }

    fn add(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<u64>> {
        let new = self.state().add(jobs);
        Box::pin(std::future::ready(Ok(new)))
    }

    fn take(&self, max: usize) -> BoxFuture<'static, Result<Taken>> {
        let mut state = self.state();
        let mut jobs = Vec::new();
        for (depth, urls) in state.queue.iter_mut().enumerate() {
            while jobs.len() < max {
                match urls.pop_front() {
                    Some(url) => jobs.push(Job {
                        url,
                        depth: depth as u32,
                    }),
                    None => break,
                }
            }
        }
        let taken = jobs.len() as u64;
        state.queued -= taken;
        state.leased += taken;
        let queued = state.queued;
        Box::pin(std::future::ready(Ok(Taken { jobs, queued })))
    }

    fn finish(&self, pages: Vec<Finished>) -> BoxFuture<'static, Result<Recorded>> {
        let mut state = self.state();
        let mut new = 0;
        let mut records = Vec::with_capacity(pages.len());
        for page in pages {
            if let Some(url) = &page.redirected_to {
                state.seen.insert(url);
            }
            new += state.add(page.found);
            state.leased = state.leased.saturating_sub(1);
            state.done += 1;
            records.extend(page.record);
        }
        Box::pin(std::future::ready(Ok(Recorded {
            new_links: new,
            records,
        })))
    }

    fn give_back(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<()>> {
        let mut state = self.state();
        state.leased = state.leased.saturating_sub(jobs.len() as u64);
        state.queued += jobs.len() as u64;
        for job in jobs.into_iter().rev() {
            state.at_depth(job.depth).push_front(job.url);
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn counts(&self) -> BoxFuture<'static, Result<Counts>> {
        let state = self.state();
        let counts = Counts {
            queued: state.queued,
            leased: state.leased,
            done: state.done,
            seen: state.seen.len() as u64,
            workers: 1,
        };
        Box::pin(std::future::ready(Ok(counts)))
    }

    fn robots(&self, host: &str) -> BoxFuture<'static, Result<Option<StoredRobots>>> {
        let robots = self.state().robots.get(host).cloned();
        Box::pin(std::future::ready(Ok(robots)))
    }

    fn save_robots(&self, host: &str, robots: StoredRobots) -> BoxFuture<'static, Result<()>> {
        self.state().robots.insert(host.to_owned(), robots);
        Box::pin(std::future::ready(Ok(())))
    }
}
