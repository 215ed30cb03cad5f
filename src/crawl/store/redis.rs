//! [`RedisStore`]: one crawl shared by any number of processes on any
//! machines, through Redis (the `redis` crate, a connection manager, and
//! Lua scripts so that every step is atomic on the server).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use url::Url;

use super::{
    stable_fingerprint, Counts, CrawlStore, Finished, HostSlot, Job, Recorded, RobotsOutcome, StoredRobots, Taken,
};
use crate::transport::BoxFuture;
use crate::{Error, Result};

/// The start of TAKE and COUNTS: the server's time in ms as `now`, this
/// worker (ARGV[WORKER]) marked active, and expired leases back in the
/// queue. KEYS: queue, leases, leased, seq, workers.
const RECLAIM: &str = r"
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[5], now, ARGV[WORKER])
for _, url in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
    local depth = redis.call('HGET', KEYS[3], url) or '0'
    redis.call('ZREM', KEYS[2], url)
    redis.call('HDEL', KEYS[3], url)
    local seq = redis.call('INCR', KEYS[4])
    redis.call('ZADD', KEYS[1], tonumber(depth) * DEPTH_SCALE + seq, url)
end
";

/// Depths and queue order share one sorted-set score: `depth * 2^32 + seq`.
const DEPTH_SCALE: &str = "4294967296";
/// A worker counts as active while it spoke to the store this recently.
const ACTIVE_MS: u64 = 10_000;

/// Queues jobs never seen. KEYS: seen, queue, seq. ARGV: (fp, url, depth)…
const ADD: &str = r"
local new = 0
for i = 1, #ARGV, 3 do
    if redis.call('HSETNX', KEYS[1], ARGV[i], 'q') == 1 then
        local seq = redis.call('INCR', KEYS[3])
        redis.call('ZADD', KEYS[2], tonumber(ARGV[i + 2]) * DEPTH_SCALE + seq, ARGV[i + 1])
        new = new + 1
    end
end
return new
";

/// Returns expired leases to the queue, then leases up to ARGV[1] pages
/// for ARGV[2] ms to worker ARGV[3]. KEYS: queue, leases, leased, seq,
/// workers. Returns {queued left, url, depth, url, depth…}.
const TAKE: &str = r"
RECLAIM(3)
local out = {0}
local max = tonumber(ARGV[1])
if max > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[1], max)
    for i = 1, #popped, 2 do
        local depth = math.floor(tonumber(popped[i + 1]) / DEPTH_SCALE)
        redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), popped[i])
        redis.call('HSET', KEYS[3], popped[i], depth)
        table.insert(out, popped[i])
        table.insert(out, depth)
    end
end
out[1] = redis.call('ZCARD', KEYS[1])
return out
";

/// Records finished pages. KEYS: seen, queue, seq, leases, leased,
/// records, done. ARGV: per page: fp, url, record ('' for none),
/// redirect fp ('' for none), found count, then (fp, url, depth)…
/// Returns {how many found URLs were new, then 1 or 0 per page: whether its
/// record was kept}.
const FINISH: &str = r"
local new = 0
local kept = {}
local i = 1
while i <= #ARGV do
    local fp, url, record, redirected, found = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
    i = i + 5
    redis.call('ZREM', KEYS[4], url)
    redis.call('HDEL', KEYS[5], url)
    if redis.call('HGET', KEYS[1], fp) ~= 'd' then
        redis.call('HSET', KEYS[1], fp, 'd')
        redis.call('INCR', KEYS[7])
        if record ~= '' then
            redis.call('RPUSH', KEYS[6], record)
        end
        table.insert(kept, 1)
    else
        table.insert(kept, 0)
    end
    if redirected ~= '' then
        redis.call('HSETNX', KEYS[1], redirected, 's')
    end
    for _ = 1, found do
        if redis.call('HSETNX', KEYS[1], ARGV[i], 'q') == 1 then
            local seq = redis.call('INCR', KEYS[3])
            redis.call('ZADD', KEYS[2], tonumber(ARGV[i + 2]) * DEPTH_SCALE + seq, ARGV[i + 1])
            new = new + 1
        end
        i = i + 3
    end
