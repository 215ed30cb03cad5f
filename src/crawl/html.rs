//! Links and title of an HTML page, with the streaming `lol_html` parser.

use std::cell::RefCell;

use lol_html::{element, text, HtmlRewriter, Settings};
use url::Url;

/// What the crawler reads from an HTML page.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct HtmlFacts {
    /// The `<title>`, whitespace collapsed.
    pub(crate) title: Option<String>,
    /// The targets of `<a href>` and `<area href>`, resolved against the
    /// page URL (or its `<base href>`), in document order.
    pub(crate) links: Vec<Url>,
}

/// Parses `html` served from `page`. Malformed HTML never fails: what could
/// be read is returned.
pub(crate) fn parse(html: &[u8], page: &Url) -> HtmlFacts {
    let hrefs = RefCell::new(Vec::<String>::new());
    let base = RefCell::new(None::<String>);
    let title = RefCell::new(String::new());
    let title_done = RefCell::new(false);
    let settings = Settings::new()
        .append_element_content_handler(element!("a[href], area[href]", |el| {
            if let Some(href) = el.get_attribute("href") {
                hrefs.borrow_mut().push(href);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("base[href]", |el| {
            let mut base = base.borrow_mut();
            if base.is_none() {
                *base = el.get_attribute("href");
            }
            Ok(())
        }))
        .append_element_content_handler(text!("title", |chunk| {
            // Only the first title (an SVG can have its own later).
            if !*title_done.borrow() {
                title.borrow_mut().push_str(chunk.as_str());
                *title_done.borrow_mut() = chunk.last_in_text_node();
            }
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    let parsed = rewriter.write(html).and_then(|()| rewriter.end());
    if let Err(e) = parsed {
        tracing::debug!(url = %page, error = %e, "HTML parsing stopped early");
    }

    let base_url = base
        .into_inner()
        .and_then(|href| page.join(&href).ok())
        .unwrap_or_else(|| page.clone());
    let links = hrefs
        .into_inner()
        .iter()
        .filter_map(|href| base_url.join(href.trim()).ok())
        .collect();
    let title: String = title.into_inner().split_whitespace().collect::<Vec<_>>().join(" ");
    HtmlFacts {
        title: (!title.is_empty()).then(|| decode_entities(&title)),
        links,
    }
}

/// The few character references titles commonly carry (lol_html hands text
/// over undecoded).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_resolved_against_the_base() {
        let page: Url = "http://a.test/dir/page.html".parse().unwrap();
        let html = br#"<html><head><title>
            Hello &amp; welcome </title><base href="/root/"></head>
            <body><a href="x.html">x</a> <a href=" /abs ">abs</a>
            <a href="http://b.test/">b</a><a name="no-href">n</a>
            <area href="map.html"><a href="http://[bad">bad</a></body></html>"#;
        let facts = parse(html, &page);
        assert_eq!(facts.title.as_deref(), Some("Hello & welcome"));
        let links: Vec<&str> = facts.links.iter().map(Url::as_str).collect();
        assert_eq!(
            links,
            [
                "http://a.test/root/x.html",
                "http://a.test/abs",
                "http://b.test/",
                "http://a.test/root/map.html"
            ]
        );
    }

    #[test]
    fn broken_html_gives_what_it_can() {
        let page: Url = "http://a.test/".parse().unwrap();
        let facts = parse(b"<a href='one'>1</a><a href=\"two", &page);
        assert_eq!(facts.links.len(), 1);
        assert_eq!(facts.title, None);
    }
}
