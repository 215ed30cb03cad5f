//! unifetch for JavaScript: the npm package `unifetch`, a thin JS API over
//! the same Rust core that runs natively and in WASI.
//!
//! ```js
//! import uf from 'unifetch';
//! const body = await uf.get('http://127.0.0.1:8080/get', { searchParams: { name: '钢铁知识库' } }).json();
//! ```
//!
//! This crate converts between JS values and the core's; the package's
//! `index.js` builds ky's API on it (the instance, the response class with
//! fetch's members, the error classes) and registers the functions Rust
//! calls back ([`register_bridge`]). Naming follows JS: camelCase options,
//! durations in milliseconds, promises.

mod abort;
mod bridge;
#[cfg(feature = "crawl")]
mod crawl;
mod errors;
mod handoff;
mod hooks;
mod options;
mod response;
mod session;

pub use bridge::register_bridge;
pub use response::{decode_text, CoreResponse};
pub use session::CoreSession;