end
table.insert(kept, 1, new)
return kept
";

/// Returns leased pages to the queue. KEYS: queue, leases, leased, seq.
/// ARGV: (url, depth)…
const GIVE_BACK: &str = r"
for i = 1, #ARGV, 2 do
    if redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then
        redis.call('HDEL', KEYS[3], ARGV[i])
        local seq = redis.call('INCR', KEYS[4])
        redis.call('ZADD', KEYS[1], tonumber(ARGV[i + 1]) * DEPTH_SCALE + seq, ARGV[i])
    end
end
return 0
";

/// Counts, after expired leases went back to the queue. KEYS: queue,
/// leases, leased, seq, workers, seen, done. ARGV: worker, active ms.
const COUNTS: &str = r"
RECLAIM(1)
return {
    redis.call('ZCARD', KEYS[1]),
    redis.call('ZCARD', KEYS[2]),
    tonumber(redis.call('GET', KEYS[7]) or '0'),
    redis.call('HLEN', KEYS[6]),
    redis.call('ZCOUNT', KEYS[5], now - tonumber(ARGV[2]), '+inf'),
}
";

/// A request start on a host, shared by every worker: reserved on the
/// host's timeline (first come, first served) unless the host is at its
/// limit of requests at once. KEYS: slots, next. ARGV: per_host, delay ms,
/// token, lease ms. Returns the milliseconds until the reserved start (0:
/// now), or -1 when the host is at its limit.
const HOST_SLOT: &str = r"
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
    return -1
end
local start = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('ZADD', KEYS[1], start + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], start - now + tonumber(ARGV[4]))
local delay = tonumber(ARGV[2])
if delay > 0 then
    redis.call('SET', KEYS[2], start + delay, 'PX', start - now + delay)
end
return start - now
";

/// Extends the leases a live worker holds: its pages (KEYS[1], the leases)
/// and its request starts on hosts (KEYS[2…], each host's slots), never
/// creating one that already expired. ARGV: lease ms, page count, pages…,
/// then per host: token count, tokens…
const RENEW: &str = r"
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local lease = tonumber(ARGV[1])
local i = 2
for k = 1, #KEYS do
    local count = tonumber(ARGV[i])
    i = i + 1
    for _ = 1, count do
        redis.call('ZADD', KEYS[k], 'XX', now + lease, ARGV[i])
        i = i + 1
    end
    local ttl = redis.call('PTTL', KEYS[k])
    if k > 1 and ttl >= 0 and ttl < lease then
        redis.call('PEXPIRE', KEYS[k], lease)
    end
end
return 0
";

/// How long a worker waits before asking again for a host at its limit.
const HOST_FULL_RETRY: Duration = Duration::from_millis(20);

/// A crawl shared through Redis by any number of workers (processes, on
/// any machines), each running the same crawl with the same store name.
///
/// - One frontier (a sorted set: shallowest first), one seen set (a hash
///   keyed by a 64-bit xxh3 of the normalized URL, never the URL), one
///   list of records (each URL recorded once).
/// - Pages are leased for a time (`lease`, default 60 s) that a live
///   worker renews every third of it, so a slow page is never fetched
///   twice; a page leased by a worker that died goes back to the queue
///   when its lease expires.
///   Every step is a Lua script, so two workers never take the same page.
/// - robots.txt is fetched once per host for every worker, and politeness
///   (`per_host` and `delay`) holds across all workers together, on the
///   server's clock.
/// - A worker ends when nothing is queued or leased by anyone.
/// - When Redis is unreachable, each step is retried with backoff for the
///   store's retry budget (default 30 s); the crawl then stops with a store
///   error, and its leases return to the queue when they expire.
///
/// ```no_run
/// use unifetch::crawl::{store::RedisStore, Crawler};
/// # async fn run(session: unifetch::Session) -> unifetch::Result<()> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379/0", "docs-crawl").await?;
/// let crawl = Crawler::new(session).store(store).crawl(["http://127.0.0.1:8080/"])?;
/// # drop(crawl); Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    keys: Arc<Keys>,
    worker: Arc<str>,
    lease: Duration,
    retry_budget: Duration,
    held: Arc<Held>,
    /// The task that renews the leases in `held` has started.
    renewing: Arc<AtomicBool>,
    tokens: Arc<AtomicU64>,
}

