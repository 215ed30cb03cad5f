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
        let _ = self.lock().parse(set_cookie, url);
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
