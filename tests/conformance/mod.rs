//! Conformance scenarios: written once against unifetch's public API, run
//! by one harness per runtime (native tokio, Node, Chromium, WASI).
//!
//! Each scenario is an `async fn(&Site) -> Outcome` with no `cfg` inside.
//! A harness that cannot run a scenario skips it and prints why; the list of
//! scenarios is [`all_scenarios!`], so no harness can forget one.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use futures_util::StreamExt;
use serde::Deserialize;
use unifetch::crawl::PageRecord;
use unifetch::Session;

/// Where the test site is.
#[derive(Debug, Clone)]
pub struct Site {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The same server under another host name (`http://localhost:PORT`).
    pub other_host: String,
    /// A URL on 127.0.0.1 where nothing listens.
    pub closed: String,
}

impl Site {
    /// A site whose other names are derived from its base URL and a closed port.
    pub fn new(base: &str, closed_port: u16) -> Site {
        let base = base.trim_end_matches('/').to_owned();
        Site {
            other_host: base.replace("127.0.0.1", "localhost"),
            closed: format!("http://127.0.0.1:{closed_port}/get"),
            base,
        }
    }

    fn session(&self) -> Result<Session, Failure> {
        Ok(Session::builder().base_url(&self.base)?.build()?)
    }

    /// A key unique to this run, for `?track=` counters.
    fn track_key(&self, scenario: &str) -> String {
        let nanos = web_time::SystemTime::now()
            .duration_since(web_time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("{scenario}-{nanos}")
    }

    async fn stats(&self, key: &str) -> Result<TrackStats, Failure> {
        let session = self.session()?;
        Ok(session
            .get(format!("/track/{key}"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }
}

/// The server's counters for one key (see the site's `/track/{key}`).
#[derive(Debug, Deserialize)]
pub struct TrackStats {
    pub requests: u64,
    pub max_in_flight: u64,
    pub hosts: BTreeMap<String, HostStats>,
    pub paths: BTreeMap<String, u64>,
    pub arrivals_ms: Vec<u64>,
}

#[derive(Debug, Deserialize)]
pub struct HostStats {
    pub requests: u64,
    pub max_in_flight: u64,
}

/// Why a scenario failed.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(error: E) -> Failure {
        let mut text = error.to_string();
        let mut cause = error.source();
        while let Some(inner) = cause {
            text.push_str(&format!(": {inner}"));
            cause = inner.source();
        }
        Failure(text)
    }
}

/// What a scenario returns.
pub type Outcome = Result<(), Failure>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(crate::conformance::Failure(format!("{}:{}: {}", file!(), line!(), format!($($msg)+))));
        }
    };
}

mod cookies;
mod crawl;
mod encodings;
mod hooks;
mod limits;
mod redirects;
mod requests;
mod retries;
mod scripted;
mod timeouts;

// Each harness names scenarios as `conformance::name`; a test binary that
// runs only some of them leaves the other re-exports unused.
#[allow(unused_imports)]
pub use self::{
    cookies::*, crawl::*, encodings::*, hooks::*, limits::*, redirects::*, requests::*, retries::*, scripted::*,
    timeouts::*,
};

