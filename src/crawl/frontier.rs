//! The frontier: the pages this worker has leased from the store, one
//! queue per host, released under the per-host concurrency, the politeness
//! delay (fixed, from robots.txt `Crawl-delay`, or adapted to latency) and
//! robots.txt rules (which expire).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use url::Url;
use web_time::Instant;

use super::store::Job;
use super::Throttle;
use crate::limit::host_key;

/// What the frontier releases next.
#[derive(Debug)]
pub(crate) enum Next {
    /// Fetch this page.
    Page(Job),
    /// robots.txt disallows this page: it is done without a fetch.
    Disallowed(Job),
    /// Fetch this host's robots.txt first.
    Robots { host: String, url: Url },
    /// Nothing is ready before this instant.
    WaitUntil(Instant),
    /// Nothing is ready until something in flight finishes.
    Idle,
}

enum RobotsState {
    Unknown,
    Fetching,
    /// The rules, until they expire (`None`: never).
    Known(robotxt::Robots, Option<Instant>),
}

struct Host {
    queue: VecDeque<Job>,
    in_flight: usize,
    next_start: Option<Instant>,
    delay: Duration,
    robots: RobotsState,
}

/// The politeness rules shared by every host.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub(crate) per_host: usize,
    pub(crate) delay: Duration,
    pub(crate) throttle: Option<Throttle>,
    pub(crate) obey_robots: bool,
}

pub(crate) struct Frontier {
    rules: Rules,
    hosts: HashMap<String, Host>,
    /// Hosts with queued URLs, in round-robin order.
    order: VecDeque<String>,
    queued: usize,
}

impl Frontier {
    pub(crate) fn new(rules: Rules) -> Frontier {
        Frontier {
            rules,
            hosts: HashMap::new(),
            order: VecDeque::new(),
            queued: 0,
        }
    }

    /// URLs waiting.
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// Takes every waiting URL out (a stopped crawl gives them back).
    pub(crate) fn drain(&mut self) -> Vec<Job> {
        let jobs = self.hosts.values_mut().flat_map(|host| host.queue.drain(..)).collect();
        self.order.clear();
        self.queued = 0;
        jobs
    }

    pub(crate) fn push(&mut self, job: Job) {
        let key = host_key(&job.url);
        let host = self.hosts.entry(key.clone()).or_insert_with(|| Host {
            queue: VecDeque::new(),
            in_flight: 0,
            next_start: None,
            delay: self.rules.delay,
            robots: if self.rules.obey_robots {
                RobotsState::Unknown
            } else {
                RobotsState::Known(robotxt::Robots::allow_all(), None)
            },
        });
        if host.queue.is_empty() {
            self.order.push_back(key);
        }
        host.queue.push_back(job);
        self.queued += 1;
    }

    /// The next thing to fetch at `now`, honouring every host's rules.
    pub(crate) fn next(&mut self, now: Instant) -> Next {
        let mut earliest: Option<Instant> = None;
        for _ in 0..self.order.len() {
            let Some(key) = self.order.pop_front() else {
                break;
            };
            let Some(host) = self.hosts.get_mut(&key) else {
                continue;
            };
            let before = host.queue.len();
            let released = Self::release(&self.rules, host, &key, now, &mut earliest);
            self.queued -= before - host.queue.len();
            if !host.queue.is_empty() {
                self.order.push_back(key);
            }
            if let Some(next) = released {
                return next;
            }
        }
        match earliest {
            Some(at) => Next::WaitUntil(at),
            None => Next::Idle,
        }
    }

    /// What `host` can release now, if anything.
    fn release(
        rules: &Rules,
        host: &mut Host,
        key: &str,
        now: Instant,
        earliest: &mut Option<Instant>,
    ) -> Option<Next> {
        if let RobotsState::Known(_, Some(expires)) = host.robots {
            if expires <= now {
                host.robots = RobotsState::Unknown;
            }
        }
        match &host.robots {
            RobotsState::Fetching => return None,
            RobotsState::Unknown => {
                let url = host.queue.front().and_then(|job| robotxt::robots_url(&job.url).ok())?;
                host.robots = RobotsState::Fetching;
                host.in_flight += 1;
                return Some(Next::Robots {
                    host: key.to_owned(),
                    url,
                });
            }
            RobotsState::Known(..) => {}
        }
        if host.in_flight >= rules.per_host {
            return None;
        }
        if let Some(at) = host.next_start.filter(|at| *at > now) {
            *earliest = Some(earliest.map_or(at, |e| e.min(at)));
            return None;
        }
        let job = host.queue.pop_front()?;
        let allowed = match &host.robots {
            RobotsState::Known(robots, _) => robots.is_url_allowed(&job.url),
            _ => true,
        };
        if !allowed {
            return Some(Next::Disallowed(job));
        }
        host.in_flight += 1;
        host.next_start = (!host.delay.is_zero()).then(|| now + host.delay);
        Some(Next::Page(job))
    }

