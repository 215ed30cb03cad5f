//! [`Body`]: the bytes of a request or a response, whole or streaming.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use http_body::{Frame, SizeHint};
use sync_wrapper::SyncWrapper;

use crate::error::{BoxError, Phase};
use crate::transport::{BoxBody, MaybeSend};
use crate::Error;

/// The bytes of a request or a response: either whole (and so replayable on
/// a redirect or a retry) or a stream read once.
///
/// ```
/// use unifetch::Body;
/// let whole = Body::from("hello");
/// assert_eq!(whole.as_bytes(), Some(&b"hello"[..]));
///
/// let chunks = futures::stream::iter([Ok::<_, std::io::Error>("a"), Ok("b")]);
/// let streamed = Body::wrap_stream(chunks);
/// assert!(streamed.as_bytes().is_none());
/// ```
pub struct Body {
    inner: Inner,
}

enum Inner {
    /// The whole content; empty once it has been read.
    Full(Bytes),
    /// A stream, only ever polled through `&mut` (hence `Sync`), with its
    /// exact length as it was known when it was wrapped
    /// ([`UNKNOWN_LENGTH`] if it was not). Only the exact length of the
    /// size hint is kept: a body then takes 32 bytes, and the requests and
    /// responses that hold one stay within 256, which copy at half the
    /// cost of anything larger.
    Streaming(SyncWrapper<BoxBody>, u64),
}

/// The length of a stream whose size hint was not exact.
const UNKNOWN_LENGTH: u64 = u64::MAX;

impl Body {
    /// No bytes at all.
    pub fn empty() -> Body {
        Body {
            inner: Inner::Full(Bytes::new()),
        }
    }

    /// A body read from a stream of chunks, sent as it is produced.
    ///
    /// A streaming request body cannot be replayed, so a 307/308 redirect
    /// (or a retry) of such a request is not followed.
    pub fn wrap_stream<S, C, E>(stream: S) -> Body
    where
        S: Stream<Item = Result<C, E>> + MaybeSend + 'static,
        C: Into<Bytes>,
        E: Into<BoxError>,
    {
        let frames = stream
            .map_ok(|chunk| Frame::data(chunk.into()))
            .map_err(|e| Error::transport(Phase::Send, e));
        Body::from_http_body(http_body_util::StreamBody::new(frames))
    }

