//! [`Retry`]: which failures are tried again, and after how long.
//!
//! ```text
//! attempt 1 ──fails──▶ wait min(max_delay, base × multiplier^0) × jitter ──▶ attempt 2 ──▶ …
//!                      (or the server's Retry-After, up to max_retry_after)
//! ```
//!
//! A failure is retried when every rule agrees: the attempt limit and the
//! time budget are not used up, the method is idempotent (or the policy
//! allows any method), the request body can be sent again (a stream
//! cannot), and the failure is a retryable status (408, 429, 500, 502, 503,
//! 504 by default) or a connect or timeout error. The session's `total`
//! timeout covers all attempts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, RETRY_AFTER};
use http::{Method, StatusCode};
use url::Url;

use crate::transport::{MaybeSend, MaybeSync, Timer};
use crate::Error;

/// A retry callback: `Send + Sync` natively, anything on wasm.
trait OnRetry: Fn(&RetryEvent<'_>) + MaybeSend + MaybeSync {}
impl<F: Fn(&RetryEvent<'_>) + MaybeSend + MaybeSync> OnRetry for F {}

/// A backoff of the caller's: the wait before retry number `n`.
trait Backoff: Fn(u32) -> Duration + MaybeSend + MaybeSync {}
impl<F: Fn(u32) -> Duration + MaybeSend + MaybeSync> Backoff for F {}

/// A retry policy: a session default, replaceable per request.
///
/// The default is ky's and Scrapy's: up to 2 retries (3 attempts) of
/// idempotent requests after 408, 429, 500, 502, 503, 504, connect errors
/// and timeouts, waiting 300 ms, then 600 ms (full jitter), or what
/// `Retry-After` says on 413, 429 and 503, up to 60 s.
///
/// ```
/// use std::time::Duration;
/// use unifetch::Retry;
///
/// let patient = Retry::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(5))
///     .budget(Duration::from_secs(20))
///     .on_retry(|event| eprintln!("retrying {} in {:?}: {}", event.url(), event.delay(), event.reason()));
/// assert_eq!(Retry::none().max_attempts_value(), 1);
/// ```
#[derive(Clone)]
pub struct Retry {
    max_attempts: u32,
    base_delay: Duration,
    multiplier: f64,
    max_delay: Duration,
    jitter: bool,
    seed: Option<u64>,
    budget: Option<Duration>,
    statuses: Vec<StatusCode>,
    retry_after_statuses: Vec<StatusCode>,
    max_retry_after: Duration,
    any_method: bool,
    methods: Vec<Method>,
    on_retry: Option<Arc<dyn OnRetry>>,
    backoff: Option<Arc<dyn Backoff>>,
}

impl Default for Retry {
    fn default() -> Retry {
        let codes = |codes: &[u16]| codes.iter().filter_map(|c| StatusCode::from_u16(*c).ok()).collect();
        Retry {
            max_attempts: 3,
            base_delay: Duration::from_millis(300),
            multiplier: 2.0,
            max_delay: Duration::from_secs(30),
            jitter: true,
            seed: None,
            budget: None,
            statuses: codes(&[408, 429, 500, 502, 503, 504]),
            retry_after_statuses: codes(&[413, 429, 503]),
            max_retry_after: Duration::from_secs(60),
            any_method: false,
            methods: vec![
                Method::GET,
                Method::HEAD,
                Method::OPTIONS,
                Method::PUT,
                Method::DELETE,
                Method::TRACE,
            ],
            on_retry: None,
            backoff: None,
        }
    }
}

impl Retry {
    /// Never retry.
    pub fn none() -> Retry {
        Retry::default().max_attempts(1)
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Retry {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The configured number of attempts.
    pub fn max_attempts_value(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before the first retry (default 300 ms).
    pub fn base_delay(mut self, delay: Duration) -> Retry {
        self.base_delay = delay;
        self
    }

    /// How much each wait grows over the previous one (default 2).
    pub fn multiplier(mut self, multiplier: f64) -> Retry {
        self.multiplier = multiplier.max(1.0);
        self
    }

    /// The longest wait between two attempts (default 30 s).
    pub fn max_delay(mut self, delay: Duration) -> Retry {
        self.max_delay = delay;
        self
    }

    /// Full jitter (default on): each wait is drawn uniformly between zero
    /// and the computed delay, so clients do not retry in lockstep.
    pub fn jitter(mut self, jitter: bool) -> Retry {
        self.jitter = jitter;
        self
    }

    /// Seeds the jitter, for repeatable waits in tests.
    pub fn jitter_seed(mut self, seed: u64) -> Retry {
        self.seed = Some(seed);
        self
    }

    /// Stops retrying once this much time has passed since the first attempt.
    pub fn budget(mut self, budget: Duration) -> Retry {
        self.budget = Some(budget);
        self
    }

    /// The statuses that are retried (default 408, 429, 500, 502, 503, 504).
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> Retry {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// The statuses whose `Retry-After` is honoured (default 413, 429, 503);
    /// they are retried only if [`statuses`](Self::statuses) lists them too.
    pub fn retry_after_statuses(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> Retry {
        self.retry_after_statuses = statuses.into_iter().collect();
        self
    }

    /// The longest `Retry-After` honoured; a longer one ends the retries
    /// (default 60 s).
    pub fn max_retry_after(mut self, limit: Duration) -> Retry {
        self.max_retry_after = limit;
        self
    }

    /// Also retry non-idempotent methods (POST, PATCH, …). Only do this
    /// when the server deduplicates, e.g. with an idempotency key.
    pub fn any_method(mut self, any: bool) -> Retry {
        self.any_method = any;
        self
    }

    /// The methods that are retried (default the idempotent ones: GET,
    /// HEAD, OPTIONS, PUT, DELETE, TRACE), as ky's `retry.methods`.
    pub fn methods(mut self, methods: impl IntoIterator<Item = Method>) -> Retry {
        self.methods = methods.into_iter().collect();
        self.any_method = false;
        self
    }

    /// Called before every retry (with the `tracing` feature, there is also an event at debug level).
    pub fn on_retry<F>(mut self, on_retry: F) -> Retry
    where
        F: Fn(&RetryEvent<'_>) + MaybeSend + MaybeSync + 'static,
    {
        // On wasm the callback need not be `Send`; one `Arc` keeps one type.
        #[allow(clippy::arc_with_non_send_sync)]
        let on_retry = Arc::new(on_retry);
        self.on_retry = Some(on_retry);
        self
    }

    /// The wait before retry number `n` (1 for the first), in place of
    /// `base_delay × multiplier^(n-1)`: ky's `retry.delay` function. The
    /// wait is still capped by [`max_delay`](Self::max_delay) and jittered
    /// if [`jitter`](Self::jitter) is on.
    ///
    /// ```
    /// use std::time::Duration;
    /// let linear = unifetch::Retry::default().backoff(|n| Duration::from_millis(100 * u64::from(n)));
    /// # drop(linear);
    /// ```
    pub fn backoff<F>(mut self, backoff: F) -> Retry
    where
        F: Fn(u32) -> Duration + MaybeSend + MaybeSync + 'static,
    {
        // On wasm the function need not be `Send`; one `Arc` keeps one type.
        #[allow(clippy::arc_with_non_send_sync)]
        let backoff = Arc::new(backoff);
        self.backoff = Some(backoff);
        self
    }

    /// Whether `method` may be retried under this policy.
    fn allows(&self, method: &Method) -> bool {
        self.any_method || self.methods.contains(method)
    }

    /// The base wait before retry number `retry` (1 for the first retry).
    fn wait_before(&self, retry: u32) -> Duration {
        if let Some(backoff) = &self.backoff {
            return backoff(retry).min(self.max_delay);
        }
        let factor = self.multiplier.powi(retry.saturating_sub(1).min(64) as i32);
        let delay = self.base_delay.as_secs_f64() * factor;
        Duration::try_from_secs_f64(delay)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

impl fmt::Debug for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("multiplier", &self.multiplier)
            .field("max_delay", &self.max_delay)
            .field("jitter", &self.jitter)
            .field("budget", &self.budget)
            .field("statuses", &self.statuses)
            .field("any_method", &self.any_method)
            .field("methods", &self.methods)
            .field("backoff", &self.backoff.as_ref().map(|_| "custom"))
            .finish_non_exhaustive()
    }
}

/// What failed in an attempt.
#[derive(Debug, Clone, Copy)]
pub enum RetryReason<'a> {
    /// A retryable status.
    Status(StatusCode),
    /// A connect error or a timeout.
    Error(&'a Error),
}

impl fmt::Display for RetryReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::Status(status) => write!(f, "HTTP {status}"),
            RetryReason::Error(error) => write!(f, "{error}"),
        }
    }
}

/// A retry about to happen, shown to [`Retry::on_retry`].
#[derive(Debug)]
pub struct RetryEvent<'a> {
    pub(crate) url: &'a Url,
    pub(crate) attempt: u32,
    pub(crate) delay: Duration,
    pub(crate) reason: RetryReason<'a>,
    pub(crate) response: Option<&'a crate::Response>,
}

impl RetryEvent<'_> {
    /// The request's URL.
    pub fn url(&self) -> &Url {
        self.url
    }

    /// The attempt that failed (1 for the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// How long until the next attempt.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Why it failed.
    pub fn reason(&self) -> RetryReason<'_> {
        self.reason
    }

    /// The failed attempt's response, for a retried status (its body read
    /// whole): given to [`before_retry`](crate::hooks::Hooks::before_retry)
    /// hooks, not to [`on_retry`](Retry::on_retry) callbacks.
    pub fn response(&self) -> Option<&crate::Response> {
        self.response
    }
}

/// One request's retry state: the policy, the attempts so far, the jitter.
/// Nothing is read from a clock until a retry needs it.
pub(crate) struct Attempts<'p> {
    policy: &'p Retry,
    attempt: u32,
    /// When the first attempt started, for a policy with a budget.
    started: Option<web_time::Instant>,
    /// The session's clock: budgets and `Retry-After` dates are read on it.
    timer: Arc<dyn Timer>,
    /// The jitter's state, seeded at the first jittered wait.
    rng: Option<u64>,
    /// Whether the request body can be sent again.
    replayable: bool,
}

/// What to do after an attempt.
pub(crate) enum Next {
    /// Keep this outcome.
    Done,
    /// Try again after this wait.
    RetryAfter(Duration),
    /// The failure would be retried, but the body is a stream already sent.
    NotReplayable,
}

impl<'p> Attempts<'p> {
    pub(crate) fn new(policy: &'p Retry, replayable: bool, timer: Arc<dyn Timer>) -> Attempts<'p> {
        Attempts {
            policy,
            attempt: 1,
            started: policy.budget.map(|_| timer.now()),
            timer,
            rng: None,
            replayable,
        }
    }

    /// The number of the coming attempt (1 for the first).
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether the policy would retry a failure of `method` at all.
    fn may_retry(&self, method: &Method) -> bool {
        self.attempt < self.policy.max_attempts && self.policy.allows(method)
    }

    /// Decides after a response with `status` and `headers`.
    pub(crate) fn after_status(&mut self, method: &Method, url: &Url, status: StatusCode, headers: &HeaderMap) -> Next {
        if !self.policy.statuses.contains(&status) || !self.may_retry(method) {
            return Next::Done;
        }
        let delay = if self.policy.retry_after_statuses.contains(&status) {
            match retry_after(headers, self.timer.wall_clock()) {
                Some(wait) if wait > self.policy.max_retry_after => return Next::Done,
                Some(wait) => Some(wait),
                None => None,
            }
        } else {
            None
        };
        self.schedule(url, delay, RetryReason::Status(status))
    }

    /// Decides after an error.
    pub(crate) fn after_error(&mut self, method: &Method, url: &Url, error: &Error) -> Next {
        let retryable =
            error.is_connect() || (error.is_timeout() && error.timeout_kind() != Some(crate::TimeoutKind::Total));
        if !retryable || !self.may_retry(method) {
            return Next::Done;
        }
        self.schedule(url, None, RetryReason::Error(error))
    }

    /// The wait before the next attempt, unless the budget forbids it.
    fn schedule(&mut self, url: &Url, server_wait: Option<Duration>, reason: RetryReason<'_>) -> Next {
        if !self.replayable {
            return Next::NotReplayable;
        }
        let delay = server_wait.unwrap_or_else(|| {
            let backoff = self.policy.wait_before(self.attempt);
            if self.policy.jitter {
                backoff.mul_f64(self.next_unit())
            } else {
                backoff
            }
        });
        if let (Some(budget), Some(started)) = (self.policy.budget, self.started) {
            let spent = self.timer.now().saturating_duration_since(started);
            if spent + delay > budget {
                return Next::Done;
            }
        }
        let event = RetryEvent {
            url,
            attempt: self.attempt,
            delay,
            reason,
            response: None,
        };
        debug_event!(url = %url, attempt = self.attempt, ?delay, reason = %reason, "retrying");
        if let Some(on_retry) = &self.policy.on_retry {
            on_retry(&event);
        }
        self.attempt += 1;
        Next::RetryAfter(delay)
    }

    /// A uniform number in [0, 1) from xorshift64*.
    fn next_unit(&mut self) -> f64 {
        let rng = self.rng.get_or_insert_with(|| {
            let seed = self.policy.seed.unwrap_or_else(|| {
                web_time::SystemTime::now()
                    .duration_since(web_time::UNIX_EPOCH)
                    .map_or(0x9E37_79B9, |d| d.as_nanos() as u64)
            });
            seed | 1
        });
        *rng ^= *rng >> 12;
        *rng ^= *rng << 25;
        *rng ^= *rng >> 27;
        let value = rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (value >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `Retry-After` as a wait: delay-seconds or an HTTP-date.
fn retry_after(headers: &HeaderMap, now: web_time::SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    let now = now.duration_since(web_time::UNIX_EPOCH).ok()?;
    Some(at.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn clock() -> Arc<dyn Timer> {
        Arc::new(crate::testing::ManualClock::new())
    }

    fn url() -> Url {
        "http://a.test/".parse().unwrap()
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = Retry::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        let waits: Vec<_> = (1..=4).map(|n| policy.wait_before(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350]);
    }

    #[test]
    fn jitter_stays_within_the_backoff_and_repeats_with_a_seed() {
        let draw = |seed| {
            let policy = Retry::default().max_attempts(10).jitter_seed(seed);
            let mut attempts = Attempts::new(&policy, true, clock());
            (0..5)
                .map(|_| {
                    match attempts.after_status(&Method::GET, &url(), StatusCode::BAD_GATEWAY, &HeaderMap::new()) {
                        Next::RetryAfter(wait) => wait,
                        Next::Done | Next::NotReplayable => panic!("should retry"),
                    }
                })
                .collect::<Vec<_>>()
        };
        let waits = draw(7);
        assert_eq!(waits, draw(7));
        for (n, wait) in waits.iter().enumerate() {
            assert!(*wait <= Retry::default().wait_before(n as u32 + 1));
        }
    }

    #[test]
    fn only_idempotent_methods_and_listed_statuses_are_retried() {
        let policy = Retry::default();
        let mut attempts = Attempts::new(&policy, true, clock());
        let headers = HeaderMap::new();
        assert!(matches!(
            attempts.after_status(&Method::POST, &url(), StatusCode::SERVICE_UNAVAILABLE, &headers),
            Next::Done
        ));
        assert!(matches!(
            attempts.after_status(&Method::GET, &url(), StatusCode::NOT_FOUND, &headers),
            Next::Done
        ));
        assert!(matches!(
            attempts.after_status(&Method::PUT, &url(), StatusCode::SERVICE_UNAVAILABLE, &headers),
            Next::RetryAfter(_)
        ));
        let any_method = Retry::default().any_method(true);
        let mut any = Attempts::new(&any_method, true, clock());
        assert!(matches!(
            any.after_status(&Method::POST, &url(), StatusCode::SERVICE_UNAVAILABLE, &headers),
            Next::RetryAfter(_)
        ));
    }

    #[test]
    fn a_backoff_function_replaces_the_exponential_one_under_the_cap() {
        let policy = Retry::default()
            .jitter(false)
            .max_delay(Duration::from_millis(250))
            .backoff(|n| Duration::from_millis(100 * u64::from(n)));
        let waits: Vec<_> = (1..=4).map(|n| policy.wait_before(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 250, 250]);
        let mut attempts = Attempts::new(&policy, true, clock());
        let headers = HeaderMap::new();
        let first = attempts.after_status(&Method::GET, &url(), StatusCode::BAD_GATEWAY, &headers);
        assert!(matches!(first, Next::RetryAfter(wait) if wait == Duration::from_millis(100)));
    }

    #[test]
    fn the_method_list_and_the_retry_after_statuses_can_be_chosen() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        let policy = Retry::default()
            .methods([Method::POST])
            .retry_after_statuses([StatusCode::SERVICE_UNAVAILABLE]);
        let mut attempts = Attempts::new(&policy, true, clock());
        assert!(matches!(
            attempts.after_status(&Method::GET, &url(), StatusCode::SERVICE_UNAVAILABLE, &headers),
            Next::Done
        ));
        assert!(matches!(
            attempts.after_status(&Method::POST, &url(), StatusCode::SERVICE_UNAVAILABLE, &headers),
            Next::RetryAfter(wait) if wait == Duration::from_secs(7)
        ));
        // 429 is retried, but its Retry-After is no longer honoured: the backoff applies.
        assert!(matches!(
            attempts.after_status(&Method::POST, &url(), StatusCode::TOO_MANY_REQUESTS, &headers),
            Next::RetryAfter(wait) if wait < Duration::from_secs(1)
        ));
    }

    #[test]
    fn retry_after_seconds_and_dates_are_honoured_up_to_the_cap() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        let policy = Retry::default();
        let mut attempts = Attempts::new(&policy, true, clock());
        assert!(matches!(
            attempts.after_status(&Method::GET, &url(), StatusCode::TOO_MANY_REQUESTS, &headers),
            Next::RetryAfter(wait) if wait == Duration::from_secs(2)
        ));
        let manual = crate::testing::ManualClock::new();
        let now = manual.wall_clock().duration_since(web_time::UNIX_EPOCH).unwrap();
        let later = std::time::UNIX_EPOCH + now + Duration::from_secs(30);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        assert_eq!(
            retry_after(&headers, manual.wall_clock()),
            Some(Duration::from_secs(30)),
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        let policy = Retry::default();
        let mut attempts = Attempts::new(&policy, true, clock());
        assert!(matches!(
            attempts.after_status(&Method::GET, &url(), StatusCode::SERVICE_UNAVAILABLE, &headers),
            Next::Done
        ));
    }

    #[test]
    fn a_streamed_body_is_not_retried() {
        let policy = Retry::default();
        let mut attempts = Attempts::new(&policy, false, clock());
        let next = attempts.after_status(&Method::PUT, &url(), StatusCode::BAD_GATEWAY, &HeaderMap::new());
        assert!(matches!(next, Next::NotReplayable));
    }

    #[test]
    fn attempts_and_budget_run_out() {
        let policy = Retry::default().max_attempts(2).jitter(false);
        let mut attempts = Attempts::new(&policy, true, clock());
        let headers = HeaderMap::new();
        assert!(matches!(
            attempts.after_status(&Method::GET, &url(), StatusCode::BAD_GATEWAY, &headers),
            Next::RetryAfter(_)
        ));
        assert!(matches!(
            attempts.after_status(&Method::GET, &url(), StatusCode::BAD_GATEWAY, &headers),
            Next::Done
        ));
        let tight_budget = Retry::default().jitter(false).budget(Duration::from_millis(100));
        let mut tight = Attempts::new(&tight_budget, true, clock());
        assert!(matches!(
            tight.after_status(&Method::GET, &url(), StatusCode::BAD_GATEWAY, &headers),
            Next::Done
        ));
    }
}
