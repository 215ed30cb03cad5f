//! [`ManualClock`]: a [`Timer`] whose time moves only when told to, and a
//! runner that moves it whenever nothing else can make progress.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use web_time::{Instant, SystemTime, UNIX_EPOCH};

use crate::transport::{BoxFuture, Timer};

/// The wall-clock time a [`ManualClock`] starts at: 2026-01-01T00:00:00Z.
const WALL_START_SECS: u64 = 1_767_225_600;
/// How many polls [`ManualClock::run`] allows before it calls the future
/// runaway (a loop that never waits).
const MAX_POLLS: u64 = 1_000_000;

/// A clock for deterministic tests: its time starts at zero and moves only
/// through [`advance`](Self::advance), or through [`run`](Self::run), which
/// jumps to the next sleeper's deadline whenever the future it drives waits
/// on nothing but the clock. A session built with it as its
/// [`timer`](crate::SessionBuilder::timer) times out, backs off and honours
/// `Retry-After` in no real time at all.
///
/// ```
/// use std::time::Duration;
/// use unifetch::testing::ManualClock;
/// use unifetch::transport::Timer;
///
/// let clock = ManualClock::new();
/// let waited = clock.run(async {
///     clock.sleep(Duration::from_secs(90)).await;
///     clock.elapsed()
/// });
/// assert_eq!(waited.unwrap(), Duration::from_secs(90));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    state: Arc<Mutex<ClockState>>,
}

struct ClockState {
    /// The real instant the clock's zero stands for.
    origin: Instant,
    elapsed: Duration,
    next_id: u64,
    /// Sleeps not yet over, by deadline, with the task waiting on each.
    sleepers: BTreeMap<(Duration, u64), Option<Waker>>,
}

/// [`ManualClock::run`] gave up: the future waits on something no clock
/// can wake (a hang, had the time been real), or never stops polling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stalled {
    /// The clock's time when it gave up.
    pub elapsed: Duration,
    /// Whether it was a future that never stopped asking to be polled.
    pub runaway: bool,
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.runaway {
            write!(
                f,
                "still running after {MAX_POLLS} polls at {:?} of clock time",
                self.elapsed
            )
        } else {
            write!(
                f,
                "stalled at {:?} of clock time: waiting on something no timer wakes",
                self.elapsed
            )
        }
    }
}

impl std::error::Error for Stalled {}

impl Default for ManualClock {
    fn default() -> ManualClock {
        ManualClock::new()
    }
}

impl std::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("ManualClock")
            .field("elapsed", &state.elapsed)
            .field("sleepers", &state.sleepers.len())
            .finish()
    }
}

impl ManualClock {
    /// A clock at zero with no sleepers.
    pub fn new() -> ManualClock {
        ManualClock {
            state: Arc::new(Mutex::new(ClockState {
                origin: Instant::now(),
                elapsed: Duration::ZERO,
                next_id: 0,
                sleepers: BTreeMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The time since the clock was made, on this clock.
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    /// Moves time forward by `by`, waking the sleeps that are then over.
    pub fn advance(&self, by: Duration) {
        let target = self.elapsed() + by;
        self.advance_to(target);
    }

    /// How long from now the next sleep ends, if any is pending.
    pub fn next_deadline(&self) -> Option<Duration> {
        let state = self.lock();
        let ((deadline, _), _) = state.sleepers.first_key_value()?;
        Some(deadline.saturating_sub(state.elapsed))
    }

    fn advance_to(&self, target: Duration) {
        let due: Vec<Waker> = {
            let mut state = self.lock();
            state.elapsed = state.elapsed.max(target);
            let now = state.elapsed;
            let mut due = Vec::new();
            for ((deadline, _), waker) in state.sleepers.iter_mut() {
                if *deadline > now {
                    break;
                }
                due.extend(waker.take());
            }
            due
        };
        due.into_iter().for_each(Waker::wake);
    }

    /// Drives `future` to its end on this thread. Whenever it waits and
    /// nothing woke it, time jumps to the next sleeper's deadline; when no
    /// sleeper is left either, the future would wait for ever: [`Stalled`].
    pub fn run<F: Future>(&self, future: F) -> Result<F::Output, Stalled> {
        let flag = Arc::new(Flag::default());
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        for _ in 0..MAX_POLLS {
            flag.0.store(false, Ordering::Release);
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return Ok(output);
            }
            if flag.0.load(Ordering::Acquire) {
                continue;
            }
            match self.next_deadline() {
                Some(left) => self.advance(left),
                None => {
                    return Err(Stalled {
                        elapsed: self.elapsed(),
                        runaway: false,
                    })
                }
            }
        }
        Err(Stalled {
            elapsed: self.elapsed(),
            runaway: true,
        })
    }
}

/// Set when the driven future is woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

impl Timer for ManualClock {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let key = {
            let mut state = self.lock();
            let key = (state.elapsed + duration, state.next_id);
            state.next_id += 1;
            state.sleepers.insert(key, None);
            key
        };
        Box::pin(Sleep {
            clock: self.clone(),
            key,
        })
    }

    fn now(&self) -> Instant {
        let state = self.lock();
        state.origin + state.elapsed
    }

    fn wall_clock(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(WALL_START_SECS) + self.elapsed()
    }
}

/// One sleep on a [`ManualClock`]; it leaves the clock's list when dropped.
struct Sleep {
    clock: ManualClock,
    key: (Duration, u64),
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.clock.lock();
        if state.elapsed >= self.key.0 {
            state.sleepers.remove(&self.key);
            return Poll::Ready(());
        }
        state.sleepers.insert(self.key, Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.clock.lock().sleepers.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_end_in_deadline_order_and_dropped_ones_do_not_count() {
        let clock = ManualClock::new();
        let order = clock
            .run(async {
                let forgotten = clock.sleep(Duration::from_secs(1));
                drop(forgotten);
                let mut ends = Vec::new();
                let late = async {
                    clock.sleep(Duration::from_secs(5)).await;
                    clock.elapsed()
                };
                let early = async {
                    clock.sleep(Duration::from_secs(2)).await;
                    clock.elapsed()
                };
                let (late, early) = futures_util::future::join(late, early).await;
                ends.push(early);
                ends.push(late);
                ends
            })
            .unwrap();
        assert_eq!(order, [Duration::from_secs(2), Duration::from_secs(5)]);
    }

    #[test]
    fn a_future_that_waits_on_nothing_is_stalled_not_hung() {
        let clock = ManualClock::new();
        let stalled = clock.run(std::future::pending::<()>()).unwrap_err();
        assert_eq!(stalled.elapsed, Duration::ZERO);
        assert!(!stalled.runaway);
        assert!(stalled.to_string().contains("no timer wakes"));
    }

    #[test]
    fn now_and_the_wall_clock_follow_the_clock() {
        let clock = ManualClock::new();
        let (start, wall) = (clock.now(), clock.wall_clock());
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - start, Duration::from_millis(1500));
        assert_eq!(
            clock.wall_clock().duration_since(wall).unwrap(),
            Duration::from_millis(1500)
        );
    }
}
