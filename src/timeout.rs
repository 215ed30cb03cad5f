//! [`Timeout`]: aiohttp's four limits, and the timer-driven deadlines that
//! enforce `total` and `sock_read` in the core on every target.
//!
//! ```text
//! ├──────────────────────────── total ─────────────────────────────────────┤
//! ├─ connect ──────────────────────┤
//! ├ wait for a slot ┤├ sock_connect ┤├ send ┤├ sock_read ┤ body ├ sock_read ┤…
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::{Phase, TimeoutKind};
use crate::transport::{BoxFuture, Timer};
use crate::Error;

/// How long a request may take, with aiohttp's `ClientTimeout` semantics.
///
/// * `total` bounds the whole request: waiting for a slot, connecting,
///   sending, the response head and reading the whole body (all redirects).
/// * `connect` bounds getting a connection: waiting for a free slot under the
///   session's limits plus connecting.
/// * `sock_connect` bounds connecting one new socket once its host name is
///   resolved: TCP, the way through a proxy (its TLS, the `CONNECT` or
///   SOCKS handshake) and TLS.
/// * `sock_read` bounds the silence between two reads, including the wait for
///   the response head once the request body has been handed over.
///
/// `None` means no limit. [`Timeout::default()`] is aiohttp's default:
/// `total` 5 minutes and `sock_connect` 30 seconds.
///
/// ```
/// use std::time::Duration;
/// use unifetch::Timeout;
///
/// let quick = Timeout::total(Duration::from_secs(1));
/// assert_eq!(quick.connect, None);
///
/// let fine = Timeout {
///     total: None,
///     connect: Some(Duration::from_secs(3)),
///     sock_connect: Some(Duration::from_secs(3)),
///     sock_read: Some(Duration::from_secs(5)),
/// };
/// assert_ne!(fine, Timeout::NONE);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeout {
    /// The whole request, body included.
    pub total: Option<Duration>,
    /// Waiting for a slot plus connecting.
    pub connect: Option<Duration>,
    /// Connecting one new socket, TLS handshake included.
    pub sock_connect: Option<Duration>,
    /// The longest silence between two reads.
    pub sock_read: Option<Duration>,
}

impl Timeout {
    /// No limits at all.
    pub const NONE: Timeout = Timeout {
        total: None,
        connect: None,
        sock_connect: None,
        sock_read: None,
    };

    /// Only a `total` limit, like `aiohttp.ClientTimeout(total=…)`.
    pub const fn total(total: Duration) -> Timeout {
        Timeout {
            total: Some(total),
            ..Timeout::NONE
        }
    }
}

impl Default for Timeout {
    fn default() -> Timeout {
        Timeout {
            total: Some(Duration::from_secs(300)),
            sock_connect: Some(Duration::from_secs(30)),
            ..Timeout::NONE
        }
    }
}

/// A one-shot timer that may be absent; once it fires it stays fired.
pub(crate) struct Deadline {
    sleep: Option<BoxFuture<'static, ()>>,
    kind: TimeoutKind,
    limit: Duration,
    /// When it fires, if it is set.
    ends: Option<web_time::Instant>,
    fired: bool,
}

impl Deadline {
    pub(crate) fn new(timer: &dyn Timer, kind: TimeoutKind, limit: Option<Duration>) -> Deadline {
        let ends = limit.map(|limit| timer.now() + limit);
        Deadline {
            sleep: ends.map(|ends| timer.sleep_until(ends)),
            kind,
            limit: limit.unwrap_or_default(),
            ends,
            fired: false,
        }
    }

    /// When it fires: `None` for no limit.
    pub(crate) fn ends(&self) -> Option<web_time::Instant> {
        self.ends
    }

