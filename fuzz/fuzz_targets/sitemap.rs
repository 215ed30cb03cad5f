//! The sitemap parser (`src/crawl/sitemap.rs`): any bytes, gzipped or
//! gzip-looking, parse or fail without panicking; every loc is http(s);
//! gzipping a sitemap does not change what it lists.
#![no_main]

mod common;

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let url: Url = "https://a.test/maps/sitemap.xml".parse().unwrap();
    let plain = common::sitemap::parse(data, &url);
    if let Ok(sitemap) = &plain {
        assert!(sitemap.locs.iter().all(|loc| matches!(loc.scheme(), "http" | "https")));
    }
    if !data.starts_with(&[0x1f, 0x8b]) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        let gzipped = common::sitemap::parse(&gz.finish().unwrap(), &url);
        assert_eq!(gzipped, plain);
    }
});
