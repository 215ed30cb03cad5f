//! Sitemaps (sitemaps.org): the `<loc>` entries of a `<urlset>` (pages)
//! or of a `<sitemapindex>` (more sitemaps), read with the same `html5gum`
//! tokenizer as HTML pages, which is lenient enough for XML of this shape
//! (entities decoded, `<![CDATA[…]]>` handled). Gzipped sitemaps are
//! inflated with a size cap when the `decompress` feature is on.

use html5gum::emitters::callback::CallbackEvent;
use url::Url;

/// The most a sitemap may hold once inflated (the protocol's 50 MB).
pub(crate) const MAX_BYTES: usize = 50 * 1024 * 1024;

/// What a sitemap lists.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Sitemap {
    /// A sitemap index: `locs` are sitemaps, not pages.
    pub(crate) is_index: bool,
    /// The `<loc>` URLs, resolved against the sitemap's URL, in order.
    pub(crate) locs: Vec<Url>,
}

#[derive(Default)]
struct Reader {
    is_index: bool,
    seen_root: bool,
    in_loc: bool,
    loc: Vec<u8>,
    locs: Vec<Vec<u8>>,
}

impl Reader {
    fn event(&mut self, event: CallbackEvent<'_>) {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                if !self.seen_root && name != b"?xml" {
                    self.seen_root = true;
                    self.is_index = name == b"sitemapindex";
                }
                self.in_loc = name == b"loc";
                self.loc.clear();
            }
            CallbackEvent::String { value } if self.in_loc => self.loc.extend_from_slice(value),
            CallbackEvent::Comment { value } if self.in_loc => {
                // `<![CDATA[…]]>` reads as a comment in HTML's rules.
                if let Some(data) = value.strip_prefix(b"[CDATA[") {
                    self.loc.extend_from_slice(data.strip_suffix(b"]]").unwrap_or(data));
                }
            }
            CallbackEvent::EndTag { name } if name == b"loc" && self.in_loc => {
                self.in_loc = false;
                self.locs.push(std::mem::take(&mut self.loc));
            }
            _ => {}
        }
    }
}

/// Reads the sitemap `body` served from `url` (gzipped or not).
pub(crate) fn parse(body: &[u8], url: &Url) -> Result<Sitemap, String> {
    let inflated;
    let xml = if body.starts_with(&[0x1f, 0x8b]) {
        inflated = gunzip(body)?;
        &inflated[..]
    } else {
        body
    };
    let mut reader = Reader::default();
    super::html::tokenize(xml, &mut |event| reader.event(event));
    let locs = reader
        .locs
        .iter()
        .filter_map(|loc| url.join(String::from_utf8_lossy(loc).trim()).ok())
        .filter(|loc| matches!(loc.scheme(), "http" | "https"))
        .collect();
    Ok(Sitemap {
        is_index: reader.is_index,
        locs,
    })
}

#[cfg(feature = "decompress")]
fn gunzip(body: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut inflated = Vec::new();
    let limit = MAX_BYTES as u64 + 1;
    flate2::read::MultiGzDecoder::new(body)
        .take(limit)
        .read_to_end(&mut inflated)
        .map_err(|e| format!("a broken gzip sitemap: {e}"))?;
    if inflated.len() > MAX_BYTES {
        return Err(format!("a sitemap larger than {MAX_BYTES} bytes once inflated"));
    }
    Ok(inflated)
}

