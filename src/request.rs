//! [`RequestBuilder`]: one request's URL, query, headers, body and overrides.

use std::fmt;

use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::Method;
use serde::Serialize;
use url::Url;

use crate::redirect::Redirect;
use crate::{Body, Error, Proxy, Response, Result, Retry, Session, Timeout};

/// A request being built. Nothing is sent until [`send`](Self::send).
///
/// Every method takes and returns the builder; a mistake made along the way
/// (a header with a newline, a value that cannot be serialized) is kept and
/// returned by `send()` as an [`is_builder`](Error::is_builder) error.
///
/// ```no_run
/// # async fn run(session: unifetch::Session) -> unifetch::Result<()> {
/// #[derive(serde::Serialize)]
/// struct Search<'a> { q: &'a str, page: u32 }
///
/// let resp = session
///     .post("/post")
///     .query(&Search { q: "钢铁知识库", page: 2 })
///     .header("X-Trace", "abc")
///     .json(&serde_json::json!({"hello": "world"}))
///     .send()
///     .await?
///     .error_for_status()?;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    session: Session,
    request: Result<Request>,
}

/// A request ready to go: what [`RequestBuilder`] builds.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    pub(crate) timeout: Option<Timeout>,
    pub(crate) retry: Option<Retry>,
    pub(crate) redirect: Option<Redirect>,
    pub(crate) decompress: Option<bool>,
    pub(crate) max_body: Option<u64>,
    pub(crate) proxy: Option<Proxy>,
    pub(crate) cookies: Vec<String>,
}