/// What this worker holds leased, to renew while it lives.
#[derive(Default)]
struct Held {
    /// Pages taken and not yet finished or given back.
    pages: Mutex<HashSet<String>>,
    /// Request starts reserved per host (their tokens).
    slots: Mutex<HashMap<String, Vec<String>>>,
}

impl Held {
    fn pages(&self) -> MutexGuard<'_, HashSet<String>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, Vec<String>>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the leases of `urls` (finished or given back).
    fn release<'a>(&self, urls: impl Iterator<Item = &'a Url>) {
        let mut pages = self.pages();
        for url in urls {
            pages.remove(url.as_str());
        }
    }
}

struct Keys {
    prefix: String,
    seen: String,
    queue: String,
    seq: String,
    leases: String,
    leased: String,
    records: String,
    done: String,
    robots: String,
    workers: String,
}

impl Keys {
    fn new(name: &str) -> Keys {
        let prefix = format!("unifetch:crawl:{{{name}}}:");
        let key = |suffix: &str| format!("{prefix}{suffix}");
        Keys {
            seen: key("seen"),
            queue: key("queue"),
            seq: key("seq"),
            leases: key("leases"),
            leased: key("leased"),
            records: key("records"),
            done: key("done"),
            robots: key("robots"),
            workers: key("workers"),
            prefix,
        }
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("keys", &self.keys.prefix)
            .field("worker", &self.worker)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// `source` with `RECLAIM(n)` spelled out (the worker in ARGV[n]) and the
/// depth scale in place.
fn script(source: &str) -> Script {
    let mut lua = source.to_owned();
    for n in 1..=3 {
        lua = lua.replace(&format!("RECLAIM({n})"), &RECLAIM.replace("WORKER", &n.to_string()));
    }
    Script::new(&lua.replace("DEPTH_SCALE", DEPTH_SCALE))
}

impl RedisStore {
    /// Joins (or starts) the crawl `name` in the Redis at `url`
    /// (`redis://[user:password@]host:port/db`). Fails at once, clearly,
    /// when Redis cannot be reached.
    pub async fn connect(url: &str, name: &str) -> Result<RedisStore> {
        let client = redis::Client::open(url).map_err(|e| Error::store(format!("invalid Redis URL {url:?}: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_number_of_retries(2);
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| Error::store(format!("cannot reach Redis at {}: {e}", redacted(url))))?;
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
        let worker = format!("{}-{}-{started:x}", host.trim(), std::process::id());
        Ok(RedisStore {
            connection,
            keys: Arc::new(Keys::new(name)),
            worker: worker.into(),
            lease: Duration::from_secs(60),
            retry_budget: Duration::from_secs(30),
            held: Arc::default(),
            renewing: Arc::default(),
            tokens: Arc::default(),
        })
    }

    /// How long a page stays leased to a worker that took it before it is
    /// handed to another (default 60 s: longer than a page takes).
    pub fn lease(mut self, lease: Duration) -> RedisStore {
        self.lease = lease.max(Duration::from_millis(100));
        self
    }

    /// How long a step keeps being retried while Redis is unreachable
    /// (default 30 s).
    pub fn retry_budget(mut self, budget: Duration) -> RedisStore {
        self.retry_budget = budget;
        self
    }

    /// Writes every stored record to `out` as JSON lines, each URL once,
    /// in the order they were recorded. Returns how many.
    pub async fn export(&self, mut out: impl Write) -> Result<u64> {
        const PAGE: isize = 1000;
        let mut written = 0;
        let mut start = 0;
        loop {
            let (key, from) = (self.keys.records.clone(), start);
            let lines: Vec<String> = self
                .retrying(move |mut connection| {
                    let key = key.clone();
                    async move {
                        redis::cmd("LRANGE")
                            .arg(&key)
                            .arg(from)
                            .arg(from + PAGE - 1)
                            .query_async(&mut connection)
                            .await
                    }
                })
                .await?;
            for line in &lines {
                out.write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(|e| Error::store(format!("writing the export failed: {e}")))?;
                written += 1;
            }
            if (lines.len() as isize) < PAGE {
                break;
            }
            start += PAGE;
        }
        out.flush()
            .map_err(|e| Error::store(format!("writing the export failed: {e}")))?;
        Ok(written)
    }

    /// The task that renews this worker's leases every third of the lease
    /// time until every handle on the store is dropped; `None` once started.
    fn start_renewing(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        if self.renewing.swap(true, Ordering::AcqRel) {
            return None;
        }
        let held: Weak<Held> = Arc::downgrade(&self.held);
        let (mut connection, keys, lease) = (self.connection.clone(), self.keys.clone(), self.lease);
        let script = script(RENEW);
        Some(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let Some(held) = held.upgrade() else { return };
                let mut invocation = script.prepare_invoke();
                invocation.key(&keys.leases).arg(lease.as_millis() as u64);
                let pages: Vec<String> = held.pages().iter().cloned().collect();
                invocation.arg(pages.len()).arg(pages);
                for (host, tokens) in held.slots().iter().filter(|(_, tokens)| !tokens.is_empty()) {
                    invocation.key(format!("{}host:{host}:slots", keys.prefix));
                    invocation.arg(tokens.len()).arg(tokens.as_slice());
                }
                drop(held);
                // A failure is retried at the next turn; the crawl's own
                // steps report an unreachable Redis.
                let _ = invocation.invoke_async::<i64>(&mut connection).await;
            }
        })
    }

    /// Runs `step` on the connection, retrying with backoff (100 ms
    /// doubling, up to 2 s apart) while Redis is unreachable, for the
    /// retry budget.
    fn retrying<T, F, Fut>(&self, step: F) -> BoxFuture<'static, Result<T>>
    where
        T: Send + 'static,
        F: Fn(ConnectionManager) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = redis::RedisResult<T>> + Send,
    {
        let connection = self.connection.clone();
        let budget = self.retry_budget;
        Box::pin(async move {
            let started = tokio::time::Instant::now();
            let mut wait = Duration::from_millis(100);
            loop {
                match step(connection.clone()).await {
                    Ok(value) => return Ok(value),
                    Err(e) if retryable(&e) && started.elapsed() + wait <= budget => {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(2));
                    }
                    Err(e) => return Err(Error::store(format!("Redis: {e}"))),
                }
            }
        })
    }

    /// Runs the Lua `source` with `keys` and `args`, retrying.
    fn run<T>(&self, source: &'static str, keys: Vec<String>, args: Vec<Vec<u8>>) -> BoxFuture<'static, Result<T>>
    where
        T: redis::FromRedisValue + Send + 'static,
    {
        let script = Arc::new(script(source));
        self.retrying(move |mut connection| {
            let (script, keys, args) = (script.clone(), keys.clone(), args.clone());
            async move {
                let mut invocation = script.prepare_invoke();
                for key in &keys {
                    invocation.key(key);
                }
                for arg in &args {
                    invocation.arg(arg.as_slice());
                }
                invocation.invoke_async(&mut connection).await
            }
        })
    }
}

/// Whether `e` may pass once Redis is back (a lost or refused connection).
fn retryable(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

/// `url` without its password.
fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("REDACTED"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A stored robots.txt as kept in Redis: when (8 bytes, little-endian ms),
/// how (`r`ules, `u`navailable, unreac`h`able), then the file.
fn robots_to_bytes(robots: &StoredRobots) -> Vec<u8> {
    let mut bytes = robots.fetched_at_ms.to_le_bytes().to_vec();
    match &robots.outcome {
        RobotsOutcome::Rules(body) => {
            bytes.push(b'r');
            bytes.extend_from_slice(body);
        }
        RobotsOutcome::Unavailable => bytes.push(b'u'),
        RobotsOutcome::Unreachable => bytes.push(b'h'),
    }
    bytes
}

fn robots_from_bytes(bytes: &[u8]) -> Option<StoredRobots> {
    let (when, rest) = bytes.split_first_chunk::<8>()?;
    let (kind, body) = rest.split_first()?;
    let outcome = match kind {
        b'r' => RobotsOutcome::Rules(body.to_vec()),
        b'u' => RobotsOutcome::Unavailable,
        b'h' => RobotsOutcome::Unreachable,
        _ => return None,
    };
    Some(StoredRobots {
        outcome,
        fetched_at_ms: u64::from_le_bytes(*when),
    })
}

/// `job` as the three script arguments fp, url, depth.
fn job_args(args: &mut Vec<Vec<u8>>, job: &Job) {
    args.push(stable_fingerprint(&job.url).to_le_bytes().to_vec());
    args.push(job.url.as_str().as_bytes().to_vec());
    args.push(job.depth.to_string().into_bytes());
}

impl CrawlStore for RedisStore {
    fn add(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<u64>> {
        let k = &self.keys;
        let mut args = Vec::with_capacity(jobs.len() * 3);
        for job in &jobs {
            job_args(&mut args, job);
        }
        self.run(ADD, vec![k.seen.clone(), k.queue.clone(), k.seq.clone()], args)
    }

    fn take(&self, max: usize) -> BoxFuture<'static, Result<Taken>> {
        let k = &self.keys;
        let keys = vec![
            k.queue.clone(),
            k.leases.clone(),
            k.leased.clone(),
            k.seq.clone(),
            k.workers.clone(),
        ];
        let args = vec![
            max.min(100_000).to_string().into_bytes(),
            self.lease.as_millis().to_string().into_bytes(),
            self.worker.as_bytes().to_vec(),
        ];
        let taking = self.run::<Vec<redis::Value>>(TAKE, keys, args);
        let (held, renewal) = (self.held.clone(), self.start_renewing());
        Box::pin(async move {
            if let Some(renewal) = renewal {
                tokio::spawn(renewal);
            }
            let values = taking.await?;
            let number = |value: &redis::Value| redis::from_redis_value::<u64>(value.clone()).unwrap_or_default();
            let queued = values.first().map(number).unwrap_or_default();
            let mut jobs = Vec::new();
            for pair in values.get(1..).unwrap_or_default().chunks(2) {
                let [url, depth] = pair else { continue };
                let url: String = redis::from_redis_value(url.clone()).unwrap_or_default();
                if let Ok(url) = Url::parse(&url) {
                    jobs.push(Job {
                        url,
                        depth: number(depth) as u32,
                    });
                }
            }
            held.pages().extend(jobs.iter().map(|job| job.url.as_str().to_owned()));
            Ok(Taken { jobs, queued })
        })
    }

    fn finish(&self, pages: Vec<Finished>) -> BoxFuture<'static, Result<Recorded>> {
        let k = &self.keys;
        let keys = vec![
            k.seen.clone(),
            k.queue.clone(),
            k.seq.clone(),
            k.leases.clone(),
            k.leased.clone(),
            k.records.clone(),
            k.done.clone(),
        ];
        let mut args = Vec::new();
        for page in &pages {
            args.push(stable_fingerprint(&page.job.url).to_le_bytes().to_vec());
            args.push(page.job.url.as_str().as_bytes().to_vec());
            args.push(
                page.record
                    .as_ref()
                    .and_then(|record| serde_json::to_vec(record).ok())
                    .unwrap_or_default(),
            );
            args.push(
                page.redirected_to
                    .as_ref()
                    .map(|url| stable_fingerprint(url).to_le_bytes().to_vec())
                    .unwrap_or_default(),
            );
            args.push(page.found.len().to_string().into_bytes());
            for job in &page.found {
                job_args(&mut args, job);
            }
        }
        let finishing = self.run::<Vec<u64>>(FINISH, keys, args);
        let held = self.held.clone();
        Box::pin(async move {
            let answer = finishing.await?;
            held.release(pages.iter().map(|page| &page.job.url));
            let (new_links, flags) = answer.split_first().map_or((0, &[][..]), |(new, flags)| (*new, flags));
            let kept = flags.iter().map(|flag| *flag == 1);
            let records = pages
                .into_iter()
                .zip(kept)
                .filter_map(|(page, kept)| page.record.filter(|_| kept))
                .collect();
            Ok(Recorded { new_links, records })
        })
    }

    fn give_back(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<()>> {
        let k = &self.keys;
        let keys = vec![k.queue.clone(), k.leases.clone(), k.leased.clone(), k.seq.clone()];
        let mut args = Vec::new();
        for job in &jobs {
            args.push(job.url.as_str().as_bytes().to_vec());
            args.push(job.depth.to_string().into_bytes());
        }
        let giving = self.run::<i64>(GIVE_BACK, keys, args);
        let held = self.held.clone();
        Box::pin(async move {
            giving.await?;
            held.release(jobs.iter().map(|job| &job.url));
            Ok(())
        })
    }

    fn counts(&self) -> BoxFuture<'static, Result<Counts>> {
        let k = &self.keys;
        let keys = vec![
            k.queue.clone(),
            k.leases.clone(),
            k.leased.clone(),
            k.seq.clone(),
            k.workers.clone(),
            k.seen.clone(),
            k.done.clone(),
        ];
        let args = vec![self.worker.as_bytes().to_vec(), ACTIVE_MS.to_string().into_bytes()];
        let counting = self.run::<(u64, u64, u64, u64, u64)>(COUNTS, keys, args);
        Box::pin(async move {
            let (queued, leased, done, seen, workers) = counting.await?;
            Ok(Counts {
                queued,
                leased,
                done,
                seen,
                workers,
            })
        })
    }

    fn robots(&self, host: &str) -> BoxFuture<'static, Result<Option<StoredRobots>>> {
        let (key, host) = (self.keys.robots.clone(), host.to_owned());
        let reading = self.retrying(move |mut connection| {
            let (key, host) = (key.clone(), host.clone());
            async move {
                redis::cmd("HGET")
                    .arg(&key)
                    .arg(&host)
                    .query_async::<Option<Vec<u8>>>(&mut connection)
                    .await
            }
        });
        Box::pin(async move { Ok(reading.await?.and_then(|bytes| robots_from_bytes(&bytes))) })
    }

    fn save_robots(&self, host: &str, robots: StoredRobots) -> BoxFuture<'static, Result<()>> {
        let (key, host) = (self.keys.robots.clone(), host.to_owned());
        let json = robots_to_bytes(&robots);
        self.retrying(move |mut connection| {
            let (key, host, json) = (key.clone(), host.clone(), json.clone());
            async move {
                redis::cmd("HSET")
                    .arg(&key)
                    .arg(&host)
                    .arg(json)
                    .query_async::<()>(&mut connection)
                    .await
            }
        })
    }

    fn host_slot(&self, host: &str, per_host: usize, delay: Duration) -> Option<BoxFuture<'static, Result<HostSlot>>> {
        let token = format!("{}:{}", self.worker, self.tokens.fetch_add(1, Ordering::Relaxed));
        let prefix = format!("{}host:{host}:", self.keys.prefix);
        let keys = vec![format!("{prefix}slots"), format!("{prefix}next")];
        let args = vec![
            per_host.to_string().into_bytes(),
            delay.as_millis().to_string().into_bytes(),
            token.clone().into_bytes(),
            self.lease.as_millis().to_string().into_bytes(),
        ];
        let asking = self.run::<i64>(HOST_SLOT, keys, args);
        let (held, host) = (self.held.clone(), host.to_owned());
        Some(Box::pin(async move {
            let wait = asking.await?;
            let Ok(wait) = u64::try_from(wait) else {
                return Ok(HostSlot::Retry(HOST_FULL_RETRY));
            };
            held.slots().entry(host).or_default().push(token);
            Ok(HostSlot::Start(Duration::from_millis(wait)))
        }))
    }

    fn host_done(&self, host: &str) -> Option<BoxFuture<'static, Result<()>>> {
        let token = self.held.slots().get_mut(host).and_then(Vec::pop)?;
        let key = format!("{}host:{host}:slots", self.keys.prefix);
        Some(self.retrying(move |mut connection| {
            let (key, token) = (key.clone(), token.clone());
            async move {
                redis::cmd("ZREM")
                    .arg(&key)
                    .arg(&token)
                    .query_async::<()>(&mut connection)
                    .await
            }
        }))
    }
}