#[cfg(not(feature = "decompress"))]
fn gunzip(_: &[u8]) -> Result<Vec<u8>, String> {
    Err("a gzip sitemap needs the `decompress` feature".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        "http://a.test/sitemap.xml".parse().unwrap()
    }

    #[test]
    fn a_urlset_lists_pages() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
                    xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
              <url><loc> http://a.test/one?x=1&amp;y=2 </loc><lastmod>2026-01-01</lastmod>
                   <image:image><image:loc>http://a.test/pic.png</image:loc></image:image></url>
              <url><loc><![CDATA[http://a.test/two]]></loc></url>
              <url><loc>ftp://a.test/not-http</loc></url>
            </urlset>"#;
        let sitemap = parse(xml, &base()).unwrap();
        assert!(!sitemap.is_index);
        let locs: Vec<&str> = sitemap.locs.iter().map(Url::as_str).collect();
        assert_eq!(locs, ["http://a.test/one?x=1&y=2", "http://a.test/two"]);
    }

    #[test]
    fn an_index_lists_sitemaps() {
        let xml = br#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>http://a.test/pages-1.xml.gz</loc></sitemap></sitemapindex>"#;
        let sitemap = parse(xml, &base()).unwrap();
        assert!(sitemap.is_index);
        assert_eq!(sitemap.locs[0].as_str(), "http://a.test/pages-1.xml.gz");
    }

    #[cfg(feature = "decompress")]
    #[test]
    fn gzip_sitemaps_are_inflated_within_the_cap() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"<urlset><url><loc>/three</loc></url></urlset>").unwrap();
        let sitemap = parse(&gz.finish().unwrap(), &base()).unwrap();
        assert_eq!(sitemap.locs[0].as_str(), "http://a.test/three");

        let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..(MAX_BYTES / (1 << 20) + 1) {
            bomb.write_all(&[b' '; 1 << 20]).unwrap();
        }
        let error = parse(&bomb.finish().unwrap(), &base()).unwrap_err();
        assert!(error.contains("larger than"), "{error}");
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn base() -> Url {
        "https://a.test/maps/sitemap.xml".parse().unwrap()
    }

    /// `<loc>` texts: arbitrary, URL-like, and other schemes (which are dropped).
    fn loc() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "(https?://[a-z.]{1,8})?/?[a-z./?#=&%é-]{0,16}",
            prop::sample::select(vec!["ftp://a.test/x", "mailto:a@b.test", "  /spaced  ", "http://[bad"])
                .prop_map(str::to_owned),
        ]
        .prop_map(|text| text.replace(['\r', '\0'], ""))
    }

    fn xml(is_index: bool, locs: &[String]) -> String {
        let (root, entry) = if is_index {
            ("sitemapindex", "sitemap")
        } else {
            ("urlset", "url")
        };
        let mut xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">");
        for loc in locs {
            let escaped = loc.replace('&', "&amp;").replace('<', "&lt;");
            xml.push_str(&format!(
                "<{entry}><loc>{escaped}</loc><lastmod>2026-01-01</lastmod></{entry}>"
            ));
        }
        xml.push_str(&format!("</{root}>"));
        xml
    }

    #[cfg(feature = "decompress")]
    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn any_bytes_give_only_http_locs(body in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(sitemap) = parse(&body, &base()) {
                prop_assert!(sitemap.locs.iter().all(|loc| matches!(loc.scheme(), "http" | "https")));
            }
        }

        #[test]
        fn gzip_looking_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..256), header in prop::sample::select(vec![&b"\x1f\x8b"[..], b"\x1f\x8b\x08", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", b"\x1f\x8b\x08\x1f"])) {
            let body = [header, &tail[..]].concat();
            if let Ok(sitemap) = parse(&body, &base()) {
                prop_assert!(sitemap.locs.iter().all(|loc| matches!(loc.scheme(), "http" | "https")));
            }
        }

        #[test]
        fn locs_are_read_resolved_and_filtered(is_index in any::<bool>(), locs in prop::collection::vec(loc(), 0..8)) {
            let xml = xml(is_index, &locs);
            let sitemap = parse(xml.as_bytes(), &base()).unwrap();
            let expected: Vec<Url> = locs
                .iter()
                .filter_map(|loc| base().join(loc.trim()).ok())
                .filter(|loc| matches!(loc.scheme(), "http" | "https"))
                .collect();
            prop_assert_eq!(sitemap.is_index, is_index);
            prop_assert_eq!(&sitemap.locs, &expected);
            #[cfg(feature = "decompress")]
            {
                // Gzipped, in one member or cut in two, it reads the same.
                let bytes = xml.as_bytes();
                prop_assert_eq!(&parse(&gzip(bytes), &base()).unwrap(), &sitemap);
                let (one, two) = bytes.split_at(bytes.len() / 2);
                let members = [gzip(one), gzip(two)].concat();
                prop_assert_eq!(&parse(&members, &base()).unwrap(), &sitemap);
            }
        }
    }
}
