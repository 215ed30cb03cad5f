//! unifetch for JavaScript: the npm package `unifetch`, a thin JS API over
//! the same Rust core that runs natively and in WASI.
//!
//! ```js
//! import { Session } from 'unifetch';
//! const api = new Session({ prefixUrl: 'http://127.0.0.1:8080', timeout: 5000, retry: 2 });
//! const body = await api.get('get', { searchParams: { name: '钢铁知识库' } }).then(r => r.json());
//! ```
//!
//! Naming follows JS: camelCase options, durations in milliseconds,
//! Promises, async iterators (added by the package's `index.js`, which also
//! defines the error classes and hands them to [`register_errors`]).

#[cfg(feature = "crawl")]
mod crawl;
mod errors;
mod options;
mod response;
mod session;

pub use errors::register_errors;
pub use response::{ChunkReader, UnifetchResponse};
pub use session::Session;
