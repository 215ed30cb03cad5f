//! `ContentType` and `TextEncoding` (`src/content_type.rs`): the input up
//! to the first NUL is a `Content-Type`, the rest a body. Nothing panics,
//! and the decoded text is at most 3 bytes of UTF-8 per body byte.
#![no_main]

mod common;

use common::content_type::{ContentType, TextEncoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let value = String::from_utf8_lossy(head);
    if let Some(parsed) = ContentType::parse(&value) {
        let again = ContentType::parse(&parsed.to_string());
        assert_eq!(again.as_ref(), Some(&parsed));
        let _ = (parsed.essence(), parsed.charset(), parsed.is_json(), parsed.is_html());
    }
    for default in ["utf-8", "windows-1252", "iso-2022-jp"] {
        let encoding = TextEncoding::sniff(Some(&value), body, default);
        assert!(encoding.bom_len() <= body.len());
        let text = encoding.decode(body);
        assert!(text.len() <= 3 * body.len());
    }
});
