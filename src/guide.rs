//! The guide: aiohttp's client quick start, the unifetch way.
//!
//! Every section is a complete program under `examples/`; run one with
//! `cargo run --example NAME`. Each talks to `UNIFETCH_BASE` when it is
//! set, otherwise to the bundled test site (from the `unifetch-native`
//! crate) started in the same process on 127.0.0.1.
//!
//! 1. [Basics](#basics) · 2. [Concurrency](#concurrency) · 3. [Parameters
//!    and methods](#parameters-and-methods) · 4. [Bodies and
//!    responses](#bodies-and-responses) · 5. [A timeout](#a-timeout) ·
//!    6. [Fine timeouts](#fine-timeouts) · 7. [Limits](#limits) ·
//!    8. [Streaming downloads](#streaming-downloads) · 9. [A
//!    server](#a-server) · 10. [The application: a novel](#the-application-a-novel)
//!
//! ## Basics
//!
//! One [`Session`](crate::Session) for the whole program, a GET, the status
//! and the start of the body.
//!
//! ```no_run
#![doc = include_str!("../examples/basics.rs")]
//! ```
//!
//! ## Concurrency
//!
//! Requests are futures: sent together through one session they overlap.
//!
//! ```no_run
#![doc = include_str!("../examples/concurrent.rs")]
//! ```
//!
//! ## Parameters and methods
//!
//! ```no_run
#![doc = include_str!("../examples/params.rs")]
//! ```
//!
//! ## Bodies and responses
//!
//! ```no_run
#![doc = include_str!("../examples/reading.rs")]
//! ```
//!
//! ## A timeout
//!
//! ```no_run
#![doc = include_str!("../examples/timeout.rs")]
//! ```
//!
//! ## Fine timeouts
//!
//! ```no_run
#![doc = include_str!("../examples/fine_timeouts.rs")]
//! ```
//!
//! ## Limits
//!
//! ```no_run
#![doc = include_str!("../examples/limits.rs")]
//! ```
//!
//! ## Streaming downloads
//!
//! ```no_run
#![doc = include_str!("../examples/stream_download.rs")]
//! ```
//!
//! ## A server
//!
//! The server side is axum, Rust's counterpart of `aiohttp.web`; the
//! `TestServer` helper of `unifetch-native` runs any router on a free
//! local port with a session pointed at it.
//!
//! ```no_run
#![doc = include_str!("../examples/hello_server.rs")]
//! ```
//!
//! ## The application: a novel
//!
//! The guide ends with its real application: read a novel's catalog from a
//! JSON API, then download every chapter with at most 5 requests in
//! flight. With the [crawler](crate::crawl), the catalog → chapters step is
//! a callback (`unifetch_native::guide::chapter_urls`), and dedup,
//! retries and timeouts come with it.
//!
//! ```no_run
#![doc = include_str!("../examples/novel.rs")]
//! ```
