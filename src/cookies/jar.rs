//! [`CookieJar`]: cookies kept across requests, with RFC 6265's domain,
//! path, secure and expiry rules (through the `cookie_store` crate).

use std::fmt;
use std::io::{BufRead, Write};
use std::sync::Mutex;

use http::header::{HeaderMap, SET_COOKIE};
use url::Url;

use crate::{Error, Result};

/// A cookie jar: every `Set-Cookie` a session receives is stored, and every
/// request carries the cookies that match its URL.
///
/// Natively, in Node and in WASI the core keeps this jar; in browsers the
/// browser's own jar is used instead (`credentials: "include"`), since
/// scripts can neither read `Set-Cookie` nor write `Cookie`.
///
/// ```
/// use unifetch::CookieJar;
/// let jar = CookieJar::new();
/// let url = "https://example.com/shop/cart".parse().unwrap();
/// jar.add("session=abc; Path=/shop; Secure", &url);
/// assert_eq!(jar.header_for(&url).as_deref(), Some("session=abc"));
/// assert_eq!(jar.header_for(&"http://example.com/shop".parse().unwrap()), None, "secure only");
/// ```
#[derive(Default)]
pub struct CookieJar {
    store: Mutex<cookie_store::CookieStore>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    /// A jar with the cookies saved by [`save_json`](Self::save_json).
    pub fn load_json(reader: impl BufRead) -> Result<CookieJar> {
        let store = cookie_store::serde::json::load(reader)
            .map_err(|e| Error::builder(format!("cannot read the cookie jar: {e}")))?;
        Ok(CookieJar {
            store: Mutex::new(store),
        })
    }

    /// Writes every cookie as JSON, session cookies included (as curl's
    /// `--cookie-jar` does); expired ones are dropped when loaded.
    pub fn save_json(&self, writer: &mut impl Write) -> Result<()> {
        cookie_store::serde::json::save_incl_expired_and_nonpersistent(&self.lock(), writer)
            .map_err(|e| Error::builder(format!("cannot write the cookie jar: {e}")))
    }

    /// Stores a cookie as if `url` had answered with `Set-Cookie: set_cookie`.
    /// Invalid cookies are ignored, as browsers do.
    pub fn add(&self, set_cookie: &str, url: &Url) {
        let Ok(cookie) = cookie_store::Cookie::parse(set_cookie, url) else {
            return;
        };
        // With no public suffix list, at least a `Domain` of one label
        // (`Domain=com`), which would reach every site under it, is refused
        // unless it names the host itself (`localhost`), as curl does.
        if let cookie_store::CookieDomain::Suffix(domain) = &cookie.domain {
            if !domain.trim_matches('.').contains('.') && !cookie.domain.host_is_identical(url) {
                return;
            }
        }
        let _ = self.lock().insert(cookie.into_owned(), url);
    }

