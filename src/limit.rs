//! Total and per-host limits on requests in flight, with runtime-agnostic
//! semaphores so they hold on every target (the browser gives us no pool
//! control, so the core enforces them there too).
//!
//! A request holds its slots from just before it connects until its response
//! body has been read to the end or dropped. Over HTTP/1.1 that is exactly
//! one connection in use per request, which makes these aiohttp's
//! `TCPConnector(limit=…, limit_per_host=…)`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_lock::{Semaphore, SemaphoreGuardArc};
use url::Url;

/// How many requests may be in flight at once.
///
/// ```
/// use unifetch::Limits;
/// let limits = Limits::default().limit(2).limit_per_host(1);
/// assert_eq!(limits.total(), Some(2));
/// assert_eq!(Limits::default().total(), Some(100));
/// assert_eq!(Limits::default().per_host(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    total: Option<usize>,
    per_host: Option<usize>,
}

impl Default for Limits {
    /// 100 in total, no cap per host (aiohttp's defaults).
    fn default() -> Limits {
        Limits {
            total: Some(100),
            per_host: None,
        }
    }
}

impl Limits {
    /// No limits at all.
    pub const NONE: Limits = Limits {
        total: None,
        per_host: None,
    };

    /// At most `n` requests in flight in the whole session (`0` means no cap).
    pub fn limit(mut self, n: usize) -> Limits {
        self.total = (n > 0).then_some(n);
        self
    }

    /// At most `n` requests in flight to one host (scheme, host and port; `0` means no cap).
    pub fn limit_per_host(mut self, n: usize) -> Limits {
        self.per_host = (n > 0).then_some(n);
        self
    }

    /// The total cap, if any.
    pub fn total(&self) -> Option<usize> {
        self.total
    }

    /// The per-host cap, if any.
    pub fn per_host(&self) -> Option<usize> {
        self.per_host
    }
}

/// The semaphores behind a session's [`Limits`].
pub(crate) struct Limiter {
    limits: Limits,
    total: Option<Arc<Semaphore>>,
    hosts: Mutex<HashMap<String, Weak<Semaphore>>>,
}

/// Slots held by one request; dropping it frees them.
pub(crate) struct Permit {
    _host: Option<SemaphoreGuardArc>,
    _total: Option<SemaphoreGuardArc>,
}

impl Permit {
    /// No slots: for a request that no longer needs any.
    pub(crate) fn none() -> Permit {
        Permit {
            _host: None,
            _total: None,
        }
    }
}

impl Limiter {
    pub(crate) fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            total: limits.total.map(|n| Arc::new(Semaphore::new(n))),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot for `url`'s host, then for one in the session.
    ///
    /// The host slot comes first so that a request waiting on a busy host
    /// does not hold a session slot that another host could use.
    pub(crate) async fn acquire(&self, url: &Url) -> Permit {
        let host = match self.host_semaphore(url) {
            Some(semaphore) => Some(semaphore.acquire_arc().await),
            None => None,
        };
        let total = match &self.total {
            Some(semaphore) => Some(semaphore.acquire_arc().await),
            None => None,
        };
        Permit {
            _host: host,
            _total: total,
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    fn host_semaphore(&self, url: &Url) -> Option<Arc<Semaphore>> {
        let per_host = self.limits.per_host?;
        let key = host_key(url);
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(semaphore) = hosts.get(&key).and_then(Weak::upgrade) {
            return Some(semaphore);
        }
        if hosts.len() >= 64 {
            hosts.retain(|_, weak| weak.strong_count() > 0);
        }
        let semaphore = Arc::new(Semaphore::new(per_host));
        hosts.insert(key, Arc::downgrade(&semaphore));
        Some(semaphore)
    }
}

/// `scheme://host:port`, the unit a per-host limit counts.
pub(crate) fn host_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn per_host_slots_are_separate_and_total_is_shared() {
        let limiter = Limiter::new(Limits::default().limit(2).limit_per_host(1));
        let a = Url::parse("http://a.test/").unwrap();
        let b = Url::parse("http://b.test:80/x").unwrap();
        let first = limiter.acquire(&a).now_or_never().expect("free slot");
        assert!(limiter.acquire(&a).now_or_never().is_none(), "host a is full");
        let second = limiter.acquire(&b).now_or_never().expect("host b has its own slot");
        let c = Url::parse("http://c.test/").unwrap();
        assert!(limiter.acquire(&c).now_or_never().is_none(), "session is full");
        drop(first);
        assert!(limiter.acquire(&a).now_or_never().is_some());
        drop(second);
    }

    #[test]
    fn host_key_includes_default_port() {
        let url = Url::parse("https://Example.com/path").unwrap();
        assert_eq!(host_key(&url), "https://example.com:443");
    }
}
