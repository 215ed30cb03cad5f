//! A DNS cache with a TTL in front of the system resolver, as aiohttp's
//! `ttl_dns_cache`, with fixed answers for the hosts a session pins (curl's
//! `--resolve`).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Clone)]
pub(super) struct DnsCache {
    ttl: Duration,
    pinned: Arc<HashMap<String, Vec<SocketAddr>>>,
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

struct Entry {
    addrs: Vec<SocketAddr>,
    expires: Instant,
}

impl DnsCache {
    /// A cache keeping answers for `ttl`; `pinned` hosts (lower-case) are
    /// never looked up.
    pub(super) fn new(ttl: Duration, pinned: HashMap<String, Vec<SocketAddr>>) -> DnsCache {
        DnsCache {
            ttl,
            pinned: Arc::new(pinned),
            entries: Arc::default(),
        }
    }

    /// The addresses of `host`, in the resolver's order of preference. Their
    /// port is 0 unless a pinned address names one.
    pub(super) async fn resolve(&self, host: &str) -> io::Result<Vec<SocketAddr>> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, 0)]);
        }
        let key = host.to_ascii_lowercase();
        if let Some(addrs) = self.pinned.get(&key) {
            if addrs.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no addresses given for {host}"),
                ));
            }
            return Ok(addrs.clone());
        }
        if let Some(addrs) = self.cached(&key) {
            return Ok(addrs);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no addresses for {host}"),
            ));
        }
        if !self.ttl.is_zero() {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            entries.retain(|_, entry| entry.expires > now);
            let expires = now + self.ttl;
            entries.insert(
                key,
                Entry {
                    addrs: addrs.clone(),
                    expires,
                },
            );
        }
        Ok(addrs)
    }

    fn cached(&self, key: &str) -> Option<Vec<SocketAddr>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        (entry.expires > Instant::now()).then(|| entry.addrs.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_ttl() {
        let cache = DnsCache::new(Duration::from_secs(10), HashMap::new());
        let addrs = cache.resolve("localhost").await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        assert!(cache.cached("localhost").is_some());
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(cache.cached("localhost").is_none());
    }

    #[tokio::test]
    async fn ip_literals_skip_the_resolver() {
        let cache = DnsCache::new(Duration::ZERO, HashMap::new());
        let addrs = cache.resolve("[::1]").await.unwrap();
        assert_eq!(addrs, vec!["[::1]:0".parse().unwrap()]);
    }

    #[tokio::test]
    async fn pinned_hosts_are_answered_as_given_whatever_their_case() {
        let pinned = vec!["[::1]:8080".parse().unwrap(), "127.0.0.1:0".parse().unwrap()];
        let cache = DnsCache::new(
            Duration::ZERO,
            HashMap::from([("dual.test".to_owned(), pinned.clone())]),
        );
        assert_eq!(cache.resolve("Dual.TEST").await.unwrap(), pinned);
    }
}