    /// This body, declared to be exactly `length` bytes long: a stream of
    /// a known size (a file, say) is then sent with a `Content-Length`
    /// rather than in chunks. A body that gives more or fewer bytes ends
    /// in an error of the `Send` phase, never in a request cut short (the
    /// last bytes are handed over once the stream has shown it ends there).
    ///
    /// ```
    /// use unifetch::Body;
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>("hello "), Ok("world")]);
    /// let body = Body::wrap_stream(chunks).with_length(11);
    /// assert_eq!(http_body::Body::size_hint(&body).exact(), Some(11));
    /// ```
    pub fn with_length(self, length: u64) -> Body {
        if self.as_bytes().is_some_and(|bytes| bytes.len() as u64 == length) {
            return self;
        }
        Body::from_http_body(OfLength {
            body: self,
            length,
            read: 0,
            held: None,
            ended: false,
        })
    }

    /// A body from any [`http_body::Body`], the form transports produce.
    pub fn from_http_body<B>(body: B) -> Body
    where
        B: http_body::Body<Data = Bytes, Error = Error> + MaybeSend + 'static,
    {
        let length = body.size_hint().exact().unwrap_or(UNKNOWN_LENGTH);
        Body {
            inner: Inner::Streaming(SyncWrapper::new(Box::pin(body)), length),
        }
    }

    /// A stand-in for a body that was streamed and cannot be sent again.
    pub(crate) fn unreplayable() -> Body {
        Body::wrap_stream(futures_util::stream::empty::<Result<Bytes, Error>>())
    }

    /// The whole content, if this body is not a stream.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.inner {
            Inner::Full(bytes) => Some(bytes),
            Inner::Streaming(..) => None,
        }
    }

    /// A copy of this body, if it is whole (streams can be read only once).
    pub fn try_clone(&self) -> Option<Body> {
        match &self.inner {
            Inner::Full(bytes) => Some(Body {
                inner: Inner::Full(bytes.clone()),
            }),
            Inner::Streaming(..) => None,
        }
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Full(bytes) => f.debug_struct("Body").field("len", &bytes.len()).finish(),
            Inner::Streaming(..) => f.write_str("Body(streaming)"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body {
            inner: Inner::Full(bytes),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Bytes::from(bytes).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Body {
        Bytes::from_static(bytes).into()
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Bytes::from(text).into()
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match &mut self.inner {
            Inner::Full(bytes) if bytes.is_empty() => Poll::Ready(None),
            Inner::Full(bytes) => Poll::Ready(Some(Ok(Frame::data(std::mem::take(bytes))))),
            Inner::Streaming(body, _) => body.get_mut().as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Full(bytes) => bytes.is_empty(),
            // Unknown without polling: `false` is always allowed.
            Inner::Streaming(..) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            Inner::Streaming(_, UNKNOWN_LENGTH) => SizeHint::default(),
            Inner::Streaming(_, length) => SizeHint::with_exact(*length),
        }
    }
}

/// A body that must give exactly `length` bytes (see [`Body::with_length`]).
struct OfLength {
    body: Body,
    length: u64,
    read: u64,
    /// The frame that reached `length`, held until the body is seen to end
    /// there: a transport stops reading at the length, so bytes past it
    /// would otherwise go unnoticed.
    held: Option<Frame<Bytes>>,
    /// Whether `body` has ended (it is not polled again).
    ended: bool,
}

impl OfLength {
    fn wrong(&self, more_or_fewer: &str) -> Error {
        let message = format!(
            "the body gave {more_or_fewer} bytes than the {} it declared",
            self.length
        );
        Error::transport(Phase::Send, message)
    }
}

impl http_body::Body for OfLength {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        loop {
            if self.ended {
                return Poll::Ready(self.held.take().map(Ok));
            }
            let frame = match std::task::ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => {
                    self.ended = true;
                    if self.read < self.length {
                        return Poll::Ready(Some(Err(self.wrong("fewer"))));
                    }
                    continue;
                }
            };
            let Some(data) = frame.data_ref() else {
                // Trailers: the data has ended.
                self.ended = true;
                continue;
            };
            if data.is_empty() {
                continue;
            }
            self.read += data.len() as u64;
            if self.held.is_some() || self.read > self.length {
                self.ended = true;
                return Poll::Ready(Some(Err(self.wrong("more"))));
            }
            if self.read < self.length {
                return Poll::Ready(Some(Ok(frame)));
            }
            self.held = Some(frame);
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended && self.held.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        let held = self
            .held
            .as_ref()
            .and_then(Frame::data_ref)
            .map_or(0, |data| data.len() as u64);
        SizeHint::with_exact(self.length.saturating_sub(self.read) + held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn full_body_is_replayable_and_exact() {
        let body = Body::from("abc");
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(3));
        let copy = body.try_clone().unwrap();
        let bytes = futures::executor::block_on(copy.collect()).unwrap().to_bytes();
        assert_eq!(&bytes[..], b"abc");
        assert!(Body::empty().as_bytes().unwrap().is_empty());
    }

    #[test]
    fn stream_errors_become_send_errors() {
        let stream = futures::stream::iter([Ok("a"), Err(std::io::Error::other("disk"))]);
        let body = Body::wrap_stream(stream);
        assert!(body.try_clone().is_none());
        let err = futures::executor::block_on(body.collect()).unwrap_err();
        assert_eq!(err.phase(), Some(Phase::Send));
    }

    fn chunks(parts: &[&'static str]) -> Body {
        let parts: Vec<Result<&'static str, std::io::Error>> = parts.iter().map(|part| Ok(*part)).collect();
        Body::wrap_stream(futures::stream::iter(parts))
    }

    /// What a transport that stops at the declared length gets: frames
    /// until that many bytes came, or the first error.
    fn read_up_to_length(mut body: Body, length: usize) -> Result<Vec<u8>, Error> {
        let mut read = Vec::new();
        while read.len() < length {
            match futures::executor::block_on(body.frame()) {
                Some(frame) => read.extend_from_slice(frame?.data_ref().unwrap()),
                None => break,
            }
        }
        Ok(read)
    }

    #[test]
    fn a_body_of_declared_length_gives_exactly_that_or_an_error() {
        let exact = chunks(&["hel", "lo"]).with_length(5);
        assert_eq!(http_body::Body::size_hint(&exact).exact(), Some(5));
        assert_eq!(read_up_to_length(exact, 5).unwrap(), b"hello");

        // Bytes past the length are an error even to a reader that stops there.
        let longer = read_up_to_length(chunks(&["hello", " world"]).with_length(5), 5);
        assert!(format!("{:#}", longer.unwrap_err()).contains("more"));
        let shorter = read_up_to_length(chunks(&["hel"]).with_length(5), 5);
        assert!(format!("{:#}", shorter.unwrap_err()).contains("fewer"));

        let whole = Body::from("hello").with_length(5);
        assert_eq!(
            whole.as_bytes(),
            Some(&b"hello"[..]),
            "a whole body of that length stays whole"
        );
    }
}
