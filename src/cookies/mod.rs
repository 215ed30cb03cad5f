//! Cookies a session keeps: in the core's [`CookieJar`] (the `cookies`
//! feature) or, where the platform has a jar of its own (browsers), there.

#[cfg(feature = "cookies")]
mod jar;

#[cfg(feature = "cookies")]
use std::sync::Arc;

use http::HeaderMap;
use url::Url;

#[cfg(feature = "cookies")]
pub use jar::CookieJar;

use crate::transport::Platform;
use crate::{Error, Result};

/// Whether a session keeps cookies, and the core's jar when it does.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionCookies {
    kept: bool,
    #[cfg(feature = "cookies")]
    jar: Option<Arc<CookieJar>>,
}

impl SessionCookies {
    /// Cookies kept (in a new jar, where the core keeps them) or not.
    pub(crate) fn kept(kept: bool) -> SessionCookies {
        SessionCookies {
            kept,
            #[cfg(feature = "cookies")]
            jar: kept.then(|| Arc::new(CookieJar::new())),
        }
    }

    /// Cookies kept in `jar`.
    #[cfg(feature = "cookies")]
    pub(crate) fn in_jar(jar: Arc<CookieJar>) -> SessionCookies {
        SessionCookies {
            kept: true,
            jar: Some(jar),
        }
    }

    /// Whether the session keeps cookies (wherever the platform keeps them).
    pub(crate) fn are_kept(&self) -> bool {
        self.kept
    }

    /// The core's jar, if the session has one.
    #[cfg(feature = "cookies")]
    pub(crate) fn jar(&self) -> Option<&Arc<CookieJar>> {
        self.jar.as_ref()
    }

    /// Fails where cookies are asked for but neither the platform nor the
    /// core can keep them (the `cookies` feature is off).
    pub(crate) fn check(&self, platform: Platform) -> Result<()> {
        if self.kept && !platform.manages_cookies && !cfg!(feature = "cookies") {
            return Err(Error::builder(
                "keeping cookies here needs the core's jar: enable unifetch's `cookies` feature",
            ));
        }
        Ok(())
    }

    /// The `Cookie` header the core's jar gives a request to `url`.
    pub(crate) fn header_for(&self, url: &Url, platform: Platform) -> Option<String> {
        #[cfg(feature = "cookies")]
        if !platform.manages_cookies {
            return self.jar.as_ref()?.header_for(url);
        }
        let _ = (url, platform);
        None
    }

    /// Stores the `Set-Cookie` headers of a response from `url` in the core's jar.
    pub(crate) fn store(&self, headers: &HeaderMap, url: &Url, platform: Platform) {
        #[cfg(feature = "cookies")]
        if let Some(jar) = self.jar.as_ref().filter(|_| !platform.manages_cookies) {
            jar.store_response(headers, url);
        }
        let _ = (headers, url, platform);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeping_cookies_needs_a_jar_unless_the_platform_has_one() {
        let browser = Platform::new(true, true);
        assert!(SessionCookies::kept(true).check(browser).is_ok(), "the browser's jar");
        assert!(SessionCookies::kept(false).check(Platform::default()).is_ok());
        let elsewhere = SessionCookies::kept(true).check(Platform::default());
        if cfg!(feature = "cookies") {
            assert!(elsewhere.is_ok(), "the core's jar");
        } else {
            let error = elsewhere.unwrap_err();
            assert!(error.is_builder(), "{error}");
            assert!(format!("{error:#}").contains("`cookies` feature"), "{error:#}");
        }
    }
}
