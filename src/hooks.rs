//! [`Hooks`]: code of yours at four points of every exchange, the points
//! ky has (and the npm package's `hooks` option is built on these).
//!
//! ```text
//! attempt ─▶ before_request ─▶ (send, redirects) ─▶ after_response ─▶ retry? ─▶ wait ─▶ before_retry ─▶ attempt …
//!            └ may answer itself                     └ may replace it                    └ may stop
//! failure ─▶ before_error ─▶ the caller
//! ```
//!
//! Hooks are async and run in the order they were added, the session's
//! before the request's. A hook that fails ends the exchange with its error
//! (make one of your own with [`Error::hook`]).
//!
//! ```
//! use unifetch::hooks::{BeforeRequest, Hooks, RetryDecision};
//! use unifetch::Session;
//!
//! let hooks = Hooks::new()
//!     .before_request(|mut request: unifetch::Request| async move {
//!         request.headers_mut().insert("x-token", "secret".parse().unwrap());
//!         Ok(BeforeRequest::Send(request))
//!     })
//!     .after_response(|response: unifetch::Response| async move {
//!         eprintln!("{} {}", response.status(), response.url());
//!         Ok(response)
//!     })
//!     .before_retry(|event: &unifetch::retry::RetryEvent<'_>| {
//!         let give_up = event.attempt() >= 2;
//!         async move { Ok(if give_up { RetryDecision::Stop } else { RetryDecision::Retry }) }
//!     })
//!     .before_error(|error: unifetch::Error| async move { error });
//! let session = Session::builder().hooks(hooks).build().unwrap();
//! # drop(session);
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::retry::RetryEvent;
use crate::transport::{BoxFuture, MaybeSend, MaybeSync};
use crate::{Error, Request, Response, Result};

/// What a `before_request` hook decides.
// Moved once per attempt: a `Box` would only make hooks clumsier to write.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum BeforeRequest {
    /// Send this request (the one the hook got, changed or not, or another).
    Send(Request),
    /// Do not send anything: this is the attempt's response (a cache, a mock).
    Respond(Response),
}

/// What a `before_retry` hook decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Go on with the retry.
    Retry,
    /// No more attempts: the failure that was about to be retried stands.
    Stop,
}

trait BeforeRequestHook: Fn(Request) -> BoxFuture<'static, Result<BeforeRequest>> + MaybeSend + MaybeSync {}
impl<F: Fn(Request) -> BoxFuture<'static, Result<BeforeRequest>> + MaybeSend + MaybeSync> BeforeRequestHook for F {}

trait AfterResponseHook: Fn(Response) -> BoxFuture<'static, Result<Response>> + MaybeSend + MaybeSync {}
impl<F: Fn(Response) -> BoxFuture<'static, Result<Response>> + MaybeSend + MaybeSync> AfterResponseHook for F {}

