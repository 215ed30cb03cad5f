//! The origin of the session's last URL, so that the next URL on it is
//! parsed from its path on.
//!
//! Most of what [`Url::parse`] does for `https://example.com/a?b` goes into
//! the host: IDNA mapping, IP address forms, the serialization. A program
//! usually sends many requests to few origins, so the session keeps the
//! last one as a URL, and a URL string that starts with that origin's
//! serialization followed by a plain absolute path is joined to it
//! ([`Url::join`]), which reuses the parsed host and parses the rest as
//! `Url::parse` would. The exchange makes the transport's `http::Uri` of
//! such a URL the same way, from the origin's authority parsed once.
//! Anything else, and a miss, is parsed whole. Without the `origin-cache`
//! feature (the npm package, where it would cost 3.5 KB gzipped and save
//! nothing next to `fetch`), every URL is parsed whole.

use std::sync::Mutex;

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use url::{Position, Url};

/// The origin (`scheme://host[:port]`) of the last URL a session parsed.
#[derive(Default)]
pub(crate) struct LastOrigin {
    origin: Mutex<Option<Origin>>,
}

/// An origin, as the URL it was last seen in.
struct Origin {
    /// The URL: a reference with an absolute path joined to it depends on
    /// its origin only.
    url: Url,
    /// Its authority as `http::Uri` has it, once asked for.
    authority: Option<Authority>,
}

impl Origin {
    /// `scheme://host[:port]`: how every URL on the origin starts.
    fn serialization(&self) -> &str {
        &self.url[..Position::BeforePath]
    }
}

impl LastOrigin {
    /// `input` parsed as [`Url::parse`] parses it, when it is on the last
    /// origin; `None` when it has to be parsed whole.
    pub(crate) fn parse(&self, input: &str) -> Option<Url> {
        if !cfg!(feature = "origin-cache") {
            return None;
        }
        // Never waits: under contention, parsing the whole is as good.
        let origin = self.origin.try_lock().ok()?;
        let origin = origin.as_ref()?;
        let rest = input.strip_prefix(origin.serialization())?;
        if !is_plain_absolute_path(rest) {
            return None;
        }
        origin.url.join(rest).ok()
    }

    /// The `http::Uri` of `url` (without its fragment), when `url` is on
    /// the last origin; `None` when it has to be parsed whole.
    pub(crate) fn uri(&self, url: &Url) -> Option<http::Uri> {
        // The longest URI `http` takes whole; parsed whole, a longer one
        // is the error it should be.
        const LONGEST: usize = u16::MAX as usize - 1;
        if !cfg!(feature = "origin-cache") || url[..Position::AfterQuery].len() > LONGEST {
            return None;
        }
        let authority = {
            let mut origin = self.origin.try_lock().ok()?;
            let origin = origin.as_mut()?;
            if url[..Position::BeforePath] != *origin.serialization() {
                return None;
            }
            match &origin.authority {
                Some(authority) => authority.clone(),
                None => {
                    let authority: Authority = url[Position::BeforeHost..Position::AfterPort].parse().ok()?;
                    origin.authority.insert(authority).clone()
                }
            }
        };
        let scheme = match url.scheme() {
            "https" => Scheme::HTTPS,
            _ => Scheme::HTTP,
        };
        let path = &url[Position::BeforePath..Position::AfterQuery];
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(scheme);
        parts.authority = Some(authority);
        parts.path_and_query = Some(PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(path.as_bytes())).ok()?);
        http::Uri::from_parts(parts).ok()
    }

    /// Keeps the origin of `url` (an `http` or `https` URL without
    /// credentials) for the next [`parse`](Self::parse): a copy of `url`,
    /// so that a program that goes from origin to origin pays little more
    /// than before.
    pub(crate) fn remember(&self, url: &Url) {
        if !cfg!(feature = "origin-cache") {
            return;
        }
        if !url.username().is_empty() || url.password().is_some() || !url.has_host() {
            return;
        }
        let Ok(mut last) = self.origin.try_lock() else {
            return;
        };
        let serialization = &url[..Position::BeforePath];
        if last
            .as_ref()
            .is_some_and(|origin| origin.serialization() == serialization)
        {
            return;
        }
        *last = Some(Origin {
            url: url.clone(),
            authority: None,
        });
    }
}

