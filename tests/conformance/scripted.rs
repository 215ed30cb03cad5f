//! The exchange's rules in combination (timeouts × retries × redirects ×
//! cookies × limits), on a scripted transport and a manual clock: no
//! network, no real time, so every wait is asserted to the millisecond and
//! a hang is reported as one. They run on every runtime like the others.

use std::time::Duration;

use unifetch::redirect::Redirect;
use unifetch::testing::{ManualClock, Reply, ScriptedTransport, SeenRequest};
use unifetch::{Error, Limits, Method, Phase, Retry, Session, SessionBuilder, Timeout, TimeoutKind};

use super::{Failure, Outcome, Site};

const SECOND: Duration = Duration::from_secs(1);

/// A clock, a transport playing `replies` on it, and a session over both
/// with `configure` applied (defaults otherwise: retries, redirects,
/// cookies, limits all on).
struct Rig {
    clock: ManualClock,
    transport: ScriptedTransport,
    session: Session,
}

fn rig(
    replies: impl IntoIterator<Item = Reply>,
    configure: impl FnOnce(SessionBuilder) -> SessionBuilder,
) -> Result<Rig, Failure> {
    let clock = ManualClock::new();
    let transport = replies
        .into_iter()
        .fold(ScriptedTransport::new(&clock), ScriptedTransport::reply);
    let builder = Session::builder().transport(transport.clone()).timer(clock.clone());
    let session = configure(builder).build()?;
    Ok(Rig {
        clock,
        transport,
        session,
    })
}

impl Rig {
    /// Runs `future` on the clock; a hang is a failure.
    fn run<T>(&self, future: impl std::future::Future<Output = T>) -> Result<T, Failure> {
        self.clock.run(future).map_err(|stalled| Failure(stalled.to_string()))
    }

    /// GET `url`, its body read as text.
    fn get_text(&self, url: &str) -> Result<Result<String, Error>, Failure> {
        self.run(async { self.session.get(url).send().await?.text().await })
    }

    fn seen(&self) -> Vec<SeenRequest> {
        self.transport.requests()
    }

    fn times(&self) -> Vec<Duration> {
        self.seen().iter().map(|request| request.at).collect()
    }
}

fn quick_retry() -> Retry {
    Retry::default().base_delay(SECOND).jitter(false).max_attempts(4)
}

fn refused() -> Reply {
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    Reply::fail(Error::transport(Phase::Connect, refused))
}

fn expect_timeout(error: &Error, kind: TimeoutKind, phase: Phase) -> Outcome {
    ensure!(
        error.timeout_kind() == Some(kind) && error.phase() == Some(phase),
        "expected a {} timeout in phase {phase}, got {error:#} ({:?}, {:?})",
        kind.as_str(),
        error.timeout_kind(),
        error.phase()
    );
    Ok(())
}

/// Backoff doubles from the base delay; a `Retry-After` of seconds replaces it.
pub async fn scripted_retries_wait_their_backoff_and_retry_after(_: &Site) -> Outcome {
    let rig = rig(
        [
            Reply::status(502),
            Reply::status(503).header("Retry-After", "4"),
            Reply::status(502),
            Reply::status(200).body("fine"),
        ],
        |b| b.retry(quick_retry()),
    )?;
    let text = rig.get_text("http://a.test/")??;
    ensure!(text == "fine", "{text}");
    let times = rig.times();
    let expected = [0, 1, 5, 9].map(|s| s * SECOND);
    ensure!(times == expected, "attempts at {times:?}, expected {expected:?}");
    Ok(())
}

/// A `Retry-After` date is read against the session's clock.
pub async fn scripted_retry_after_dates_use_the_wall_clock(_: &Site) -> Outcome {
    // The manual clock's calendar starts at 2026-01-01T00:00:00Z.
    let rig = rig(
        [
            Reply::status(429).header("Retry-After", "Thu, 01 Jan 2026 00:00:07 GMT"),
            Reply::status(200),
        ],
        |b| b.retry(quick_retry()),
    )?;
    rig.get_text("http://a.test/")??;
    ensure!(rig.times() == [Duration::ZERO, 7 * SECOND], "{:?}", rig.times());
    Ok(())
}

