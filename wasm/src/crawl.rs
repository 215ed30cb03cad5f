//! `session.crawl(urls, options)`: the portable crawler, as an async
//! iterator of page records (`crawl.js` adds `Symbol.asyncIterator` and
//! `return()`), with `stop()`, `close()`, `progress()` and `signal`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_util::StreamExt;
use js_sys::{Array, Object, Promise, Reflect};
use serde::Serialize;
use unifetch::crawl::{Crawler, Scope, StopHandle, Summary};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::abort::{guarded, Abort};
use crate::errors::{self, invalid};
use crate::options::field;
use crate::session::CoreSession;

#[wasm_bindgen]
impl CoreSession {
    /// Crawls from `urls` with `{ concurrency, perHost, delay, maxDepth,
    /// maxPages, obeyRobots, followLinks, allow, deny, signal }`.
    pub fn crawl(&self, urls: Array, options: JsValue) -> Result<Crawl, JsValue> {
        let crawler = crawler(self.inner.clone(), &options)?;
        let abort = Abort::new(&field(&options, "signal").unwrap_or(JsValue::UNDEFINED))?;
        let urls: Vec<String> = urls.iter().filter_map(|u| u.as_string()).collect();
        let crawl = crawler.crawl(&urls).map_err(|e| errors::to_js(&e))?;
        Ok(Crawl {
            stopper: crawl.stopper(),
            crawl: Rc::new(RefCell::new(Some(crawl))),
            last_summary: Rc::default(),
            abort,
            closed: Rc::default(),
        })
    }
}

fn crawler(session: unifetch::Session, options: &JsValue) -> Result<Crawler, JsValue> {
    let count = |key: &str| field(options, key).and_then(|v| v.as_f64());
    let mut crawler = Crawler::new(session);
    if let Some(n) = count("concurrency") {
        crawler = crawler.concurrency(n as usize);
    }
    if let Some(n) = count("perHost") {
        crawler = crawler.per_host(n as usize);
    }
    if let Some(ms) = count("delay") {
        crawler = crawler.delay(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    }
    if let Some(n) = count("maxDepth") {
        crawler = crawler.max_depth(n as u32);
    }
    if let Some(n) = count("maxPages") {
        crawler = crawler.max_pages(n as u64);
    }
    if let Some(obey) = field(options, "obeyRobots").and_then(|v| v.as_bool()) {
        crawler = crawler.obey_robots(obey);
    }
    if let Some(follow) = field(options, "followLinks").and_then(|v| v.as_bool()) {
        crawler = crawler.follow_links(follow);
    }
    let mut scope = Scope::same_host();
    for (key, add) in [
        ("allow", Scope::allow as fn(Scope, String) -> Scope),
        ("deny", Scope::deny),
    ] {
        if let Some(patterns) = field(options, key) {
            if !Array::is_array(&patterns) {
                return Err(invalid(&format!("option {key} must be an array of patterns")));
            }
            for pattern in Array::from(&patterns).iter().filter_map(|p| p.as_string()) {
                scope = add(scope, pattern);
            }
        }
    }
    Ok(crawler.scope(scope))
}

/// A running crawl.
#[wasm_bindgen]
pub struct Crawl {
    crawl: Rc<RefCell<Option<unifetch::crawl::Crawl>>>,
    stopper: StopHandle,
    last_summary: Rc<RefCell<Summary>>,
    abort: Option<Abort>,
    /// Set by `close()`: a `next()` in flight drops the crawl when it returns.
    closed: Rc<Cell<bool>>,
}

#[wasm_bindgen]
impl Crawl {
    /// The next page record, as an iterator result (`done` at the end).
    pub fn next(&self) -> Promise {
        let (cell, last, abort) = (self.crawl.clone(), self.last_summary.clone(), self.abort.clone());
        let closed = self.closed.clone();
        future_to_promise(async move {
            let Some(mut crawl) = cell.borrow_mut().take() else {
                return done(None);
            };
            // An abort drops the crawl: every request in flight with it.
            let record = guarded(abort.clone(), async { Ok(crawl.next().await) }).await?;
            *last.borrow_mut() = crawl.summary();
            if record.is_some() && !closed.get() {
                *cell.borrow_mut() = Some(crawl);
            }
            done(record)
        })
    }

    /// Stops the crawl: nothing new starts, pages in flight still arrive.
    pub fn stop(&self) {
        self.stopper.stop();
    }

    /// Ends the crawl at once: requests in flight are dropped, `next()`
    /// says `done` (what leaving a `for await` loop calls).
    pub fn close(&self) {
        self.stopper.stop();
        self.closed.set(true);
        if let Some(crawl) = self.crawl.borrow_mut().take() {
            *self.last_summary.borrow_mut() = crawl.summary();
        }
    }

    /// Pages, errors, bytes, in flight, queued, pages per second, …
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        let summary = match self.crawl.borrow().as_ref() {
            Some(crawl) => crawl.summary(),
            None => self.last_summary.borrow().clone(),
        };
        to_js(&summary)
    }
}

/// An iterator result: `{ value: record, done: false }` or `{ done: true }`.
fn done(record: Option<unifetch::crawl::PageRecord>) -> Result<JsValue, JsValue> {
    let result = Object::new();
    Reflect::set(&result, &"done".into(), &record.is_none().into())?;
    if let Some(record) = record {
        Reflect::set(&result, &"value".into(), &to_js(&record)?)?;
    }
    Ok(result.into())
}

/// A record or summary of the core as a plain JS object, through JSON:
/// the core defines the fields once; JS gets them camelCased (the
/// top-level names only: values such as error kinds stay as they are).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| invalid(&e.to_string()))?;
    let parsed = js_sys::JSON::parse(&text)?;
    let renamed = Object::new();
    for entry in Object::entries(parsed.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        let name = entry.get(0).as_string().unwrap_or_default();
        Reflect::set(&renamed, &camel_case(&name).into(), &entry.get(1))?;
    }
    Ok(renamed.into())
}

/// `final_url` → `finalUrl`.
fn camel_case(name: &str) -> String {
    let mut parts = name.split('_');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}
