//! [`Response`]: status, headers, final URL, and the body read as text,
//! bytes, JSON or a stream of chunks.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, TryStreamExt};
use http::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE};
use http::{StatusCode, Version};
use serde::de::DeserializeOwned;
use sync_wrapper::SyncWrapper;
use url::Url;

use crate::incoming::Incoming;
use crate::{Body, ContentType, Error, Result, TextEncoding};

/// A response whose head has arrived; the body is read on demand.
///
/// Until the body is read to its end or the `Response` is dropped, the
/// request keeps its slot under the session's limits (unless the transport
/// already held the whole body in memory), and the request's `total` and
/// `sock_read` timeouts keep running.
pub struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: Url,
    history: Vec<Url>,
    /// The body's exact length, when known before reading.
    exact_len: Option<u64>,
    /// Only ever polled through `&mut` (hence `Sync`).
    body: SyncWrapper<Incoming>,
}

impl Response {
    pub(crate) fn new(head: http::response::Parts, url: Url, history: Vec<Url>, body: Incoming) -> Response {
        Response {
            status: head.status,
            version: head.version,
            headers: head.headers,
            url,
            history,
            exact_len: body.exact_len(),
            body: SyncWrapper::new(body),
        }
    }

    /// A response made by you rather than received: for a
    /// [`before_request`](crate::hooks::Hooks::before_request) hook that
    /// answers from a cache, or a test double. Its body is read as it is
    /// (no decoding, limits or timeouts).
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let made = http::Response::builder().status(404).body(unifetch::Body::from("gone")).unwrap();
    /// let response = unifetch::Response::from_http(made, "https://example.com/".parse().unwrap());
    /// assert_eq!(response.status(), 404);
    /// assert_eq!(response.text().await.unwrap(), "gone");
    /// # });
    /// ```
    pub fn from_http(response: http::Response<Body>, url: Url) -> Response {
        let (head, body) = response.into_parts();
        Response::new(head, url, Vec::new(), Incoming::plain(body))
    }

    /// The response with its body read whole into memory (bounded by the
    /// request's body size limit and timeouts): its connection and limit
    /// slots are free once this returns. For a response that is kept
    /// around unread, such as one inside an error.
    pub async fn buffered(mut self) -> Result<Response> {
        let mut bytes = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await? {
            bytes.extend_from_slice(&chunk);
        }
        self.exact_len = Some(bytes.len() as u64);
        self.body = SyncWrapper::new(Incoming::plain(Body::from(bytes.freeze())));
        Ok(self)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version the server answered with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The response headers (names are case-insensitive).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The response headers, to change (in an
    /// [`after_response`](crate::hooks::Hooks::after_response) hook, say).
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The URL of this response: the last one after redirects.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URLs that redirected here, in order (empty without redirects).
    pub fn history(&self) -> &[Url] {
        &self.history
    }

    /// The body's length, when the server announced it.
    pub fn content_length(&self) -> Option<u64> {
        self.exact_len.or_else(|| {
            let value = self.headers.get(CONTENT_LENGTH)?.to_str().ok()?;
            value.parse().ok()
        })
    }

    /// Turns a 4xx or 5xx response into an [`is_status`](Error::is_status) error.
    ///
    /// ```no_run
    /// # async fn run(session: unifetch::Session) -> unifetch::Result<()> {
    /// let err = session.get("/status/404").send().await?.error_for_status().unwrap_err();
    /// assert_eq!(err.status(), Some(unifetch::StatusCode::NOT_FOUND));
    /// # Ok(()) }
    /// ```
    pub fn error_for_status(self) -> Result<Response> {
        match self.error_for_status_ref() {
            Ok(_) => Ok(self),
            Err(e) => Err(e),
        }
    }

    /// Like [`error_for_status`](Self::error_for_status), keeping the response.
    pub fn error_for_status_ref(&self) -> Result<&Response> {
        if self.status.is_client_error() || self.status.is_server_error() {
            Err(Error::from_status(self.status).with_url(&self.url))
        } else {
            Ok(self)
        }
    }

    /// The next chunk of the body, `None` at its end. Reading chunk by
    /// chunk is streaming: only a body size limit that was set applies.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        self.body.get_mut().stream();
        self.next_chunk().await
    }

    /// The next chunk, under the limits of a body read whole.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        std::future::poll_fn(|cx| self.body.get_mut().poll_chunk(cx))
            .await
            .transpose()
            .map_err(|e| e.with_url(&self.url))
    }

