//! The crawler's link extractor (`src/crawl/html.rs`): any bytes parse
//! without panicking; the title is trimmed with its whitespace collapsed.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let page: Url = "https://a.test/dir/page.html?q=1".parse().unwrap();
    let facts = common::html::parse(data, &page);
    if let Some(title) = facts.title {
        assert!(!title.is_empty() && title.trim() == title && !title.contains("  "));
    }
    for link in &facts.links {
        assert!(!link.scheme().is_empty());
    }
});
