//! A DNS cache with a TTL in front of the system resolver, as aiohttp's
//! `ttl_dns_cache`.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Clone)]
pub(super) struct DnsCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<(String, u16), Entry>>>,
}

struct Entry {
    addrs: Vec<SocketAddr>,
    expires: Instant,
}

impl DnsCache {
    pub(super) fn new(ttl: Duration) -> DnsCache {
        DnsCache {
            ttl,
            entries: Arc::default(),
        }
    }

    /// The addresses of `host:port`, from the cache while they are fresh.
    pub(super) async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let key = (host.to_ascii_lowercase(), port);
        if let Some(addrs) = self.cached(&key) {
            return Ok(addrs);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
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

    fn cached(&self, key: &(String, u16)) -> Option<Vec<SocketAddr>> {
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
        let cache = DnsCache::new(Duration::from_secs(10));
        let addrs = cache.resolve("localhost", 80).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        assert!(cache.cached(&("localhost".into(), 80)).is_some());
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(cache.cached(&("localhost".into(), 80)).is_none());
    }

    #[tokio::test]
    async fn ip_literals_skip_the_resolver() {
        let cache = DnsCache::new(Duration::ZERO);
        let addrs = cache.resolve("[::1]", 8080).await.unwrap();
        assert_eq!(addrs, vec!["[::1]:8080".parse().unwrap()]);
    }
}
