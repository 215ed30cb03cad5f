//! The response body as the core hands it out: the transport's stream,
//! decoded if it was compressed, cut off at the size limit, still under the
//! request's `total` and `sock_read` deadlines, and holding the request's
//! limit slots until it ends or is dropped.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as _;
use url::Url;

use crate::decode::Decoder;
use crate::error::Phase;
use crate::limit::Permit;
use crate::timeout::{Deadline, IdleTimer};
use crate::{Body, Error, Result};

pub(crate) struct Incoming {
    state: State,
}

/// What bounds the reading of a body.
pub(crate) struct Budget {
    /// `total`, still running from the start of the request.
    pub(crate) total: Deadline,
    /// `sock_read`: the longest silence between two chunks.
    pub(crate) idle: IdleTimer,
    /// The most bytes handed out, after decoding.
    pub(crate) max_bytes: u64,
}

enum State {
    Reading(Box<Reading>),
    /// A body made by the caller ([`Response::from_http`](crate::Response::from_http)): read as it is.
    Plain(Body),
    Done,
}

struct Reading {
    body: Body,
    /// Whether the raw body may have more to give.
    raw_open: bool,
    decoder: Option<Decoder>,
    budget: Budget,
    url: Url,
    delivered: u64,
    _permit: Permit,
}

impl Incoming {
    pub(crate) fn new(body: Body, url: Url, decoder: Option<Decoder>, budget: Budget, permit: Permit) -> Incoming {
        let reading = Reading {
            body,
            raw_open: true,
            decoder,
            budget,
            url,
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
            state: State::Plain(body),
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
        let outcome = reading
            .poll_chunk(cx)
            .map(|chunk| chunk.map(|r| r.map_err(|e| e.with_url(&reading.url))));
        match &outcome {
            Poll::Ready(Some(Ok(_))) | Poll::Pending => {}
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.state = State::Done,
        }
        outcome
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
        if self.delivered > self.budget.max_bytes {
            return Err(Error::body_limit(self.budget.max_bytes));
        }
        Ok(bytes)
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
