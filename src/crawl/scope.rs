//! Which URLs a crawl may visit: hosts, allow and deny patterns.

use url::Url;

/// The URLs a crawl may visit.
///
/// By default: `http`/`https` URLs on the hosts of the seed URLs. Patterns
/// are matched against the whole URL; `*` matches any run of characters.
/// A URL must match one `allow` pattern (if any are given) and no `deny`
/// pattern.
///
/// ```
/// use unifetch::crawl::Scope;
/// let scope = Scope::same_host().deny("*/private/*").allow("http://a.test/*");
/// let seeds = ["http://a.test/".parse().unwrap()];
/// let scope = scope.resolve(&seeds);
/// assert!(scope.contains(&"http://a.test/page".parse().unwrap()));
/// assert!(!scope.contains(&"http://a.test/private/x".parse().unwrap()));
/// assert!(!scope.contains(&"http://b.test/page".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Scope {
    any_host: bool,
    hosts: Vec<String>,
    allow: Vec<String>,
    deny: Vec<String>,
}

impl Scope {
    /// Only the hosts of the seed URLs (the default).
    pub fn same_host() -> Scope {
        Scope::default()
    }

    /// Any host (still subject to allow and deny patterns).
    pub fn any_host() -> Scope {
        Scope {
            any_host: true,
            ..Scope::default()
        }
    }

    /// Also allows this host (`example.com`, or `example.com:8080`).
    pub fn host(mut self, host: impl Into<String>) -> Scope {
        self.hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// URLs must match one of the `allow` patterns.
    pub fn allow(mut self, pattern: impl Into<String>) -> Scope {
        self.allow.push(pattern.into());
        self
    }

    /// URLs matching a `deny` pattern are skipped.
    pub fn deny(mut self, pattern: impl Into<String>) -> Scope {
        self.deny.push(pattern.into());
        self
    }

    /// This scope with the hosts of `seeds` added.
    pub fn resolve(mut self, seeds: &[Url]) -> Scope {
        for seed in seeds {
            if let Some(host) = host_of(seed) {
                if !self.hosts.contains(&host) {
                    self.hosts.push(host);
                }
            }
        }
        self
    }

    /// Whether the crawl may visit `url`.
    pub fn contains(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let host_ok = self.any_host
            || host_of(url).is_some_and(|host| {
                self.hosts
                    .iter()
                    .any(|allowed| *allowed == host || host.split(':').next() == Some(allowed.as_str()))
            });
        let text = url.as_str();
        host_ok
            && (self.allow.is_empty() || self.allow.iter().any(|p| wildcard_match(p, text)))
            && !self.deny.iter().any(|p| wildcard_match(p, text))
    }
}

/// `host:port` as written in URLs (the port only when it is not the default).
fn host_of(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Matches `text` against `pattern`, where `*` is any run of characters.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_runs_of_characters() {
        assert!(wildcard_match("http://a/*", "http://a/x/y"));
        assert!(wildcard_match("*/private/*", "http://a/private/1"));
        assert!(!wildcard_match("*/private/*", "http://a/public/1"));
        assert!(wildcard_match("*.pdf", "http://a/x.pdf"));
        assert!(!wildcard_match("*.pdf", "http://a/x.pdf.html"));
        assert!(wildcard_match("exact", "exact"));
        assert!(!wildcard_match("exact", "exactly"));
        assert!(wildcard_match("a*b*c", "a--b--c"));
        assert!(!wildcard_match("a*bc*bc", "abc"));
    }

    #[test]
    fn hosts_with_and_without_ports() {
        let scope = Scope::same_host().resolve(&["http://a.test:8080/".parse().unwrap()]);
        assert!(scope.contains(&"http://a.test:8080/x".parse().unwrap()));
        assert!(!scope.contains(&"http://a.test:9090/x".parse().unwrap()));
        let scope = Scope::same_host().host("b.test");
        assert!(scope.contains(&"http://b.test:1234/x".parse().unwrap()));
        assert!(!scope.contains(&"mailto:x@b.test".parse().unwrap()));
    }
}
