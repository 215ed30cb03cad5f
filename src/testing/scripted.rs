//! [`ScriptedTransport`]: a [`Transport`] that plays back replies written
//! in advance, on a [`ManualClock`], and keeps every request it was sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body::Frame;

use super::ManualClock;
use crate::error::{Phase, TimeoutKind};
use crate::transport::{BoxFuture, Platform, SendOptions, Timer, Transport};
use crate::{Body, Error, Result};

/// A transport that answers each request with the next [`Reply`] of its
/// script, taking time on a [`ManualClock`] as the script says, and keeps
/// what it was sent ([`requests`](Self::requests)). Give the session the
/// same clock as its timer, and everything the core does (timeouts,
/// retries, redirects, cookies, limits, decoding) runs deterministically,
/// on every target, in no real time.
///
/// ```
/// use std::time::Duration;
/// use unifetch::testing::{ManualClock, Reply, ScriptedTransport};
/// use unifetch::{Retry, Session};
///
/// let clock = ManualClock::new();
/// let transport = ScriptedTransport::new(&clock)
///     .reply(Reply::status(503).header("Retry-After", "3"))
///     .reply(Reply::status(200).body("fine"));
/// let session = Session::builder()
///     .transport(transport.clone())
///     .timer(clock.clone())
///     .retry(Retry::default())
///     .build()?;
/// let text = clock.run(async { session.get("http://test.invalid/").send().await?.text().await })??;
/// assert_eq!(text, "fine");
/// assert_eq!(clock.elapsed(), Duration::from_secs(3), "Retry-After was honoured");
/// assert_eq!(transport.requests().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ScriptedTransport {
    clock: ManualClock,
    state: Arc<Mutex<Script>>,
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    seen: Vec<SeenRequest>,
    platform: Platform,
}

/// A request as a [`ScriptedTransport`] received it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// The method.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// The headers, as the transport got them.
    pub headers: HeaderMap,
    /// The body, when it was in memory (`None` for a stream).
    pub body: Option<Bytes>,
    /// The clock's time when it was sent.
    pub at: Duration,
}

impl SeenRequest {
    /// The value of the header `name`, if it is there and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// What a [`ScriptedTransport`] does with one request.
#[derive(Debug)]
pub struct Reply {
    connect: Duration,
    head: Head,
    head_after: Duration,
}

#[derive(Debug)]
enum Head {
    Response {
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<Step>,
    },
    Fail(Error),
    Stall,
}

/// One step of a scripted body.
#[derive(Debug)]
enum Step {
    Data(Bytes),
    Wait(Duration),
    Fail(Error),
    Stall,
}

impl Reply {
    /// A response with this status, no headers and an empty body.
    ///
    /// # Panics
    ///
    /// When `status` is not a valid status code (100 to 999).
    pub fn status(status: u16) -> Reply {
        let status = StatusCode::from_u16(status).expect("a status code from 100 to 999");
        Reply::with_head(Head::Response {
            status,
            headers: HeaderMap::new(),
            body: Vec::new(),
        })
    }

    /// The send fails with `error`, as a transport's would.
    pub fn fail(error: Error) -> Reply {
        Reply::with_head(Head::Fail(error))
    }

    /// The server never answers: only a timeout ends the request.
    pub fn stall() -> Reply {
        Reply::with_head(Head::Stall)
    }

    fn with_head(head: Head) -> Reply {
        Reply {
            connect: Duration::ZERO,
            head,
            head_after: Duration::ZERO,
        }
    }

    /// Adds a response header.
    ///
    /// # Panics
    ///
    /// When the name or value is not a valid header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Head::Response { headers, .. } = &mut self.head {
            let name = HeaderName::try_from(name).expect("a valid header name");
            let value = HeaderValue::try_from(value).expect("a valid header value");
            headers.append(name, value);
        }
        self
    }

    /// Appends `bytes` to the body (one chunk).
    pub fn body(self, bytes: impl Into<Bytes>) -> Reply {
        self.step(Step::Data(bytes.into()))
    }

    /// Waits `duration` before the body's next chunk (or its end).
    pub fn wait(self, duration: Duration) -> Reply {
        self.step(Step::Wait(duration))
    }

    /// The body fails with a reset connection after what came before.
    pub fn reset(self) -> Reply {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        self.step(Step::Fail(Error::transport(Phase::Body, reset)))
    }

    /// The body goes silent after what came before, never to end.
    pub fn then_stall(self) -> Reply {
        self.step(Step::Stall)
    }

    /// Connecting takes `duration`, within the request's `connect` and
    /// `sock_connect` budgets as a real transport's would.
    pub fn connect_takes(mut self, duration: Duration) -> Reply {
        self.connect = duration;
        self
    }

    /// The response head comes `duration` after the request was sent.
    pub fn head_after(mut self, duration: Duration) -> Reply {
        self.head_after = duration;
        self
    }

    fn step(mut self, step: Step) -> Reply {
        if let Head::Response { body, .. } = &mut self.head {
            body.push(step);
        }
        self
    }
}

