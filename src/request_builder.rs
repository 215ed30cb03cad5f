//! How a request is made: [`Session`]'s request methods (`get`, `post`, …)
//! and the [`RequestBuilder`] they return, which builds a [`Request`].
//!
//! ```text
//! session.get(url) ─▶ RequestBuilder ─(query, headers, body, overrides)─▶ Request ─▶ Session::execute
//! ```
//!
//! The session's request methods live here, next to the builder they
//! return, so that this module leans on the session and never the other
//! way round.

use std::fmt;
use std::future::Future;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::Method;
use serde::Serialize;

use crate::hooks::Hooks;
use crate::redirect::Redirect;
use crate::request::Overrides;
use crate::{headers, Body, Error, Proxy, Request, Response, Result, Retry, Session, Timeout};

impl Session {
    /// A request with any method.
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder {
        let request = self.resolve(url.as_ref()).map(|url| Request::new(method, url));
        RequestBuilder {
            session: self.clone(),
            request,
        }
    }

    /// A `GET` request.
    pub fn get(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A `POST` request.
    pub fn post(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// A `PUT` request.
    pub fn put(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// A `PATCH` request.
    pub fn patch(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    /// A `DELETE` request.
    pub fn delete(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// A `HEAD` request.
    pub fn head(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// An `OPTIONS` request.
    pub fn options(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::OPTIONS, url)
    }
}

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

impl RequestBuilder {
    fn update(mut self, f: impl FnOnce(&mut Request) -> Result<()>) -> RequestBuilder {
        if let Ok(request) = &mut self.request {
            if let Err(e) = f(request) {
                self.request = Err(e);
            }
        }
        self
    }

    fn set(self, f: impl FnOnce(&mut Overrides)) -> RequestBuilder {
        self.update(|request| {
            f(request.overrides_mut());
            Ok(())
        })
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
                let joined = match request.url().query() {
                    Some(existing) if !existing.is_empty() => format!("{existing}&{encoded}"),
                    _ => encoded,
                };
                request.url_mut().set_query(Some(&joined));
            }
            Ok(())
        })
    }

    /// Adds a header; it replaces the session's default of the same name.
    pub fn header<K, V>(self, name: K, value: V) -> RequestBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: Into<http::Error>,
        V: TryInto<HeaderValue>,
        V::Error: Into<http::Error>,
    {
        let pair = headers::pair(name, value);
        self.update(|request| {
            let (name, value) = pair?;
            request.headers_mut().append(name, value);
            Ok(())
        })
    }

    /// Adds several headers.
    pub fn headers(self, mut headers: HeaderMap) -> RequestBuilder {
        headers::mark_sensitive(&mut headers);
        self.update(|request| {
            request.headers_mut().extend(headers);
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
        self.header(AUTHORIZATION, format!("Basic {}", BASE64.encode(credentials)))
    }

    /// The request body as raw bytes (or a stream, see [`Body::wrap_stream`]).
    pub fn body(self, body: impl Into<Body>) -> RequestBuilder {
        let body = body.into();
        self.update(|request| {
            *request.body_mut() = body;
            Ok(())
        })
    }

    /// An `application/x-www-form-urlencoded` body from pairs, a map or a struct.
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> RequestBuilder {
        let encoded = serde_urlencoded::to_string(form).map_err(Error::builder);
        self.update(|request| {
            *request.body_mut() = Body::from(encoded?);
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
            request.headers_mut().insert(CONTENT_TYPE, content_type);
            *request.body_mut() = form.into_body();
            Ok(())
        })
    }

    /// A JSON body serialized from `json`, with `Content-Type:
    /// application/json` unless the request sets its own.
    pub fn json<T: Serialize + ?Sized>(self, json: &T) -> RequestBuilder {
        let encoded = serde_json::to_vec(json).map_err(Error::builder);
        self.update(|request| {
            *request.body_mut() = Body::from(encoded?);
            request.set_default_content_type("application/json");
            Ok(())
        })
    }

    /// A JSON body that is already serialized (sent as it is), with
    /// `Content-Type: application/json` unless the request sets its own.
    ///
    /// ```
    /// # let session = unifetch::Session::new();
    /// let _ = session.post("http://127.0.0.1/post").json_text(r#"{"hello": "world"}"#);
    /// ```
    pub fn json_text(self, json: impl Into<String>) -> RequestBuilder {
        let json = json.into();
        self.update(|request| {
            *request.body_mut() = Body::from(json);
            request.set_default_content_type("application/json");
            Ok(())
        })
    }

    /// Timeouts for this request, replacing the session's as a whole.
    pub fn timeout(self, timeout: Timeout) -> RequestBuilder {
        self.set(|own| own.timeout = Some(timeout))
    }

    /// The retry policy for this request, replacing the session's (for
    /// example [`Retry::default().any_method(true)`](Retry::any_method) to
    /// retry a POST the server deduplicates).
    pub fn retry(self, policy: Retry) -> RequestBuilder {
        self.set(|own| own.retry = Some(policy))
    }

    /// Hooks for this request, run after the session's (see [`hooks`](crate::hooks)).
    pub fn hooks(self, hooks: Hooks) -> RequestBuilder {
        self.set(|own| {
            own.hooks = Some(match own.hooks.take() {
                Some(earlier) => earlier.then(&hooks),
                None => hooks,
            })
        })
    }

    /// The redirect policy for this request, replacing the session's.
    pub fn redirect(self, policy: Redirect) -> RequestBuilder {
        self.set(|own| own.redirect = Some(policy))
    }

    /// Whether this response is decoded (see [`SessionBuilder::decompress`](crate::SessionBuilder::decompress)).
    pub fn decompress(self, decompress: bool) -> RequestBuilder {
        self.set(|own| own.decompress = Some(decompress))
    }

    /// The largest body read for this response, after decoding, whether
    /// read whole or as a stream (see [`SessionBuilder::max_body_size`](crate::SessionBuilder::max_body_size)).
    pub fn max_body_size(self, bytes: u64) -> RequestBuilder {
        self.set(|own| own.max_body = Some(bytes))
    }

    /// Sends this request through `proxy` instead of the session's proxies
    /// (natively only).
    pub fn proxy(self, proxy: Proxy) -> RequestBuilder {
        self.set(|own| own.proxy = Some(proxy))
    }

    /// Sends a cookie with this request, besides those of the session's jar.
    pub fn cookie(self, name: impl fmt::Display, value: impl fmt::Display) -> RequestBuilder {
        let pair = format!("{name}={value}");
        self.update(|request| {
            if pair.contains([';', '\r', '\n']) {
                return Err(Error::builder(format!("invalid cookie {pair:?}")));
            }
            request.overrides_mut().cookies.push(pair);
            Ok(())
        })
    }

    /// The finished request, to send later with [`Session::execute`] (or
    /// the first mistake made while building it).
    pub fn build(self) -> Result<Request> {
        self.request
    }

    /// Sends the request and waits for the response head.
    ///
    /// The body is read later, still under the request's `total` and
    /// `sock_read` timeouts, with [`Response::text`], [`Response::json`], …
    //
    // Not an `async fn`: one keeps its argument twice, and this future
    // would hold two copies of the request.
    pub fn send(self) -> impl Future<Output = Result<Response>> {
        let RequestBuilder { session, request } = self;
        async move {
            match request {
                Ok(request) => session.execute(request).await,
                Err(error) => Err(error),
            }
        }
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request {
            Ok(request) => f.debug_tuple("RequestBuilder").field(request).finish(),
            Err(error) => f.debug_tuple("RequestBuilder").field(error).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_encodes_user_and_password() {
        let session = Session::new();
        let request = session
            .get("http://127.0.0.1/")
            .basic_auth("Aladdin", Some("open sesame"))
            .build()
            .unwrap();
        assert_eq!(request.headers()[AUTHORIZATION], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    #[test]
    fn a_user_content_type_wins_over_the_json_default() {
        let session = Session::new();
        let request = session
            .post("http://127.0.0.1/post")
            .header("content-type", "application/vnd.api+json")
            .json_text("{}")
            .build()
            .unwrap();
        let types: Vec<_> = request.headers().get_all(CONTENT_TYPE).iter().collect();
        assert_eq!(types, ["application/vnd.api+json"]);
    }

    #[test]
    fn mistakes_surface_at_build() {
        let session = Session::new();
        assert!(session
            .get("http://127.0.0.1/")
            .header("x", "a\nb")
            .build()
            .unwrap_err()
            .is_builder());
        assert!(session.get("ftp://127.0.0.1/").build().unwrap_err().is_builder());
        let request = session.get("http://127.0.0.1/").bearer_auth("secret").build().unwrap();
        assert!(
            !format!("{request:?}").contains("secret"),
            "credentials never show in Debug"
        );
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[a-z&=+%#? é钢铁]{0,8}"]
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn query_pairs_round_trip_after_the_url_own(
            existing in prop::sample::select(vec!["", "?", "?a=1", "?x=%E9&y", "?q=caf%C3%A9+au+lait"]),
            pairs in prop::collection::vec((text(), text()), 0..5),
        ) {
            let url = format!("http://127.0.0.1/path{existing}");
            let request = Session::new().get(&url).query(&pairs).build().unwrap();
            let before: Vec<(String, String)> = url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
            let after: Vec<(String, String)> = url::form_urlencoded::parse(request.url().query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
            prop_assert_eq!(after, [before, pairs].concat());
            prop_assert_eq!(request.url().fragment(), None);
        }

        #[test]
        fn maps_and_structs_encode_like_pairs(key in text(), value in text(), number in any::<i64>()) {
            #[derive(Serialize)]
            struct Search<'a> {
                q: &'a str,
                n: i64,
            }
            let session = Session::new();
            let from_struct = session.get("http://127.0.0.1/").query(&Search { q: &value, n: number }).build().unwrap();
            let pairs = [("q", value.clone()), ("n", number.to_string())];
            let from_pairs = session.get("http://127.0.0.1/").query(&pairs).build().unwrap();
            prop_assert_eq!(from_struct.url(), from_pairs.url());
            let map = std::collections::BTreeMap::from([(key.clone(), value.clone())]);
            let from_map = session.get("http://127.0.0.1/").query(&map).build().unwrap();
            let decoded: Vec<(String, String)> = from_map.url().query_pairs().into_owned().collect();
            prop_assert_eq!(decoded, vec![(key, value)]);
        }
    }
}