    /// The body as a stream of chunks, as they arrive: constant memory for
    /// bodies of any size.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # async fn run(session: unifetch::Session) -> unifetch::Result<()> {
    /// let mut chunks = session.get("/stream-bytes/1000000").send().await?.chunks();
    /// let mut total = 0;
    /// while let Some(chunk) = chunks.next().await {
    ///     total += chunk?.len();
    /// }
    /// # Ok(()) }
    /// ```
    pub fn chunks(mut self) -> Chunks {
        self.body.get_mut().stream();
        Chunks {
            body: self.body,
            url: self.url,
        }
    }

    /// The whole body.
    //
    // Not an `async fn`, nor those below: one keeps its argument twice,
    // and this future would hold two copies of the response. It keeps
    // only the body and the URL its errors name.
    pub fn bytes(self) -> impl Future<Output = Result<Bytes>> {
        // Not streamed: read under the limits of a body read whole.
        let mut body = Chunks {
            body: self.body,
            url: self.url,
        };
        async move {
            // A body that comes in one chunk is that chunk, not a copy.
            let Some(first) = body.try_next().await? else {
                return Ok(Bytes::new());
            };
            let Some(second) = body.try_next().await? else {
                return Ok(first);
            };
            let mut buffer = BytesMut::with_capacity(first.len() + second.len());
            buffer.extend_from_slice(&first);
            buffer.extend_from_slice(&second);
            while let Some(chunk) = body.try_next().await? {
                buffer.extend_from_slice(&chunk);
            }
            Ok(buffer.freeze())
        }
    }

    /// The body decoded as text with the `charset` of `Content-Type`
    /// (a byte-order mark wins; unknown or absent charsets mean UTF-8).
    /// Invalid sequences become U+FFFD, never an error or a panic.
    pub fn text(self) -> impl Future<Output = Result<String>> {
        self.text_with_charset("utf-8")
    }

    /// Like [`text`](Self::text), with the charset to use when the response names none.
    pub fn text_with_charset(self, default_charset: &str) -> impl Future<Output = Result<String>> + '_ {
        let content_type = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = self.bytes();
        async move {
            let bytes = bytes.await?;
            let encoding = TextEncoding::sniff(content_type.as_deref(), &bytes, default_charset);
            Ok(encoding.decode(&bytes))
        }
    }

    /// The body parsed as JSON into any `Deserialize` type.
    pub fn json<T: DeserializeOwned>(self) -> impl Future<Output = Result<T>> {
        let url = self.url.clone();
        let bytes = self.bytes();
        async move {
            let bytes = bytes.await?;
            serde_json::from_slice(&bytes).map_err(|e| Error::decode(e).with_url(&url))
        }
    }

    /// The `Content-Type` header, parsed.
    pub fn content_type(&self) -> Option<ContentType> {
        ContentType::parse(self.headers.get(CONTENT_TYPE)?.to_str().ok()?)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("url", &format_args!("{}", crate::error::Redacted(&self.url)))
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// The body of a [`Response`] as a [`Stream`] of chunks; see [`Response::chunks`].
pub struct Chunks {
    body: SyncWrapper<Incoming>,
    /// The response's, for errors.
    url: Url,
}

impl Stream for Chunks {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        let this = &mut *self;
        this.body
            .get_mut()
            .poll_chunk(cx)
            .map(|chunk| chunk.map(|read| read.map_err(|e| e.with_url(&this.url))))
    }
}

impl fmt::Debug for Chunks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Chunks")
    }
}