impl std::fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let script = self.lock();
        f.debug_struct("ScriptedTransport")
            .field("replies_left", &script.replies.len())
            .field("requests", &script.seen.len())
            .finish()
    }
}

impl ScriptedTransport {
    /// A transport with an empty script, taking time on `clock`.
    pub fn new(clock: &ManualClock) -> ScriptedTransport {
        ScriptedTransport {
            clock: clock.clone(),
            state: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Script> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `reply` as the answer to the next request not yet scripted.
    pub fn reply(self, reply: Reply) -> ScriptedTransport {
        self.lock().replies.push_back(reply);
        self
    }

    /// Says what the platform does itself (as a browser's `fetch` decodes
    /// bodies and keeps cookies); by default nothing.
    pub fn platform(self, platform: Platform) -> ScriptedTransport {
        self.lock().platform = platform;
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.lock().seen.clone()
    }

    /// How many scripted replies no request has used yet.
    pub fn replies_left(&self) -> usize {
        self.lock().replies.len()
    }
}

impl Transport for ScriptedTransport {
    fn send(
        &self,
        request: http::Request<Body>,
        options: SendOptions,
    ) -> BoxFuture<'static, Result<http::Response<Body>>> {
        let clock = self.clock.clone();
        let (parts, body) = request.into_parts();
        let reply = {
            let mut script = self.lock();
            script.seen.push(SeenRequest {
                method: parts.method.clone(),
                url: parts.uri.to_string(),
                headers: parts.headers.clone(),
                body: body.as_bytes().map(Bytes::copy_from_slice),
                at: clock.elapsed(),
            });
            script.replies.pop_front()
        };
        Box::pin(async move {
            let Some(reply) = reply else {
                let unscripted = format!("no scripted reply for {} {}", parts.method, parts.uri);
                return Err(Error::transport(Phase::Connect, unscripted));
            };
            connect(&clock, reply.connect, &options).await?;
            if !reply.head_after.is_zero() {
                clock.sleep(reply.head_after).await;
            }
            match reply.head {
                Head::Fail(error) => Err(error),
                Head::Stall => std::future::pending().await,
                Head::Response { status, headers, body } => {
                    let mut response = http::Response::new(scripted_body(clock, body));
                    *response.status_mut() = status;
                    *response.headers_mut() = headers;
                    Ok(response)
                }
            }
        })
    }

    fn platform(&self) -> Platform {
        self.lock().platform
    }
}

/// Takes `takes` to connect, unless the `sock_connect` or `connect` budget
/// runs out first, as a real transport's connector would.
async fn connect(clock: &ManualClock, takes: Duration, options: &SendOptions) -> Result<()> {
    if takes.is_zero() {
        return Ok(());
    }
    let budgets = [
        (options.sock_connect, TimeoutKind::SockConnect),
        (options.connect, TimeoutKind::Connect),
    ];
    let first_out = budgets
        .into_iter()
        .filter_map(|(budget, kind)| budget.filter(|budget| *budget < takes).map(|budget| (budget, kind)))
        .min_by_key(|(budget, _)| *budget);
    match first_out {
        Some((budget, kind)) => {
            clock.sleep(budget).await;
            Err(Error::timeout(kind, Phase::Connect))
        }
        None => {
            clock.sleep(takes).await;
            Ok(())
        }
    }
}

/// A streaming body that plays `steps` on `clock`.
fn scripted_body(clock: ManualClock, steps: Vec<Step>) -> Body {
    let frames = stream::unfold((clock, steps.into_iter()), |(clock, mut steps)| async move {
        loop {
            match steps.next()? {
                Step::Data(bytes) => return Some((Ok(Frame::data(bytes)), (clock, steps))),
                Step::Wait(duration) => clock.sleep(duration).await,
                Step::Fail(error) => return Some((Err(error), (clock, steps))),
                Step::Stall => std::future::pending::<()>().await,
            }
        }
    });
    Body::from_http_body(http_body_util::StreamBody::new(frames))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Session;

    #[test]
    fn a_request_beyond_the_script_is_a_clear_connect_error() {
        let clock = ManualClock::new();
        let transport = ScriptedTransport::new(&clock).reply(Reply::status(204));
        let session = Session::builder()
            .transport(transport.clone())
            .timer(clock.clone())
            .retry(crate::Retry::none())
            .build()
            .unwrap();
        let (first, second) = clock
            .run(async {
                let first = session.get("http://a.test/one").send().await.map(|r| r.status());
                let second = session.get("http://a.test/two").send().await.map(|r| r.status());
                (first, second)
            })
            .unwrap();
        assert_eq!(first.unwrap(), 204);
        let error = second.unwrap_err();
        assert_eq!(error.phase(), Some(Phase::Connect));
        assert!(
            format!("{error:#}").contains("no scripted reply for GET http://a.test/two"),
            "{error:#}"
        );
        assert_eq!(transport.requests().len(), 2);
        assert_eq!(transport.replies_left(), 0);
    }
}
