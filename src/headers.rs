//! Small header helpers shared by the builders and the exchange.

use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};

use crate::{Error, Result};

/// Converts a header name and value, reporting bad ones as builder errors.
/// Credentials (`Authorization`, `Proxy-Authorization`, `Cookie`,
/// `Set-Cookie`) are marked sensitive, so that `Debug` output never shows them.
pub(crate) fn pair<K, V>(name: K, value: V) -> Result<(HeaderName, HeaderValue)>
where
    K: TryInto<HeaderName>,
    K::Error: Into<http::Error>,
    V: TryInto<HeaderValue>,
    V::Error: Into<http::Error>,
{
    let name = name.try_into().map_err(|e| Error::builder(e.into()))?;
    let mut value = value.try_into().map_err(|e| Error::builder(e.into()))?;
    if is_sensitive(&name) {
        value.set_sensitive(true);
    }
    Ok((name, value))
}

/// Marks every credential in `headers` sensitive (see [`pair`]).
pub(crate) fn mark_sensitive(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if is_sensitive(name) {
            value.set_sensitive(true);
        }
    }
}

/// Whether values of `name` are credentials.
pub(crate) fn is_sensitive(name: &HeaderName) -> bool {
    [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, SET_COOKIE].contains(name)
}

/// `defaults`, with every header that `own` names replaced by `own`'s values.
pub(crate) fn merge(defaults: &HeaderMap, own: HeaderMap) -> HeaderMap {
    let mut merged = defaults.clone();
    for name in own.keys() {
        merged.remove(name);
    }
    // Room for the request's own at once (a map too large to reserve for
    // grows as it goes instead).
    let _ = merged.try_reserve(own.keys_len());
    let mut last = None;
    for (name, value) in own {
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            merged.append(name.clone(), value);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_headers_replace_defaults_by_name() {
        let mut defaults = HeaderMap::new();
        defaults.insert("user-agent", HeaderValue::from_static("default"));
        defaults.insert("accept", HeaderValue::from_static("*/*"));
        let mut own = HeaderMap::new();
        own.append("user-agent", HeaderValue::from_static("mine"));
        own.append("x-multi", HeaderValue::from_static("1"));
        own.append("x-multi", HeaderValue::from_static("2"));
        let merged = merge(&defaults, own);
        assert_eq!(merged["user-agent"], "mine");
        assert_eq!(merged["accept"], "*/*");
        assert_eq!(merged.get_all("x-multi").iter().count(), 2);

        let mut many = HeaderMap::new();
        for _ in 0..25_000 {
            many.append("x-many", HeaderValue::from_static("1"));
        }
        assert_eq!(
            merge(&defaults, many).len(),
            25_002,
            "more values than a map can reserve"
        );
    }

    #[test]
    fn bad_headers_are_builder_errors_and_credentials_are_sensitive() {
        let err = pair("X-Test", "a\r\nInjected: yes").unwrap_err();
        assert!(err.is_builder());
        let (_, value) = pair("authorization", "Bearer secret").unwrap();
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("secret"));
        let (_, value) = pair("x-trace", "abc").unwrap();
        assert!(!value.is_sensitive());
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// RFC 9110's `token`, the bytes of a header name.
    fn is_tchar(byte: u8) -> bool {
        byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
    }

    /// A field value's bytes: visible ASCII, space, tab and obs-text.
    fn is_value_byte(byte: u8) -> bool {
        byte == b'\t' || (byte >= 0x20 && byte != 0x7f)
    }

    fn name() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..24),
            "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,24}".prop_map(String::into_bytes),
            prop::sample::select(vec!["Authorization", "proxy-authorization", "COOKIE", "set-cookie"])
                .prop_map(|name| name.as_bytes().to_vec()),
        ]
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        let valid = prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff];
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..48),
            prop::collection::vec(valid, 0..48),
        ]
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn invalid_bytes_are_errors_and_valid_ones_round_trip(name in name(), value in value()) {
            let valid = !name.is_empty() && name.iter().all(|b| is_tchar(*b)) && value.iter().all(|b| is_value_byte(*b));
            match pair(&name[..], &value[..]) {
                Ok((parsed_name, parsed_value)) => {
                    prop_assert!(valid, "accepted {name:?}: {value:?}");
                    prop_assert_eq!(parsed_name.as_str().as_bytes(), name.to_ascii_lowercase());
                    prop_assert_eq!(parsed_value.as_bytes(), &value[..]);
                    prop_assert_eq!(parsed_value.is_sensitive(), is_sensitive(&parsed_name));
                }
                Err(error) => {
                    prop_assert!(!valid, "refused {name:?}: {value:?}");
                    prop_assert!(error.is_builder());
                }
            }
        }

        #[test]
        fn line_breaks_never_pass(prefix in "[ -~]{0,16}", suffix in "[ -~]{0,16}", line_break in prop::sample::select(vec!["\r", "\n", "\r\n", "\0"])) {
            let value = format!("{prefix}{line_break}{suffix}");
            prop_assert!(pair("x-injected", value).is_err());
        }
    }
}