impl RequestBuilder {
    pub(crate) fn new(session: Session, method: Method, url: Result<Url>) -> RequestBuilder {
        let request = url.map(|url| Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::empty(),
            timeout: None,
            retry: None,
            redirect: None,
            decompress: None,
            max_body: None,
            proxy: None,
            cookies: Vec::new(),
        });
        RequestBuilder { session, request }
    }

    fn update(mut self, f: impl FnOnce(&mut Request) -> Result<()>) -> RequestBuilder {
        if let Ok(request) = &mut self.request {
            if let Err(e) = f(request) {
                self.request = Err(e);
            }
        }
        self
    }

    /// Appends query parameters from anything `serde_urlencoded` accepts: a
    /// slice of pairs, a map, or a struct. Values are UTF-8 percent-encoded.
    ///
    /// ```
    /// # let session = unifetch::Session::new();
    /// let pairs = [("name", "钢铁知识库"), ("age", "23")];
    /// let map: std::collections::BTreeMap<_, _> = pairs.into_iter().collect();
    /// let _ = session.get("http://127.0.0.1/get").query(&pairs);
    /// let _ = session.get("http://127.0.0.1/get").query(&map);
    /// ```
    pub fn query<T: Serialize + ?Sized>(self, query: &T) -> RequestBuilder {
        self.update(|request| {
            let encoded = serde_urlencoded::to_string(query).map_err(Error::builder)?;
            if !encoded.is_empty() {
                let joined = match request.url.query() {
                    Some(existing) if !existing.is_empty() => format!("{existing}&{encoded}"),
                    _ => encoded,
                };
                request.url.set_query(Some(&joined));
            }
            Ok(())
        })
    }

    /// Sets a header, replacing the session's default of the same name.
    pub fn header<K, V>(self, name: K, value: V) -> RequestBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: Into<http::Error>,
        V: TryInto<HeaderValue>,
        V::Error: Into<http::Error>,
    {
        let pair = header_pair(name, value);
        self.update(|request| {
            let (name, value) = pair?;
            request.headers.append(name, value);
            Ok(())
        })
    }

    /// Adds several headers.
    pub fn headers(self, headers: HeaderMap) -> RequestBuilder {
        self.update(|request| {
            request.headers.extend(headers);
            Ok(())
        })
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: impl fmt::Display) -> RequestBuilder {
        self.header(AUTHORIZATION, format!("Bearer {token}"))
    }

    /// `Authorization: Basic …` from a user name and an optional password.
    pub fn basic_auth(self, user: impl fmt::Display, password: Option<impl fmt::Display>) -> RequestBuilder {
        let credentials = match password {
            Some(password) => format!("{user}:{password}"),
            None => format!("{user}:"),
        };
        self.header(AUTHORIZATION, format!("Basic {}", base64(credentials.as_bytes())))
    }

    /// The request body as raw bytes (or a stream, see [`Body::wrap_stream`]).
    pub fn body(self, body: impl Into<Body>) -> RequestBuilder {
        let body = body.into();
        self.update(|request| {
            request.body = body;
            Ok(())
        })
    }

    /// An `application/x-www-form-urlencoded` body from pairs, a map or a struct.
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> RequestBuilder {
        let encoded = serde_urlencoded::to_string(form).map_err(Error::builder);
        self.update(|request| {
            request.body = Body::from(encoded?);
            request.set_default_content_type("application/x-www-form-urlencoded");
            Ok(())
        })
    }

    /// A `multipart/form-data` body (text fields and files).
    ///
    /// ```no_run
    /// # async fn run(session: unifetch::Session) -> unifetch::Result<()> {
    /// use unifetch::multipart::{Form, Part};
    /// let form = Form::new()
    ///     .text("name", "钢铁知识库")
    ///     .part("file", Part::bytes(b"hello".to_vec()).file_name("hello.txt").mime("text/plain"));
    /// session.post("/post").multipart(form).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn multipart(self, form: crate::multipart::Form) -> RequestBuilder {
        self.update(|request| {
            let content_type = HeaderValue::from_str(&form.content_type()).map_err(Error::builder)?;
            request.headers.insert(CONTENT_TYPE, content_type);
            request.body = Body::from(form.into_bytes());
            Ok(())
        })
    }

    /// An `application/json` body.
    pub fn json<T: Serialize + ?Sized>(self, json: &T) -> RequestBuilder {
        let encoded = serde_json::to_vec(json).map_err(Error::builder);
        self.update(|request| {
            request.body = Body::from(encoded?);
            request.set_default_content_type("application/json");
            Ok(())
        })
    }

    /// Timeouts for this request, replacing the session's as a whole.
    pub fn timeout(self, timeout: Timeout) -> RequestBuilder {
        self.update(|request| {
            request.timeout = Some(timeout);
            Ok(())
        })
    }

    /// The retry policy for this request, replacing the session's (for
    /// example [`Retry::default().any_method(true)`](Retry::any_method) to
    /// retry a POST the server deduplicates).
    pub fn retry(self, policy: Retry) -> RequestBuilder {
        self.update(|request| {
            request.retry = Some(policy);
            Ok(())
        })
    }

    /// The redirect policy for this request, replacing the session's.
    pub fn redirect(self, policy: Redirect) -> RequestBuilder {
        self.update(|request| {
            request.redirect = Some(policy);
            Ok(())
        })
    }

    /// Whether this response is decoded (see [`SessionBuilder::decompress`](crate::SessionBuilder::decompress)).
    pub fn decompress(self, decompress: bool) -> RequestBuilder {
        self.update(|request| {
            request.decompress = Some(decompress);
            Ok(())
        })
    }

    /// The largest body read for this response, after decoding.
    pub fn max_body_size(self, bytes: u64) -> RequestBuilder {
        self.update(|request| {
            request.max_body = Some(bytes);
            Ok(())
        })
    }

    /// Sends this request through `proxy` instead of the session's proxies
    /// (natively only).
    pub fn proxy(self, proxy: Proxy) -> RequestBuilder {
        self.update(|request| {
            request.proxy = Some(proxy);
            Ok(())
        })
    }

    /// Sends a cookie with this request, besides those of the session's jar.
    pub fn cookie(self, name: impl fmt::Display, value: impl fmt::Display) -> RequestBuilder {
        let pair = format!("{name}={value}");
        self.update(|request| {
            if pair.contains([';', '\r', '\n']) {
                return Err(Error::builder(format!("invalid cookie {pair:?}")));
            }
            request.cookies.push(pair);
            Ok(())
        })
    }

    /// Sends the request and waits for the response head.
    ///
    /// The body is read later, still under the request's `total` and
    /// `sock_read` timeouts, with [`Response::text`], [`Response::json`], …
    pub async fn send(self) -> Result<Response> {
        let request = self.request?;
        crate::exchange::execute(&self.session, request).await
    }
}

impl Request {
    fn set_default_content_type(&mut self, value: &'static str) {
        if !self.headers.contains_key(CONTENT_TYPE) {
            self.headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
        }
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request {
            Ok(request) => f
                .debug_struct("RequestBuilder")
                .field("method", &request.method)
                .field("url", &format_args!("{}", crate::error::Redacted(&request.url)))
                .finish_non_exhaustive(),
            Err(error) => f.debug_tuple("RequestBuilder").field(error).finish(),
        }
    }
}

/// Converts a header name and value, reporting bad ones as builder errors.
pub(crate) fn header_pair<K, V>(name: K, value: V) -> Result<(HeaderName, HeaderValue)>
where
    K: TryInto<HeaderName>,
    K::Error: Into<http::Error>,
    V: TryInto<HeaderValue>,
    V::Error: Into<http::Error>,
{
    let name = name.try_into().map_err(|e| Error::builder(e.into()))?;
    let value = value.try_into().map_err(|e| Error::builder(e.into()))?;
    Ok((name, value))
}

/// Standard base64 with padding, for `Basic` credentials.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn header_with_newline_is_a_builder_error() {
        let err = header_pair("X-Test", "a\r\nInjected: yes").unwrap_err();
        assert!(err.is_builder());
    }
}
