//! The response body as the core hands it out: the transport's stream,
//! decoded if it was compressed, cut off at the size limit, still under the
//! request's `total` and `sock_read` deadlines, and holding the request's
//! limit slots until it ends or is dropped.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as _;

use crate::decode::Decoder;
use crate::error::Phase;
use crate::limit::Permit;
use crate::timeout::{Deadline, IdleTimer};
use crate::{Body, Error, Result};

pub(crate) struct Incoming {
    state: State,
}

/// The body size limit when none is set: it guards bodies read whole.
pub(crate) const DEFAULT_MAX_BODY: u64 = 1 << 30;

/// What bounds the reading of a body.
pub(crate) struct Budget {
    /// `total`, still running from the start of the request.
    pub(crate) total: Deadline,
    /// `sock_read`: the longest silence between two chunks.
    pub(crate) idle: IdleTimer,
    /// The most bytes handed out, after decoding: the limit set, or
    /// [`DEFAULT_MAX_BODY`] until the body is read as a stream.
    pub(crate) max_bytes: Option<u64>,
    /// Whether the body is being read as a stream (chunk by chunk).
    pub(crate) streamed: bool,
    /// The request's span, told about the body once it has been read.
    #[cfg(feature = "tracing")]
    pub(crate) traced: Option<crate::trace::BodySpan>,
}

impl Budget {
    fn limit(&self) -> Option<u64> {
        body_limit(self.max_bytes, self.streamed)
    }
}

/// The limit in force: one that was set always; the default only for a
/// body read whole (a stream is the caller's to bound).
fn body_limit(set: Option<u64>, streamed: bool) -> Option<u64> {
    match set {
        Some(bytes) => Some(bytes),
        None if streamed => None,
        None => Some(DEFAULT_MAX_BODY),
    }
}

enum State {
    Reading(Box<Reading>),
    /// A body made by the caller ([`Response::from_http`](crate::Response::from_http)): read as it is.
    /// Boxed, as `Reading` is: a response then stays within 256 bytes,
    /// which copy at half the cost of anything larger.
    Plain(Box<Body>),
    Done,
}

struct Reading {
    body: Body,
    /// Whether the raw body may have more to give.
    raw_open: bool,
    decoder: Option<Decoder>,
    budget: Budget,
    delivered: u64,
    _permit: Permit,
}

impl Incoming {
    pub(crate) fn new(body: Body, decoder: Option<Decoder>, budget: Budget, permit: Permit) -> Incoming {
        let reading = Reading {
            body,
            raw_open: true,
            decoder,
            budget,
            delivered: 0,
            _permit: permit,
        };
        Incoming {
            state: State::Reading(Box::new(reading)),
        }
    }

    /// A body read as it is: no decoding, limits or deadlines.
    pub(crate) fn plain(body: Body) -> Incoming {
        Incoming {
            state: State::Plain(Box::new(body)),
        }
    }

    /// The next chunk of data, `None` at the end.
    ///
    /// After the end or an error the transport's body is dropped (aborting
    /// the exchange if it was not finished) and the limit slots are freed.
    pub(crate) fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        let reading = match &mut self.state {
            State::Reading(reading) => reading,
            State::Plain(body) => {
                let outcome = poll_data(body, cx);
                if let Poll::Ready(None | Some(Err(_))) = outcome {
                    self.state = State::Done;
                }
                return outcome;
            }
            State::Done => return Poll::Ready(None),
        };
        let outcome = reading.poll_chunk(cx);
        match &outcome {
            Poll::Ready(Some(Ok(_))) | Poll::Pending => {}
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => {
                #[cfg(feature = "tracing")]
                if let (Poll::Ready(None), Some(traced)) = (&outcome, &reading.budget.traced) {
                    traced.finished(reading.delivered);
                }
                self.state = State::Done;
            }
        }
        outcome
    }

    /// Reads on as a stream: the default size limit no longer applies.
    pub(crate) fn stream(&mut self) {
        if let State::Reading(reading) = &mut self.state {
            reading.budget.streamed = true;
        }
    }

    /// The exact remaining length, when it is known before reading.
    pub(crate) fn exact_len(&self) -> Option<u64> {
        match &self.state {
            State::Reading(reading) if reading.decoder.is_none() => reading.body.size_hint().exact(),
            State::Reading(_) => None,
            State::Plain(body) => body.size_hint().exact(),
            State::Done => Some(0),
        }
    }
}

impl Reading {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        loop {
            if let Some(decoder) = &mut self.decoder {
                match decoder.pull() {
                    Err(e) => return Poll::Ready(Some(Err(Error::decode(e)))),
                    Ok(None) => return Poll::Ready(None),
                    Ok(Some(bytes)) if !bytes.is_empty() => return Poll::Ready(Some(self.deliver(bytes))),
                    Ok(Some(_)) => {} // needs more input
                }
            }
            match self.poll_raw(cx) {
                Poll::Ready(Some(Ok(data))) => match &mut self.decoder {
                    Some(decoder) => decoder.push(&data),
                    None => return Poll::Ready(Some(self.deliver(data))),
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => match &mut self.decoder {
                    Some(decoder) => decoder.end_input(),
                    None => return Poll::Ready(None),
                },
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The next raw (possibly compressed) chunk, under the deadlines.
    fn poll_raw(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        loop {
            if !self.raw_open {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    self.budget.idle.reset();
                    match frame.into_data() {
                        Ok(data) if data.is_empty() => continue,
                        Ok(data) => return Poll::Ready(Some(Ok(data))),
                        Err(_trailers) => continue,
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    self.raw_open = false;
                    return Poll::Ready(None);
                }
                Poll::Pending => {}
            }
            if let Poll::Ready(e) = self.budget.total.poll_expired(cx, Phase::Body) {
                return Poll::Ready(Some(Err(e)));
            }
            if let Poll::Ready(e) = self.budget.idle.poll_expired(cx, Phase::Body) {
                return Poll::Ready(Some(Err(e)));
            }
            return Poll::Pending;
        }
    }

    /// Hands out `bytes` unless they take the body over its limit.
    fn deliver(&mut self, bytes: Bytes) -> Result<Bytes> {
        self.delivered += bytes.len() as u64;
        match self.budget.limit() {
            Some(limit) if self.delivered > limit => Err(Error::body_limit(limit)),
            _ => Ok(bytes),
        }
    }
}

/// The next data chunk of `body`, past empty chunks and trailers.
fn poll_data(body: &mut Body, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
    loop {
        match Pin::new(&mut *body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) if !data.is_empty() => return Poll::Ready(Some(Ok(data))),
                _ => continue,
            },
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_guards_bodies_read_whole_only() {
        assert_eq!(body_limit(None, false), Some(DEFAULT_MAX_BODY));
        assert_eq!(body_limit(None, true), None, "a stream is the caller's to bound");
        assert_eq!(body_limit(Some(10), false), Some(10));
        assert_eq!(
            body_limit(Some(10), true),
            Some(10),
            "a limit that was set bounds streams too"
        );
    }
}