    /// Records the robots.txt of `host` (already read into rules), valid
    /// until `expires`.
    pub(crate) fn robots_known(&mut self, host: &str, robots: robotxt::Robots, expires: Option<Instant>) {
        if let Some(state) = self.hosts.get_mut(host) {
            state.in_flight = state.in_flight.saturating_sub(1);
            if let Some(crawl_delay) = robots.crawl_delay() {
                state.delay = state.delay.max(crawl_delay);
            }
            state.robots = RobotsState::Known(robots, expires);
        }
    }

    /// Puts `job` back at the head of its host's queue, which may start
    /// nothing before `until` (politeness shared with other workers).
    pub(crate) fn postpone(&mut self, job: Job, until: Instant) {
        let key = host_key(&job.url);
        let Some(host) = self.hosts.get_mut(&key) else {
            return;
        };
        host.in_flight = host.in_flight.saturating_sub(1);
        host.next_start = Some(host.next_start.map_or(until, |at| at.max(until)));
        if host.queue.is_empty() {
            self.order.push_back(key);
        }
        host.queue.push_front(job);
        self.queued += 1;
    }

    /// Records that a page of `url`'s host finished after `latency`.
    pub(crate) fn finished(&mut self, url: &Url, latency: Duration, ok: bool) {
        let Some(host) = self.hosts.get_mut(&host_key(url)) else {
            return;
        };
        host.in_flight = host.in_flight.saturating_sub(1);
        if let Some(throttle) = &self.rules.throttle {
            host.delay = throttle.adjust(host.delay, self.rules.delay, latency, ok);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(per_host: usize, delay_ms: u64, obey_robots: bool) -> Rules {
        Rules {
            per_host,
            delay: Duration::from_millis(delay_ms),
            throttle: None,
            obey_robots,
        }
    }

    fn job(url: &str) -> Job {
        Job {
            url: url.parse().unwrap(),
            depth: 0,
        }
    }

    fn page(next: Next) -> String {
        match next {
            Next::Page(job) => job.url.to_string(),
            other => panic!("expected a page, got {other:?}"),
        }
    }

    #[test]
    fn hosts_take_turns_and_respect_their_cap() {
        let mut frontier = Frontier::new(rules(1, 0, false));
        for url in ["http://a.test/1", "http://a.test/2", "http://b.test/1"] {
            frontier.push(job(url));
        }
        let now = Instant::now();
        assert_eq!(page(frontier.next(now)), "http://a.test/1");
        assert_eq!(page(frontier.next(now)), "http://b.test/1");
        assert!(matches!(frontier.next(now), Next::Idle), "a.test is at its cap");
        frontier.finished(&"http://a.test/1".parse().unwrap(), Duration::ZERO, true);
        assert_eq!(page(frontier.next(now)), "http://a.test/2");
    }

    #[test]
    fn the_delay_spaces_out_starts_on_a_host() {
        let mut frontier = Frontier::new(rules(4, 500, false));
        frontier.push(job("http://a.test/1"));
        frontier.push(job("http://a.test/2"));
        let now = Instant::now();
        page(frontier.next(now));
        match frontier.next(now) {
            Next::WaitUntil(at) => assert_eq!(at - now, Duration::from_millis(500)),
            other => panic!("expected a wait, got {other:?}"),
        }
        assert_eq!(page(frontier.next(now + Duration::from_millis(500))), "http://a.test/2");
    }

    #[test]
    fn robots_come_first_and_filter_the_queue() {
        let mut frontier = Frontier::new(rules(2, 0, true));
        frontier.push(job("http://a.test/private/1"));
        frontier.push(job("http://a.test/public/1"));
        let now = Instant::now();
        let Next::Robots { host, url } = frontier.next(now) else {
            panic!("robots first")
        };
        assert_eq!(url.as_str(), "http://a.test/robots.txt");
        assert!(
            matches!(frontier.next(now), Next::Idle),
            "nothing before robots.txt is known"
        );
        let robots = robotxt::Robots::parse(b"User-agent: *\nDisallow: /private/\nCrawl-delay: 2", "unifetch");
        frontier.robots_known(&host, robots, Some(now + Duration::from_secs(60)));
        assert!(
            matches!(frontier.next(now), Next::Disallowed(job) if job.url.path() == "/private/1"),
            "a disallowed page is handed back, to be marked done"
        );
        assert_eq!(page(frontier.next(now)), "http://a.test/public/1");
        frontier.push(job("http://a.test/public/2"));
        assert!(matches!(frontier.next(now), Next::WaitUntil(_)), "Crawl-delay applies");
        let later = now + Duration::from_secs(61);
        assert!(
            matches!(frontier.next(later), Next::Robots { .. }),
            "expired rules are fetched again"
        );
    }
}