/// Calls `$harness!(name, name, …)` with every scenario of this module.
#[macro_export]
macro_rules! all_scenarios {
    ($harness:ident) => {
        $harness!(
            concurrent_requests_overlap,
            credentials_never_show_in_debug,
            query_params_are_percent_encoded,
            every_method_is_sent_with_its_body,
            form_and_json_bodies,
            multipart_bodies_are_sent,
            response_head_text_bytes_and_json,
            user_agent_is_replaced,
            text_follows_the_charset,
            error_for_status_flags_4xx_and_5xx,
            total_timeout_stops_a_slow_head,
            total_timeout_covers_the_body,
            sock_read_timeout_on_a_stalled_head,
            sock_read_timeout_on_a_stalled_body,
            sock_read_allows_a_slow_steady_body,
            per_request_timeout_overrides_the_session,
            limit_caps_requests_in_flight,
            limit_per_host_caps_each_host,
            large_body_streams_in_chunks,
            connection_refused_is_a_connect_error,
            malformed_input_is_a_builder_error,
            broken_bodies_are_body_errors,
            broken_http_is_an_error_never_a_short_success,
            invalid_json_is_a_decode_error,
            redirects_are_followed,
            novel_catalog_then_chapters,
            many_gets_in_a_row,
            dropping_a_response_frees_its_slot,
            streamed_request_body_is_sent,
            crawler_covers_the_demo_site,
            crawler_follows_the_novel_catalog,
            retries_recover_from_transient_failures,
            retries_stop_at_the_attempt_limit,
            only_idempotent_methods_are_retried,
            retry_after_sets_the_wait,
            a_streamed_body_is_never_retried,
            failed_attempts_are_kept_in_the_error,
            total_timeout_covers_all_attempts,
            redirects_follow_the_method_rules,
            credentials_stay_on_their_origin,
            redirect_history_lists_the_hops,
            redirect_policy_limits_and_loops,
            redirect_none_never_follows,
            custom_redirect_policy_decides,
            the_cookie_jar_keeps_cookies,
            per_request_cookies_are_sent,
            basic_and_bearer_auth,
            compressed_bodies_are_decoded,
            zstd_bodies_are_decoded,
            decompression_can_be_turned_off,
            body_size_is_limited,
            hooks_run_in_order_and_may_change_the_request,
            a_before_request_hook_may_answer,
            after_response_comes_before_the_retry_policy,
            before_retry_may_stop_the_retries,
            before_error_sees_the_final_error,
            a_buffered_response_frees_its_slot,
            a_failing_hook_ends_the_exchange,
            scripted_retries_wait_their_backoff_and_retry_after,
            scripted_retry_after_dates_use_the_wall_clock,
            scripted_the_retry_budget_stops_the_retries,
            scripted_total_covers_attempts_and_backoff,
            scripted_sock_read_ends_a_stalled_head_and_a_stalled_body,
            scripted_a_slow_drip_breaks_total_not_sock_read,
            scripted_a_slow_connect_times_out_and_is_retried,
            scripted_a_closed_kept_alive_connection_is_not_an_attempt,
            scripted_connect_counts_the_wait_for_a_slot,
            scripted_redirects_drop_credentials_across_origins,
            scripted_redirects_carry_cookies_per_origin,
            scripted_redirects_keep_or_drop_the_body_by_status,
            scripted_a_retry_after_a_redirect,
            scripted_redirect_chains_end_at_the_limit_and_loops_at_once,
            scripted_cut_and_oversized_bodies_are_errors,
        );
    };
}

/// Every record of a crawl, in the order they came.
pub async fn collect(mut crawl: unifetch::crawl::Crawl) -> (Vec<PageRecord>, unifetch::crawl::Summary) {
    let mut records = Vec::new();
    while let Some(record) = crawl.next().await {
        records.push(record);
    }
    (records, crawl.summary())
}

/// What a crawl of a demo site should fetch (the site's `sitemap.json`).
#[derive(Debug, Deserialize)]
pub struct Sitemap {
    pub fetched: Vec<SitemapEntry>,
    pub disallowed: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SitemapEntry {
    pub url: String,
    pub depth: u32,
    pub status: u16,
}

impl Site {
    /// A session whose requests are all counted under `key` by the server.
    pub fn tracked_session(&self, key: &str) -> Result<Session, Failure> {
        Ok(Session::builder()
            .base_url(&self.base)?
            .header("X-Track", key)
            .build()?)
    }

    /// A plain session on the site.
    pub fn session_for_tests(&self) -> Session {
        self.session().expect("a session on the test site")
    }

    pub async fn sitemap(&self, spec: &str) -> Result<Sitemap, Failure> {
        let session = self.session()?;
        Ok(session
            .get(format!("/web/{spec}/sitemap.json"))
            .send()
            .await?
            .json()
            .await?)
    }
}
