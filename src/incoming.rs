//! The response body as the core hands it out: the transport's stream, still
//! under the request's `total` and `sock_read` deadlines, holding the
//! request's limit slots until it ends or is dropped.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as _;
use url::Url;

use crate::error::Phase;
use crate::limit::Permit;
use crate::timeout::{Deadline, IdleTimer};
use crate::{Body, Result};

pub(crate) struct Incoming {
    state: State,
}

enum State {
    Reading(Box<Reading>),
    Done,
}

struct Reading {
    body: Body,
    total: Deadline,
    idle: IdleTimer,
    url: Url,
    _permit: Option<Permit>,
}

impl Incoming {
    pub(crate) fn new(
        body: Body,
        total: Deadline,
        idle: IdleTimer,
        url: Url,
        permit: Option<Permit>,
    ) -> Incoming {
        let reading = Reading {
            body,
            total,
            idle,
            url,
            _permit: permit,
        };
        Incoming {
            state: State::Reading(Box::new(reading)),
        }
    }

    /// The next chunk of data, `None` at the end.
    ///
    /// After the end or an error the transport's body is dropped (aborting
    /// the exchange if it was not finished) and the limit slots are freed.
    pub(crate) fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        let State::Reading(reading) = &mut self.state else {
            return Poll::Ready(None);
        };
        let outcome = reading.poll_chunk(cx);
        match &outcome {
            Poll::Ready(Some(Ok(_))) | Poll::Pending => {}
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.state = State::Done,
        }
        outcome
    }

    /// The exact remaining length, when the transport knows it.
    pub(crate) fn exact_len(&self) -> Option<u64> {
        match &self.state {
            State::Reading(reading) => reading.body.size_hint().exact(),
            State::Done => Some(0),
        }
    }
}

impl Reading {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        loop {
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    self.idle.reset();
                    match frame.into_data() {
                        Ok(data) if data.is_empty() => continue,
                        Ok(data) => return Poll::Ready(Some(Ok(data))),
                        Err(_trailers) => continue,
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.with_url(&self.url)))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {}
            }
            if let Poll::Ready(e) = self.total.poll_expired(cx, Phase::Body) {
                return Poll::Ready(Some(Err(e.with_url(&self.url))));
            }
            if let Poll::Ready(e) = self.idle.poll_expired(cx, Phase::Body) {
                return Poll::Ready(Some(Err(e.with_url(&self.url))));
            }
            return Poll::Pending;
        }
    }
}
