//! The parsers under test, compiled from their own source files (the
//! library keeps them `pub(crate)`, in private modules); `sitemap` finds
//! the tokenizer as `super::html`, as it does in the library.
#![allow(dead_code, unreachable_pub)]

#[path = "../../src/crawl/html.rs"]
pub mod html;
#[path = "../../src/crawl/sitemap.rs"]
pub mod sitemap;

#[path = "../../src/decode/codecs.rs"]
pub mod codecs;

#[path = "../../src/content_type.rs"]
pub mod content_type;

#[path = "../../native/src/cli/items.rs"]
pub mod items;