/// Whether `rest`, after an origin, makes a URL that `Url::parse` reads
/// the way `Url::join` on that origin reads `rest`: a path that starts
/// with one `/` (`//` or `/\` would start a new host in a reference) and
/// holds no control character or space (which parsing strips or trims).
fn is_plain_absolute_path(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.iter().all(|&b| b > b' ' && b != 0x7f)
}

#[cfg(all(test, feature = "origin-cache"))]
mod tests {
    use super::*;

    fn remembering(url: &str) -> LastOrigin {
        let last = LastOrigin::default();
        last.remember(&Url::parse(url).unwrap());
        last
    }

    #[test]
    fn a_url_on_the_last_origin_is_parsed_from_its_path() {
        let last = remembering("http://127.0.0.1:8080/first?a=1#top");
        for input in [
            "http://127.0.0.1:8080/1k",
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080/a/../b/./c?x=%zz&y='&z=\"#frag\\",
            "http://127.0.0.1:8080/é?ü#ß",
        ] {
            let parsed = last.parse(input).unwrap_or_else(|| panic!("{input} is on the origin"));
            assert_eq!(parsed, Url::parse(input).unwrap(), "{input}");
            assert_eq!(parsed.port(), Some(8080));
        }
    }

    #[test]
    fn anything_else_is_parsed_whole() {
        let last = remembering("https://example.com/");
        for input in [
            "https://example.com",              // no path
            "https://example.com:443/",         // another spelling of the origin
            "https://example.com.evil.org/",    // another host
            "https://example.com//evil.org/",   // `//` after the origin
            "https://example.com/\\evil.org/",  // `/\` after the origin
            "https://example.com/\t/evil.org/", // a tab, which parsing removes
            "https://example.com/a b",          // a space
            "http://example.com/",              // another scheme
            "HTTPS://EXAMPLE.COM/",             // not the serialization
        ] {
            assert!(last.parse(input).is_none(), "{input}");
        }
    }

    #[test]
    fn a_uri_too_long_for_http_is_left_to_fail_whole() {
        let last = remembering("http://127.0.0.1:8080/");
        let fits = Url::parse(&format!("http://127.0.0.1:8080/{}", "a".repeat(65_512))).unwrap();
        let too_long = Url::parse(&format!("http://127.0.0.1:8080/{}", "a".repeat(65_513))).unwrap();
        assert_eq!(last.uri(&fits), Some(fits.as_str().parse().unwrap()));
        assert!(last.uri(&too_long).is_none());
        assert!(too_long.as_str().parse::<http::Uri>().is_err());
    }

    #[test]
    fn credentials_are_not_remembered() {
        let last = remembering("http://user:secret@127.0.0.1/");
        assert!(last.parse("http://user:secret@127.0.0.1/x").is_none());
        assert!(last.origin.lock().unwrap().is_none());
        let url = Url::parse("http://user:secret@127.0.0.1/x").unwrap();
        assert!(last.uri(&url).is_none());
    }
}

#[cfg(all(test, feature = "origin-cache", not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// What may follow an origin: characters that paths, queries and
    /// fragments treat each in their own way, and those that end a host.
    fn after_origin() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "/", "\\", ".", "..", "%", "%2e", "%zz", "?", "#", "@", ":", "[", "]", " ", "\t", "\n", "\r", "\0", "a",
            "Z", "é", "ß", "~", "'", "\"", "<", "{", "^", "`", "|", "0", ";", "=", "&", "+", "\u{7f}", "\u{feff}",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn joining_the_rest_to_the_origin_is_parsing_the_whole(
            origin in prop::sample::select(vec![
                "http://127.0.0.1:8080", "https://example.com", "http://[::1]:3000", "https://xn--bcher-kva.example",
            ]),
            first in after_origin(),
            rest in prop_oneof![after_origin(), after_origin().prop_map(|rest| format!("/{rest}"))],
        ) {
            let last = LastOrigin::default();
            last.remember(&Url::parse(&format!("{origin}/{first}")).unwrap());
            let input = format!("{origin}{rest}");
            if let Some(parsed) = last.parse(&input) {
                let whole = Url::parse(&input).ok();
                prop_assert_eq!(Some(&parsed), whole.as_ref(), "{:?}", input);
                let uri: http::Uri = parsed[..Position::AfterQuery].parse().unwrap();
                prop_assert_eq!(last.uri(&parsed), Some(uri), "{:?}", input);
            }
        }
    }
}