/// The retry budget stops a wait that would end past it.
pub async fn scripted_the_retry_budget_stops_the_retries(_: &Site) -> Outcome {
    let rig = rig(
        [
            Reply::status(502),
            Reply::status(502),
            Reply::status(502),
            Reply::status(200),
        ],
        |b| b.retry(quick_retry().budget(2 * SECOND)),
    )?;
    let status = rig.run(async { rig.session.get("http://a.test/").send().await.map(|r| r.status()) })??;
    ensure!(status == 502, "the last answer is returned: {status}");
    // Waits: 1 s (spent 1 s), then 2 s more would end at 3 s > 2 s.
    ensure!(rig.times() == [Duration::ZERO, SECOND], "{:?}", rig.times());
    ensure!(rig.transport.replies_left() == 2, "two replies never asked for");
    Ok(())
}

/// `total` covers every attempt and the waits between them.
pub async fn scripted_total_covers_attempts_and_backoff(_: &Site) -> Outcome {
    let rig = rig([refused(), refused(), refused(), refused()], |b| {
        b.retry(quick_retry().base_delay(3 * SECOND))
            .timeout(Timeout::total(10 * SECOND))
    })?;
    let error = rig
        .get_text("http://a.test/")?
        .err()
        .ok_or(Failure("no error".into()))?;
    ensure!(error.timeout_kind() == Some(TimeoutKind::Total), "{error:#}");
    ensure!(rig.clock.elapsed() == 10 * SECOND, "ended at {:?}", rig.clock.elapsed());
    ensure!(rig.times() == [0, 3, 9].map(|s| s * SECOND), "{:?}", rig.times());
    ensure!(
        error.previous_attempts().len() == 3,
        "the failed attempts are kept: {}",
        error.previous_attempts().len()
    );
    Ok(())
}

/// `sock_read` ends a wait for the head, and a silence between two chunks.
pub async fn scripted_sock_read_ends_a_stalled_head_and_a_stalled_body(_: &Site) -> Outcome {
    let timeout = Timeout {
        sock_read: Some(2 * SECOND),
        ..Timeout::NONE
    };
    let rig = rig([Reply::stall(), Reply::status(200).body("abc").then_stall()], |b| {
        b.retry(Retry::none()).timeout(timeout)
    })?;
    let head = rig
        .get_text("http://a.test/head")?
        .err()
        .ok_or(Failure("no error".into()))?;
    expect_timeout(&head, TimeoutKind::SockRead, Phase::Headers)?;
    ensure!(rig.clock.elapsed() == 2 * SECOND, "{:?}", rig.clock.elapsed());
    let body = rig
        .get_text("http://a.test/body")?
        .err()
        .ok_or(Failure("no error".into()))?;
    expect_timeout(&body, TimeoutKind::SockRead, Phase::Body)?;
    ensure!(rig.clock.elapsed() == 4 * SECOND, "{:?}", rig.clock.elapsed());
    Ok(())
}

/// A slow drip stays under `sock_read` but not under `total`; the bytes
/// read so far never pass for the whole body.
pub async fn scripted_a_slow_drip_breaks_total_not_sock_read(_: &Site) -> Outcome {
    let drip = (0..20).fold(Reply::status(200), |reply, _| reply.wait(SECOND).body("."));
    let timeout = Timeout {
        total: Some(5 * SECOND + SECOND / 2),
        sock_read: Some(2 * SECOND),
        ..Timeout::NONE
    };
    let rig = rig([drip], |b| b.retry(Retry::none()).timeout(timeout))?;
    let error = rig
        .get_text("http://a.test/")?
        .err()
        .ok_or(Failure("a short body passed".into()))?;
    expect_timeout(&error, TimeoutKind::Total, Phase::Body)?;
    ensure!(
        rig.clock.elapsed() == 5 * SECOND + SECOND / 2,
        "{:?}",
        rig.clock.elapsed()
    );
    Ok(())
}

/// A connection that takes too long fails in `sock_connect`, is retried,
/// and the next one within budget succeeds.
pub async fn scripted_a_slow_connect_times_out_and_is_retried(_: &Site) -> Outcome {
    let timeout = Timeout {
        sock_connect: Some(3 * SECOND),
        ..Timeout::NONE
    };
    let rig = rig(
        [
            Reply::status(200).connect_takes(10 * SECOND),
            Reply::status(200).connect_takes(SECOND).body("in"),
        ],
        |b| b.retry(quick_retry()).timeout(timeout),
    )?;
    let text = rig.get_text("http://a.test/")??;
    ensure!(text == "in", "{text}");
    // 3 s to time out, 1 s of backoff, 1 s to connect.
    ensure!(rig.clock.elapsed() == 5 * SECOND, "{:?}", rig.clock.elapsed());
    Ok(())
}

fn closed_while_idle() -> Reply {
    let closed = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    Reply::fail(Error::closed_while_idle(closed))
}

