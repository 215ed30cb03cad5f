//! [`Request`]: one request ready to be sent — method, URL, headers, body
//! and the settings it overrides — as [`Session::execute`](crate::Session::execute)
//! takes it.

use std::fmt;

use http::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use http::Method;
use url::Url;

use crate::hooks::Hooks;
use crate::redirect::Redirect;
use crate::{Body, Proxy, Retry, Timeout};

/// A request ready to be sent with [`Session::execute`](crate::Session::execute):
/// what [`RequestBuilder::build`](crate::RequestBuilder::build) makes.
///
/// ```
/// use unifetch::{Method, Request};
/// let mut request = Request::new(Method::GET, "http://127.0.0.1:8080/get".parse().unwrap());
/// request.headers_mut().insert("x-trace", "abc".parse().unwrap());
/// assert_eq!(request.url().path(), "/get");
/// ```
pub struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Body,
    /// Boxed, and only when a setting is overridden: most requests take
    /// the session's, and a small request is quick to move.
    overrides: Option<Box<Overrides>>,
}

/// What a request sets for itself instead of taking the session's setting.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) timeout: Option<Timeout>,
    pub(crate) retry: Option<Retry>,
    pub(crate) redirect: Option<Redirect>,
    pub(crate) decompress: Option<bool>,
    pub(crate) max_body: Option<u64>,
    pub(crate) proxy: Option<Proxy>,
    /// Cookies for this request only (`name=value` pairs).
    pub(crate) cookies: Vec<String>,
    /// Hooks run after the session's.
    pub(crate) hooks: Option<Hooks>,
}

impl Request {
    /// A request with no headers, an empty body and the session's settings.
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::empty(),
            overrides: None,
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The method, to change it.
    pub fn method_mut(&mut self) -> &mut Method {
        &mut self.method
    }

    /// The URL (already joined to the session's base URL).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL, to change it.
    pub fn url_mut(&mut self) -> &mut Url {
        &mut self.url
    }

    /// The request's own headers (the session's defaults are added when it
    /// is sent, a header named here replacing the default of that name).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request's own headers, to change them.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The body, to replace it.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// The timeouts of this request, when it overrides the session's.
    pub fn timeout(&self) -> Option<&Timeout> {
        self.overrides.as_ref().and_then(|own| own.timeout.as_ref())
    }

    /// A copy of this request, unless its body is a stream (which can be
    /// read only once).
    pub fn try_clone(&self) -> Option<Request> {
        Some(Request {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: self.body.try_clone()?,
            overrides: self.overrides.clone(),
        })
    }

    /// Its parts, for the exchange.
    pub(crate) fn into_parts(self) -> (Method, Url, HeaderMap, Body, Overrides) {
        let overrides = self.overrides.map(|own| *own).unwrap_or_default();
        (self.method, self.url, self.headers, self.body, overrides)
    }

    /// The settings this request overrides, to change them.
    pub(crate) fn overrides_mut(&mut self) -> &mut Overrides {
        self.overrides.get_or_insert_default()
    }

    /// Sets `Content-Type` unless the request has one.
    pub(crate) fn set_default_content_type(&mut self, value: &'static str) {
        if !self.headers.contains_key(CONTENT_TYPE) {
            self.headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &format_args!("{}", crate::error::Redacted(&self.url)))
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}
