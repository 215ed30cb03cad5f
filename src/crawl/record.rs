//! What a crawl produces: one [`PageRecord`] per fetched page, a [`Page`]
//! for callbacks, and a running [`Summary`].

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::{Error, Result};

/// One fetched page (or a failed attempt to fetch it), as it comes out of
/// the crawl. Serializes to one JSON object (a JSONL line).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageRecord {
    /// The URL that was requested.
    pub url: Url,
    /// Where the response came from after redirects.
    pub final_url: Url,
    /// The HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// Links followed from the seeds to reach this page (seeds are 0).
    pub depth: u32,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// Body bytes read.
    pub bytes: u64,
    /// From sending the request to the end of the body, in milliseconds.
    pub elapsed_ms: f64,
    /// The `<title>` of an HTML page.
    pub title: Option<String>,
    /// Links found in an HTML page (absolute, in document order).
    pub links: Vec<Url>,
    /// The kind of error (`"status"`, `"timeout"`, `"connect"`, `"body"`,
    /// `"too_large"`, …) when the page failed.
    pub error: Option<String>,
    /// What went wrong, in words.
    pub error_message: Option<String>,
}

impl PageRecord {
    /// A record of `url` at `depth`, fetched from `final_url` in `elapsed`,
    /// with nothing else known yet.
    pub(crate) fn new(url: Url, final_url: Url, depth: u32, elapsed: Duration) -> PageRecord {
        PageRecord {
            url,
            final_url,
            status: None,
            depth,
            content_type: None,
            bytes: 0,
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
            title: None,
            links: Vec::new(),
            error: None,
            error_message: None,
        }
    }

    /// This record, marked failed with an error kind and a message.
    pub(crate) fn failed(mut self, kind: &str, message: String) -> PageRecord {
        self.error = Some(kind.to_owned());
        self.error_message = Some(message);
        self
    }

    /// True when the page was fetched with a 2xx or 3xx status.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// A fetched page as shown to a [`Crawler::on_page`](super::Crawler::on_page)
/// callback: everything needed to decide what to fetch next.
#[derive(Debug)]
pub struct Page<'a> {
    pub(crate) url: &'a Url,
    pub(crate) final_url: &'a Url,
    pub(crate) status: StatusCode,
    pub(crate) depth: u32,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
}

impl Page<'_> {
    /// The URL that was requested.
    pub fn url(&self) -> &Url {
        self.url
    }

    /// Where the response came from after redirects.
    pub fn final_url(&self) -> &Url {
        self.final_url
    }

    /// The HTTP status (always a success: callbacks only see those).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The page's depth (seeds are 0).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The body (at most the crawler's `max_page_bytes`).
    pub fn body(&self) -> &Bytes {
        self.body
    }

    /// The body as UTF-8 text, invalid sequences replaced.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.body)
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(self.body).map_err(|e| Error::decode(e).with_url(self.final_url))
    }

    /// `href` resolved against this page's final URL.
    pub fn join(&self, href: &str) -> Option<Url> {
        self.final_url.join(href).ok()
    }
}

/// Where a crawl stands: live while it runs, final when it is over.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Page records produced.
    pub pages: u64,
    /// Pages fetched without error.
    pub ok: u64,
    /// Failed pages by error kind.
    pub errors: BTreeMap<String, u64>,
    /// Body bytes read.
    pub bytes: u64,
    /// Requests in flight now.
    pub in_flight: usize,
    /// URLs waiting in the frontier now.
    pub queued: usize,
    /// URLs skipped because robots.txt disallows them.
    pub disallowed: u64,
    /// Links skipped because they were already seen.
    pub duplicates: u64,
    /// Links skipped because they are out of scope (or too deep).
    pub out_of_scope: u64,
    /// Distinct URLs seen.
    pub seen: u64,
    /// Time since the crawl started, in seconds.
    pub elapsed_secs: f64,
    /// `pages / elapsed_secs`.
    pub pages_per_second: f64,
    /// Whether the crawl was stopped before it ran out of work.
    pub stopped: bool,
    /// Whether the crawl is over.
    pub finished: bool,
    /// Pages an earlier run of this crawl had already recorded (a store
    /// that keeps the crawl: resumed).
    pub resumed_pages: u64,
    /// Pages an earlier run left queued.
    pub resumed_queued: u64,
    /// Workers sharing the crawl's store, this one included, as last known.
    pub workers: u64,
    /// Sitemaps read (indexes included).
    pub sitemaps: u64,
    /// Sitemaps that could not be fetched or read.
    pub sitemap_errors: u64,
    /// Why the store failed, if it did: the crawl then ends, what it
    /// recorded is kept.
    pub store_error: Option<String>,
}

impl Summary {
    /// All failed pages.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub(crate) fn set_elapsed(&mut self, elapsed: Duration) {
        self.elapsed_secs = elapsed.as_secs_f64();
        self.pages_per_second = if self.elapsed_secs > 0.0 {
            self.pages as f64 / self.elapsed_secs
        } else {
            0.0
        };
    }
}