/// A request that met a kept-alive connection the server had closed goes
/// out again at once (no backoff, retries off) when it is idempotent with a
/// body in memory, up to three times; a POST does not.
pub async fn scripted_a_closed_kept_alive_connection_is_not_an_attempt(_: &Site) -> Outcome {
    let closed_four_times = std::iter::repeat_with(closed_while_idle).take(4);
    let replies = [
        closed_while_idle(),
        Reply::status(200).body("again"),
        closed_while_idle(),
    ]
    .into_iter()
    .chain(closed_four_times);
    let rig = rig(replies, |b| b.retry(Retry::none()))?;
    let text = rig.get_text("http://a.test/")??;
    ensure!(text == "again", "{text}");
    ensure!(rig.times() == [Duration::ZERO; 2], "{:?}", rig.times());

    let posted = rig.run(async { rig.session.post("http://a.test/").body("x").send().await.map(drop) })?;
    let error = posted.err().ok_or(Failure("a POST was answered".into()))?;
    ensure!(error.is_request() && error.phase() == Some(Phase::Headers), "{error:#}");
    ensure!(rig.seen().len() == 3, "the POST went {} times", rig.seen().len() - 2);

    let error = rig
        .get_text("http://a.test/")?
        .err()
        .ok_or(Failure("answered".into()))?;
    ensure!(error.is_request(), "{error:#}");
    ensure!(rig.seen().len() == 7, "{} sends, not 1 + 3", rig.seen().len() - 3);
    ensure!(
        rig.transport.replies_left() == 0,
        "{} replies left",
        rig.transport.replies_left()
    );
    Ok(())
}

/// `connect` counts the wait for a slot under the per-host limit: the
/// second request waits behind a body that never ends, and times out in
/// the pool phase without being sent.
pub async fn scripted_connect_counts_the_wait_for_a_slot(_: &Site) -> Outcome {
    let timeout = Timeout {
        connect: Some(2 * SECOND),
        ..Timeout::NONE
    };
    let rig = rig([Reply::status(200).body("held").then_stall()], |b| {
        b.retry(Retry::none())
            .timeout(timeout)
            .limits(Limits::default().limit_per_host(1))
    })?;
    let error = rig.run(async {
        let holding = rig.session.get("http://a.test/1").send().await?;
        let waiting = rig.session.get("http://a.test/2").send().await;
        drop(holding);
        waiting.map(drop)
    })?;
    let error = error.err().ok_or(Failure("the second request got a slot".into()))?;
    expect_timeout(&error, TimeoutKind::Connect, Phase::Pool)?;
    ensure!(rig.seen().len() == 1, "the second request was sent");
    ensure!(rig.clock.elapsed() == 2 * SECOND, "{:?}", rig.clock.elapsed());
    Ok(())
}

/// A redirect chain a.test → b.test → a.test, started with a bearer token.
fn there_and_back(set_cookie: bool) -> Result<(Rig, Vec<SeenRequest>), Failure> {
    let first = Reply::status(302).header("Location", "http://b.test/step");
    let first = if set_cookie {
        first.header("Set-Cookie", "a_session=1; Path=/")
    } else {
        first
    };
    let rig = rig(
        [
            first,
            Reply::status(302).header("Location", "http://a.test/end"),
            Reply::status(200).body("end"),
        ],
        |b| b.cookie_store(set_cookie),
    )?;
    let text = rig.run(async {
        let response = rig
            .session
            .get("http://a.test/start")
            .bearer_auth("s3cret")
            .send()
            .await?;
        response.text().await
    })??;
    ensure!(text == "end", "{text}");
    let seen = rig.seen();
    ensure!(seen.len() == 3, "{} requests", seen.len());
    Ok((rig, seen))
}

/// Across a redirect to another origin `Authorization` stays behind, and
/// does not come back with a redirect home.
pub async fn scripted_redirects_drop_credentials_across_origins(_: &Site) -> Outcome {
    let (_, seen) = there_and_back(false)?;
    ensure!(
        seen[0].header("authorization") == Some("Bearer s3cret"),
        "{:?}",
        seen[0].headers
    );
    ensure!(
        seen[1].header("authorization").is_none(),
        "the other origin got {:?}",
        seen[1].headers
    );
    ensure!(seen[2].header("authorization").is_none(), "credentials came back");
    Ok(())
}

/// A cookie set during a redirect goes only to its origin: not to the
/// next hop elsewhere, and again once the chain comes back.
pub async fn scripted_redirects_carry_cookies_per_origin(_: &Site) -> Outcome {
    let (_, seen) = there_and_back(true)?;
    ensure!(
        seen[1].header("cookie").is_none(),
        "the other origin got {:?}",
        seen[1].headers
    );
    ensure!(
        seen[2].header("cookie") == Some("a_session=1"),
        "back home: {:?}",
        seen[2].headers
    );
    Ok(())
}

