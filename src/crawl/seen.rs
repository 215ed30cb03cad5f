//! URL normalization and the set of URLs already seen.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use url::Url;

/// The canonical form of a URL for deduplication: no fragment, query
/// parameters sorted (`?b=2&a=1` is `?a=1&b=2`), no empty query. Scheme and
/// host case, default ports and percent-encoding are already normalized by
/// the URL parser.
///
/// ```
/// use unifetch::crawl::normalize;
/// let a = normalize(&"HTTP://Example.com:80/a?b=2&a=1#top".parse().unwrap());
/// let b = normalize(&"http://example.com/a?a=1&b=2".parse().unwrap());
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "http://example.com/a?a=1&b=2");
/// ```
pub fn normalize(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    match url.query() {
        None => {}
        Some("") => url.set_query(None),
        Some(query) => {
            let mut pairs: Vec<&str> = query.split('&').filter(|pair| !pair.is_empty()).collect();
            pairs.sort_unstable();
            let sorted = pairs.join("&");
            // `?&` is no query either.
            url.set_query((!sorted.is_empty()).then_some(sorted.as_str()));
        }
    }
    url
}

/// Every URL the crawl has queued or fetched, kept as a 64-bit hash of its
/// normalized form: 8 bytes of key per URL (about 16 bytes with the table's
/// slack), whatever the URL's length. Two URLs colliding on 64 bits is
/// about one chance in 10^8 among a million URLs.
///
/// ```
/// use unifetch::crawl::UrlSet;
/// let mut seen = UrlSet::default();
/// assert!(seen.insert(&"http://a.test/".parse().unwrap()));
/// assert!(!seen.insert(&"http://a.test/".parse().unwrap()));
/// ```
#[derive(Debug, Default)]
pub struct UrlSet {
    hashes: HashSet<u64, BuildHasherDefault<Prehashed>>,
}

impl UrlSet {
    /// Records `url` (pass it through [`normalize`] first); false if it was already there.
    pub fn insert(&mut self, url: &Url) -> bool {
        self.hashes.insert(fingerprint(url))
    }

    /// True if no URL has been seen.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// How many URLs have been seen.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Bytes held by the set's table (keys and control bytes).
    pub fn table_bytes(&self) -> usize {
        self.hashes.capacity() * (std::mem::size_of::<u64>() + 1)
    }
}

/// A 64-bit hash of a URL's text (SipHash with fixed keys: the same in
/// every run of one build).
fn fingerprint(url: &Url) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    url.as_str().hash(&mut hasher);
    hasher.finish()
}

/// The keys are already hashes: pass them through.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_seen_once_in_any_spelling() {
        let mut seen = UrlSet::default();
        assert!(seen.insert(&normalize(&"http://a.test/x?b=1&a=2".parse().unwrap())));
        assert!(!seen.insert(&normalize(&"http://A.test:80/x?a=2&b=1#f".parse().unwrap())));
        assert!(seen.insert(&normalize(&"https://a.test/x?a=2&b=1".parse().unwrap())));
        assert!(seen.insert(&normalize(&"http://a.test/x".parse().unwrap())));
        assert!(!seen.insert(&normalize(&"http://a.test/x?&&".parse().unwrap())));
        assert_eq!(seen.len(), 3);
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// URLs with arbitrary (non-ASCII, percent, separator-rich) paths,
    /// queries and fragments, over special and non-special schemes.
    fn url() -> impl Strategy<Value = Url> {
        let start = prop::sample::select(vec![
            "http://a.test",
            "HTTPS://Ünï.test:443",
            "http://[::1]:8080",
            "http://127.0.0.1",
            "file://",
            "foo://host",
            "mailto:",
            "data:",
        ]);
        let text = || prop_oneof![any::<String>(), "[a-z=&;%?#/é钢 .+-]{0,16}", "[&=]{0,3}"];
        (start, text(), prop::option::of(text()), prop::option::of(text())).prop_filter_map(
            "not a URL",
            |(start, path, query, fragment)| {
                let mut text = format!("{start}/{path}");
                if let Some(query) = query {
                    text = format!("{text}?{query}");
                }
                if let Some(fragment) = fragment {
                    text = format!("{text}#{fragment}");
                }
                Url::parse(&text).ok()
            },
        )
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn normalizing_is_idempotent_and_survives_reparsing(url in url()) {
            let once = normalize(&url);
            prop_assert_eq!(&normalize(&once), &once);
            let reparsed = Url::parse(once.as_str()).unwrap();
            prop_assert_eq!(normalize(&reparsed), once.clone());
            prop_assert_eq!(once.fragment(), None);
            prop_assert_ne!(once.query(), Some(""));
        }

        #[test]
        fn normalizing_keeps_every_parameter_sorted(url in url()) {
            let once = normalize(&url);
            let mut original: Vec<&str> = url.query().unwrap_or("").split('&').filter(|p| !p.is_empty()).collect();
            original.sort_unstable();
            let kept: Vec<&str> = once.query().unwrap_or("").split('&').collect();
            let kept: Vec<&str> = kept.into_iter().filter(|p| !p.is_empty()).collect();
            prop_assert_eq!(kept, original);
            prop_assert_eq!((once.scheme(), once.host(), once.port(), once.path()), (url.scheme(), url.host(), url.port(), url.path()));
        }

        #[test]
        fn every_order_of_parameters_is_one_url(pairs in prop::collection::vec("[a-zé%=+]{0,6}", 0..6), seed in any::<u64>()) {
            let mut shuffled = pairs.clone();
            // A rotation by `seed` (a cheap permutation).
            if !shuffled.is_empty() {
                let by = (seed % shuffled.len() as u64) as usize;
                shuffled.rotate_left(by);
            }
            let a = Url::parse(&format!("http://a.test/p?{}", pairs.join("&"))).unwrap();
            let b = Url::parse(&format!("http://a.test/p?{}", shuffled.join("&"))).unwrap();
            prop_assert_eq!(normalize(&a), normalize(&b));
        }
    }
}