trait BeforeRetryHook: Fn(&RetryEvent<'_>) -> BoxFuture<'static, Result<RetryDecision>> + MaybeSend + MaybeSync {}
impl<F: Fn(&RetryEvent<'_>) -> BoxFuture<'static, Result<RetryDecision>> + MaybeSend + MaybeSync> BeforeRetryHook
    for F
{
}

trait BeforeErrorHook: Fn(Error) -> BoxFuture<'static, Error> + MaybeSend + MaybeSync {}
impl<F: Fn(Error) -> BoxFuture<'static, Error> + MaybeSend + MaybeSync> BeforeErrorHook for F {}

/// The hooks of a session or a request (see the [module](self) docs).
#[derive(Clone, Default)]
pub struct Hooks {
    before_request: Vec<Arc<dyn BeforeRequestHook>>,
    after_response: Vec<Arc<dyn AfterResponseHook>>,
    before_retry: Vec<Arc<dyn BeforeRetryHook>>,
    before_error: Vec<Arc<dyn BeforeErrorHook>>,
}

// On wasm the hooks need not be `Send`; one `Arc` keeps one type.
#[allow(clippy::arc_with_non_send_sync)]
impl Hooks {
    /// No hooks.
    pub fn new() -> Hooks {
        Hooks::default()
    }

    /// Runs before each attempt is sent, redirects excluded: may change the
    /// request (its method, URL, headers and body; its timeouts and
    /// policies stay the exchange's), replace it, or answer it without
    /// sending anything.
    pub fn before_request<F, Fut>(mut self, hook: F) -> Hooks
    where
        F: Fn(Request) -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<BeforeRequest>> + MaybeSend + 'static,
    {
        self.before_request
            .push(Arc::new(move |request: Request| -> BoxFuture<'static, _> {
                Box::pin(hook(request))
            }));
        self
    }

    /// Runs on each attempt's response (before the retry policy looks at
    /// its status), a `before_request` hook's answer included: may return
    /// it or another.
    pub fn after_response<F, Fut>(mut self, hook: F) -> Hooks
    where
        F: Fn(Response) -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<Response>> + MaybeSend + 'static,
    {
        self.after_response
            .push(Arc::new(move |response: Response| -> BoxFuture<'static, _> {
                Box::pin(hook(response))
            }));
        self
    }

    /// Runs after the wait before a retry: may stop the retries.
    pub fn before_retry<F, Fut>(mut self, hook: F) -> Hooks
    where
        F: Fn(&RetryEvent<'_>) -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<RetryDecision>> + MaybeSend + 'static,
    {
        self.before_retry
            .push(Arc::new(move |event: &RetryEvent<'_>| -> BoxFuture<'static, _> {
                Box::pin(hook(event))
            }));
        self
    }

    /// Runs on the error an exchange is about to return: returns the error
    /// to return instead (the same, enriched, or another).
    pub fn before_error<F, Fut>(mut self, hook: F) -> Hooks
    where
        F: Fn(Error) -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Error> + MaybeSend + 'static,
    {
        self.before_error
            .push(Arc::new(move |error: Error| -> BoxFuture<'static, _> {
                Box::pin(hook(error))
            }));
        self
    }

    /// These hooks followed by `later`'s.
    pub fn then(mut self, later: &Hooks) -> Hooks {
        self.before_request.extend(later.before_request.iter().cloned());
        self.after_response.extend(later.after_response.iter().cloned());
        self.before_retry.extend(later.before_retry.iter().cloned());
        self.before_error.extend(later.before_error.iter().cloned());
        self
    }

    /// Whether any `after_response` hook is set.
    pub(crate) fn has_after_response(&self) -> bool {
        !self.after_response.is_empty()
    }

    /// Whether any `before_retry` hook is set.
    pub(crate) fn has_before_retry(&self) -> bool {
        !self.before_retry.is_empty()
    }

    /// Whether any `before_request` hook is set.
    pub(crate) fn has_before_request(&self) -> bool {
        !self.before_request.is_empty()
    }

    /// Runs the `before_request` hooks until one answers.
    pub(crate) async fn run_before_request(&self, mut request: Request) -> Result<BeforeRequest> {
        for hook in &self.before_request {
            match hook(request).await? {
                BeforeRequest::Send(next) => request = next,
                answered @ BeforeRequest::Respond(_) => return Ok(answered),
            }
        }
        Ok(BeforeRequest::Send(request))
    }

    /// Runs the `after_response` hooks, each on the previous one's response.
    pub(crate) async fn run_after_response(&self, mut response: Response) -> Result<Response> {
        for hook in &self.after_response {
            response = hook(response).await?;
        }
        Ok(response)
    }

    /// Runs the `before_retry` hooks until one stops the retries.
    pub(crate) async fn run_before_retry(&self, event: &RetryEvent<'_>) -> Result<RetryDecision> {
        for hook in &self.before_retry {
            if hook(event).await? == RetryDecision::Stop {
                return Ok(RetryDecision::Stop);
            }
        }
        Ok(RetryDecision::Retry)
    }

    /// Runs the `before_error` hooks, each on the previous one's error.
    pub(crate) async fn run_before_error(&self, mut error: Error) -> Error {
        for hook in &self.before_error {
            error = hook(error).await;
        }
        error
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("before_request", &self.before_request.len())
            .field("after_response", &self.after_response.len())
            .field("before_retry", &self.before_retry.len())
            .field("before_error", &self.before_error.len())
            .finish()
    }
}