/// 307 resends the method and body; 303 turns them into a GET with none.
pub async fn scripted_redirects_keep_or_drop_the_body_by_status(_: &Site) -> Outcome {
    let rig = rig(
        [
            Reply::status(307).header("Location", "/second"),
            Reply::status(303).header("Location", "/third"),
            Reply::status(200),
        ],
        |b| b,
    )?;
    rig.run(async { rig.session.post("http://a.test/first").body("payload").send().await })??;
    let seen = rig.seen();
    let summary: Vec<(Method, Option<&[u8]>)> = seen
        .iter()
        .map(|request| {
            let body = request.body.as_deref().filter(|body| !body.is_empty());
            (request.method.clone(), body)
        })
        .collect();
    ensure!(
        summary
            == [
                (Method::POST, Some(&b"payload"[..])),
                (Method::POST, Some(&b"payload"[..])),
                (Method::GET, None),
            ],
        "{summary:?}"
    );
    ensure!(seen[2].header("content-length").is_none(), "{:?}", seen[2].headers);
    Ok(())
}

/// A failure after a redirect is retried, and the retry starts over at
/// the URL the request was made for.
pub async fn scripted_a_retry_after_a_redirect(_: &Site) -> Outcome {
    let rig = rig(
        [
            Reply::status(301).header("Location", "/moved"),
            Reply::status(503),
            Reply::status(301).header("Location", "/moved"),
            Reply::status(200).body("here"),
        ],
        |b| b.retry(quick_retry()),
    )?;
    let text = rig.get_text("http://a.test/old")??;
    ensure!(text == "here", "{text}");
    let urls: Vec<String> = rig.seen().into_iter().map(|request| request.url).collect();
    let expected = [
        "http://a.test/old",
        "http://a.test/moved",
        "http://a.test/old",
        "http://a.test/moved",
    ];
    ensure!(urls == expected, "{urls:?}");
    Ok(())
}

/// A redirect chain ends at the policy's limit, and a loop as soon as it
/// comes back to a URL it visited: at once, with a redirect error.
pub async fn scripted_redirect_chains_end_at_the_limit_and_loops_at_once(_: &Site) -> Outcome {
    let chain = (1..10).map(|n| Reply::status(302).header("Location", &format!("/{n}")));
    let rig = rig(chain, |b| b.redirect(Redirect::limited(5)))?;
    let error = rig
        .get_text("http://a.test/0")?
        .err()
        .ok_or(Failure("no error".into()))?;
    ensure!(error.is_redirect(), "{error:#}");
    ensure!(rig.seen().len() == 6, "{} requests for 5 redirects", rig.seen().len());

    let rig = rig_loop()?;
    let error = rig
        .get_text("http://a.test/a")?
        .err()
        .ok_or(Failure("no error".into()))?;
    ensure!(error.is_redirect(), "{error:#}");
    let urls: Vec<String> = rig.seen().into_iter().map(|request| request.url).collect();
    ensure!(urls == ["http://a.test/a", "http://a.test/b"], "{urls:?}");
    ensure!(rig.clock.elapsed() == Duration::ZERO, "{:?}", rig.clock.elapsed());
    Ok(())
}

/// a → b → a → b …
fn rig_loop() -> Result<Rig, Failure> {
    let hops = ["/b", "/a", "/b", "/a"].map(|to| Reply::status(302).header("Location", to));
    rig(hops, |b| b)
}

/// A body cut by a reset, or longer than the session's limit, is an
/// error, never a short success; neither is retried once the head came.
pub async fn scripted_cut_and_oversized_bodies_are_errors(_: &Site) -> Outcome {
    let rig = rig(
        [
            Reply::status(200).body("part").reset(),
            Reply::status(200).body("0123456789").body("0123456789"),
        ],
        |b| b.retry(quick_retry()).max_body_size(15),
    )?;
    let cut = rig
        .get_text("http://a.test/cut")?
        .err()
        .ok_or(Failure("a cut body passed".into()))?;
    ensure!(cut.is_body() && cut.phase() == Some(Phase::Body), "{cut:#}");
    let big = rig
        .get_text("http://a.test/big")?
        .err()
        .ok_or(Failure("an oversized body passed".into()))?;
    ensure!(big.is_body(), "{big:#}");
    ensure!(rig.seen().len() == 2, "{} requests", rig.seen().len());
    Ok(())
}
