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
    if own.is_empty() {
        return defaults.clone();
    }
    let mut merged = defaults.clone();
    for name in own.keys() {
        merged.remove(name);
    }
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
