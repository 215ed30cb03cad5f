//! One hop of an exchange with the transport: wait for slots under the
//! session's limits (bounded by `connect`), hand the request over, and wait
//! for the response head (bounded by `sock_read` once the request body has
//! been handed over).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http::HeaderMap;
use http_body::{Frame, SizeHint};

use super::Exchange;
use crate::error::{Phase, TimeoutKind};
use crate::headers;
use crate::last_origin::LastOrigin;
use crate::limit::Permit;
use crate::redirect::Hop;
use crate::timeout::{Deadline, IdleTimer};
use crate::transport::SendOptions;
use crate::{Body, Error, Result};

/// How many times in a row a request goes out again because the kept-alive
/// connection it was sent on had been closed by the server. Each try takes
/// another connection (a closed one never goes back to the pool), so only a
/// pool full of connections closed at once needs more than one.
const CLOSED_WHILE_IDLE_RESENDS: u32 = 3;

impl Exchange<'_> {
    /// [`send`](Self::send), sent again on another connection when the
    /// server had closed the kept-alive one (see
    /// [`Error::closed_while_idle`]): idempotent methods with a body that
    /// can be sent again only. Not an attempt of the retry policy: the
    /// request did not reach the server's application.
    pub(super) async fn send_on_open_connection(
        &self,
        hop: &mut Hop<'_>,
    ) -> Result<(http::response::Parts, Body, Permit)> {
        let mut resends = 0;
        loop {
            let replayable = hop.method.is_idempotent() && hop.body.as_bytes().is_some();
            match self.send(hop).await {
                Err(error) if error.is_closed_while_idle() && replayable && resends < CLOSED_WHILE_IDLE_RESENDS => {
                    debug_event!(url = %hop.url, "the server had closed the kept-alive connection: sending again");
                    resends += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Sends `hop` and waits for the response head; the permit holds the
    /// request's limit slots until its body is done.
    pub(super) async fn send(&self, hop: &mut Hop<'_>) -> Result<(http::response::Parts, Body, Permit)> {
        let client = self.client;
        let timeout = &self.timeout;
        #[cfg(feature = "tracing")]
        self.progress.restart(!self.span.is_disabled());
        self.progress.set(Phase::Pool);
        // `connect` covers the wait for slots too: what the wait leaves of
        // it goes to the transport.
        let waiting_since = timeout.connect.map(|_| client.timer.now());
        let mut connect = Deadline::new(&*client.timer, TimeoutKind::Connect, timeout.connect);
        let permit = connect
            .race_with(|| Phase::Pool, async { Ok(client.limiter.acquire(&hop.url).await) })
            .await?;
        let connect_left = timeout
            .connect
            .zip(waiting_since)
            .map(|(limit, since)| limit.saturating_sub(client.timer.now().saturating_duration_since(since)));

        let headers = self.hop_headers(hop);
        let (body, sent) = track_sent(hop.take_body());
        let request = http_request(&client.last_origin, hop, headers, body)?;
        let options = SendOptions {
            connect: connect_left,
            sock_connect: timeout.sock_connect,
            sock_read: timeout.sock_read,
            progress: self.progress.clone(),
            proxy: self.proxy.as_deref().cloned(),
            follow_redirects: self.redirect.follows(),
            cookies: client.cookies.are_kept(),
            decompress: self.decompress,
        };
        self.progress.set(Phase::Headers);
        let mut exchange = client.transport.send(request, options);
        let mut idle = IdleTimer::new(&client.timer, timeout.sock_read);
        let response = std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = exchange.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if sent.as_ref().is_none_or(|sent| sent.is_sent(cx)) {
                return idle.poll_expired(cx, Phase::Headers).map(Err);
            }
            Poll::Pending
        })
        .await?;
        #[cfg(feature = "tracing")]
        self.progress.head_arrived();
        let (mut head, body) = response.into_parts();
        headers::mark_sensitive(&mut head.headers);
        Ok((head, body, permit))
    }
}

/// The transport's request for `hop`, without the URL's fragment.
fn http_request(
    last_origin: &LastOrigin,
    hop: &Hop<'_>,
    headers: HeaderMap,
    body: Body,
) -> Result<http::Request<Body>> {
    let uri = match last_origin.uri(&hop.url) {
        Some(uri) => uri,
        None => hop.url[..url::Position::AfterQuery].parse().map_err(Error::builder)?,
    };
    let mut request = http::Request::new(body);
    *request.method_mut() = hop.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

/// `body`, and the signal it gives once it has been handed over whole:
/// `None` for a body that is not a stream, handed over at once.
fn track_sent(body: Body) -> (Body, Option<Arc<SentSignal>>) {
    if body.as_bytes().is_some() {
        return (body, None);
    }
    let sent = Arc::new(SentSignal::default());
    let tracked = Body::from_http_body(TrackSent {
        body,
        sent: sent.clone(),
    });
    (tracked, Some(sent))
}

/// Tells the core when a streamed request body has been fully handed over,
/// which is when `sock_read` starts to count the wait for the response head.
#[derive(Default)]
struct SentSignal {
    sent: AtomicBool,
    waker: AtomicWaker,
}

impl SentSignal {
    fn mark_sent(&self) {
        self.sent.store(true, Ordering::Release);
        self.waker.wake();
    }

    fn is_sent(&self, cx: &mut Context<'_>) -> bool {
        if self.sent.load(Ordering::Acquire) {
            return true;
        }
        self.waker.register(cx.waker());
        self.sent.load(Ordering::Acquire)
    }
}

struct TrackSent {
    body: Body,
    sent: Arc<SentSignal>,
}

/// A transport may drop a body without reading its end: hyper stops at
/// its `Content-Length`. Dropped, it has been handed over as far as it goes.
impl Drop for TrackSent {
    fn drop(&mut self) {
        self.sent.mark_sent();
    }
}

impl http_body::Body for TrackSent {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(None) = frame {
            self.sent.mark_sent();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
