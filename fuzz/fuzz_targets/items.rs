//! The CLI's request items (`native/src/cli/items.rs`): any item list
//! parses or fails without panicking, and what parses has a name.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let items: Vec<String> = text.split('\n').map(str::to_owned).collect();
    if let Ok(parsed) = common::items::Items::parse(&items) {
        assert_eq!(
            parsed.query.len() + parsed.headers.len() + parsed.fields.len(),
            items.len()
        );
        let names = parsed.query.iter().chain(&parsed.headers).map(|(name, _)| name);
        assert!(names
            .chain(parsed.fields.iter().map(|(name, _)| name))
            .all(|name| !name.is_empty()));
        let _ = (parsed.json_body(), parsed.form_body());
    }
});