    /// The `Cookie` header a request to `url` carries, if any cookie
    /// matches: longer paths first, as RFC 6265 recommends.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let store = self.lock();
        let mut cookies = store.matches(url);
        cookies.sort_by_key(|cookie| std::cmp::Reverse(cookie.path().map_or(0, str::len)));
        let pairs: Vec<String> = cookies
            .iter()
            .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Stores the `Set-Cookie` headers of a response from `url`.
    pub(crate) fn store_response(&self, headers: &HeaderMap, url: &Url) {
        for value in headers.get_all(SET_COOKIE) {
            if let Ok(text) = value.to_str() {
                self.add(text, url);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, cookie_store::CookieStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.lock().iter_unexpired().count();
        f.debug_struct("CookieJar").field("cookies", &count).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_path_and_expiry_rules_apply() {
        let jar = CookieJar::new();
        let shop: Url = "http://shop.example.com/cart/items".parse().unwrap();
        jar.add("a=1; Domain=example.com; Path=/", &shop);
        jar.add("b=2; Path=/cart", &shop);
        jar.add("gone=x; Max-Age=0", &shop);
        assert_eq!(jar.header_for(&shop).as_deref(), Some("b=2; a=1"));
        let other: Url = "http://www.example.com/".parse().unwrap();
        assert_eq!(jar.header_for(&other).as_deref(), Some("a=1"));
        let elsewhere: Url = "http://example.org/".parse().unwrap();
        assert_eq!(jar.header_for(&elsewhere), None);
    }

    #[test]
    fn a_top_level_domain_cannot_be_a_cookie_domain() {
        let jar = CookieJar::new();
        let shop: Url = "http://shop.test/".parse().unwrap();
        jar.add("super=1; Domain=test", &shop);
        jar.add("dotted=1; Domain=.test.", &shop);
        assert_eq!(jar.header_for(&"http://other.test/".parse().unwrap()), None);
        assert_eq!(jar.header_for(&shop), None);
        let localhost: Url = "http://localhost/".parse().unwrap();
        jar.add("own=1; Domain=localhost", &localhost);
        assert_eq!(jar.header_for(&localhost).as_deref(), Some("own=1"));
    }

    #[test]
    fn jars_round_trip_through_json() {
        let jar = CookieJar::new();
        let url: Url = "http://example.com/".parse().unwrap();
        jar.add("keep=1; Max-Age=3600", &url);
        let mut saved = Vec::new();
        jar.save_json(&mut saved).unwrap();
        let loaded = CookieJar::load_json(&saved[..]).unwrap();
        assert_eq!(loaded.header_for(&url).as_deref(), Some("keep=1"));
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Set-Cookie lines: arbitrary text, and cookies whose attributes try
    /// to reach further (a parent domain, the top-level domain, another site).
    fn set_cookie() -> impl Strategy<Value = String> {
        let attribute = prop::sample::select(vec![
            "Domain=shop.test",
            "Domain=.shop.test",
            "Domain=test",
            "Domain=.test",
            "Domain=other.test",
            "Domain=www.other.test",
            "Domain=127.0.0.1",
            "Domain=0.0.1",
            "Domain=",
            "Path=/",
            "Path=/a",
            "Path=",
            "Secure",
            "HttpOnly",
            "SameSite=None",
            "Max-Age=3600",
            "Max-Age=-1",
            "Expires=Wed, 21 Oct 2099 07:28:00 GMT",
            "Expires=nonsense",
        ]);
        prop_oneof![
            any::<String>(),
            ("[a-z=;é ]{0,8}", "[ -~é]{0,12}", prop::collection::vec(attribute, 0..4)).prop_map(
                |(name, value, attributes)| {
                    let mut line = format!("{name}={value}");
                    for attribute in attributes {
                        line.push_str("; ");
                        line.push_str(attribute);
                    }
                    line
                }
            ),
        ]
    }

    fn path() -> impl Strategy<Value = String> {
        prop_oneof!["(/[a-z%é]{0,4}){0,3}", Just("/".to_owned())]
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn a_cookie_set_for_one_site_is_never_sent_to_another(
            lines in prop::collection::vec(set_cookie(), 1..5),
            from in prop::sample::select(vec!["http://shop.test", "https://www.shop.test", "http://a.b.shop.test:8080", "http://127.0.0.1"]),
            to in prop::sample::select(vec!["http://other.test", "https://www.other.test", "http://test", "http://127.0.0.2", "http://shop.test.evil"]),
            set_path in path(),
            read_path in path(),
        ) {
            let jar = CookieJar::new();
            let from = Url::parse(&format!("{from}{set_path}")).unwrap();
            for line in &lines {
                jar.add(line, &from);
            }
            let to = Url::parse(&format!("{to}{read_path}")).unwrap();
            prop_assert_eq!(jar.header_for(&to), None, "set by {} with {:?}", from, lines);
            // And the jar still answers for the site that set them.
            let _ = jar.header_for(&from);
        }

        #[test]
        fn a_plain_cookie_comes_back_to_its_site(name in "[a-zA-Z0-9_-]{1,12}", value in "[a-zA-Z0-9_.~-]{0,24}") {
            let jar = CookieJar::new();
            let url: Url = "http://shop.test/cart".parse().unwrap();
            jar.add(&format!("{name}={value}; Path=/"), &url);
            prop_assert_eq!(jar.header_for(&url), Some(format!("{name}={value}")));
        }
    }
}