    /// A deadline of the same kind and limit that fires at `ends`: the rest
    /// of a deadline given to a part of the work that outlives the race.
    pub(crate) fn until(
        timer: &dyn Timer,
        kind: TimeoutKind,
        limit: Option<Duration>,
        ends: Option<web_time::Instant>,
    ) -> Deadline {
        Deadline {
            sleep: ends.map(|ends| timer.sleep_until(ends)),
            kind,
            limit: limit.unwrap_or_default(),
            ends,
            fired: false,
        }
    }

    /// Ready with the timeout error once the deadline has passed.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>, phase: Phase) -> Poll<Error> {
        if !self.fired {
            let Some(sleep) = self.sleep.as_mut() else {
                return Poll::Pending;
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.fired = true;
            self.sleep = None;
        }
        Poll::Ready(Error::timeout_after(self.kind, phase, self.limit))
    }

    /// Runs `fut` unless the deadline passes first; `phase` names what was
    /// going on if it does.
    pub(crate) fn race_with<F, T, P>(&mut self, phase: P, fut: F) -> Race<'_, F, P>
    where
        F: Future<Output = Result<T, Error>>,
        P: Fn() -> Phase,
    {
        Race {
            fut,
            deadline: self,
            phase,
        }
    }
}

pin_project_lite::pin_project! {
    /// [`Deadline::race_with`]'s future. A named future rather than an
    /// `async fn`, which would hold `fut` twice (as its argument and
    /// pinned): the exchange's futures are large, and each byte of them is
    /// copied when they move.
    pub(crate) struct Race<'a, F, P> {
        #[pin]
        fut: F,
        deadline: &'a mut Deadline,
        phase: P,
    }
}

impl<F, T, P> Future for Race<'_, F, P>
where
    F: Future<Output = Result<T, Error>>,
    P: Fn() -> Phase,
{
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.fut.poll(cx) {
            return Poll::Ready(out);
        }
        this.deadline.poll_expired(cx, (this.phase)()).map(Err)
    }
}

/// `sock_read`: fires after a silence; every sign of life re-arms it.
pub(crate) struct IdleTimer {
    /// The timer and the limit, when there is one (the timer is not
    /// shared with a request that has none).
    armed_by: Option<(Arc<dyn Timer>, Duration)>,
    sleep: Option<BoxFuture<'static, ()>>,
}

impl IdleTimer {
    pub(crate) fn new(timer: &Arc<dyn Timer>, limit: Option<Duration>) -> IdleTimer {
        IdleTimer {
            armed_by: limit.map(|limit| (timer.clone(), limit)),
            sleep: None,
        }
    }

    /// Call on activity: the silence starts again from now.
    pub(crate) fn reset(&mut self) {
        self.sleep = None;
    }

    /// Ready with a `sock_read` timeout error once the silence is too long.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>, phase: Phase) -> Poll<Error> {
        let Some((timer, limit)) = &self.armed_by else {
            return Poll::Pending;
        };
        let sleep = self.sleep.get_or_insert_with(|| timer.sleep(*limit));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Error::timeout_after(TimeoutKind::SockRead, phase, *limit)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Instant0;
    impl Timer for Instant0 {
        fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
            Box::pin(async {})
        }
    }

    #[test]
    fn deadline_wins_over_a_future_that_never_ends() {
        let mut deadline = Deadline::new(&Instant0, TimeoutKind::Total, Some(Duration::from_secs(1)));
        let result: Result<(), Error> = futures::executor::block_on(deadline.race_with(|| Phase::Headers, async {
            std::future::pending::<()>().await;
            Ok(())
        }));
        let err = result.unwrap_err();
        assert_eq!(err.timeout_kind(), Some(TimeoutKind::Total));
        assert_eq!(err.phase(), Some(Phase::Headers));
    }

    #[test]
    fn absent_deadline_never_fires() {
        let mut deadline = Deadline::new(&Instant0, TimeoutKind::Total, None);
        let out = futures::executor::block_on(deadline.race_with(|| Phase::Headers, async { Ok(7) }));
        assert_eq!(out.unwrap(), 7);
    }
}
