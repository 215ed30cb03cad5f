//! Links and title of an HTML page, read with `html5gum`'s WHATWG
//! tokenizer: character references are decoded, `<script>`, `<style>` and
//! `<title>` contents are not mistaken for tags, and nothing is built but
//! what the crawler keeps.

use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
use html5gum::{Span, Tokenizer};
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

/// Where the tokenizer is, as far as the crawler cares.
#[derive(Default)]
struct Reader {
    /// The start tag being read: `a`/`area` (a link) or `base`.
    tag: Tag,
    /// Whether the attribute being read is the tag's first `href`.
    in_href: bool,
    /// The tag's `href`, once read.
    href: Option<Vec<u8>>,
    hrefs: Vec<Vec<u8>>,
    base: Option<Vec<u8>>,
    /// The first `<title>`'s text, and whether it is still being read.
    title: Option<Vec<u8>>,
    in_title: bool,
}

#[derive(Default, PartialEq)]
enum Tag {
    #[default]
    Other,
    Link,
    Base,
    Title,
}

impl Reader {
    fn event(&mut self, event: CallbackEvent<'_>) {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                self.tag = match name {
                    b"a" | b"area" => Tag::Link,
                    b"base" => Tag::Base,
                    b"title" => Tag::Title,
                    _ => Tag::Other,
                };
                self.href = None;
                self.in_title = false;
            }
            CallbackEvent::AttributeName { name } => {
                self.in_href = name == b"href" && self.href.is_none() && matches!(self.tag, Tag::Link | Tag::Base);
                if self.in_href {
                    // An empty value (`href=""`, `href`) comes with no value event.
                    self.href = Some(Vec::new());
                }
            }
            CallbackEvent::AttributeValue { value } if self.in_href => {
                self.href = Some(value.to_vec());
                self.in_href = false;
            }
            CallbackEvent::CloseStartTag { .. } => {
                self.in_href = false;
                match (&self.tag, self.href.take()) {
                    (Tag::Link, Some(href)) => self.hrefs.push(href),
                    (Tag::Base, Some(href)) if self.base.is_none() => self.base = Some(href),
                    // Only the first title (an SVG can have its own later).
                    (Tag::Title, _) if self.title.is_none() => {
                        self.title = Some(Vec::new());
                        self.in_title = true;
                    }
                    _ => {}
                }
            }
            CallbackEvent::String { value } if self.in_title => {
                if let Some(title) = &mut self.title {
                    title.extend_from_slice(value);
                }
            }
            CallbackEvent::EndTag { .. } => self.in_title = false,
            _ => {}
        }
    }
}

/// Runs html5gum's tokenizer over `input`, handing every event to
/// `on_event`. Pages and sitemaps share this one instance of the tokenizer
/// (each emitter type would compile all of it again).
pub(crate) fn tokenize(input: &[u8], on_event: &mut dyn FnMut(CallbackEvent<'_>)) {
    let mut emitter = CallbackEmitter::new(|event: CallbackEvent<'_>, _: Span<()>| -> Option<()> {
        on_event(event);
        None
    });
    emitter.naively_switch_states(true);
    Tokenizer::new_with_emitter(input, emitter).for_each(drop);
}

/// Parses `html` served from `page`. Malformed HTML never fails: what could
/// be read is returned.
pub(crate) fn parse(html: &[u8], page: &Url) -> HtmlFacts {
    let mut reader = Reader::default();
    tokenize(html, &mut |event| reader.event(event));

    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let base_url = reader
        .base
        .and_then(|href| page.join(text(&href).trim()).ok())
        .unwrap_or_else(|| page.clone());
    let links = reader
        .hrefs
        .iter()
        .filter_map(|href| base_url.join(text(href).trim()).ok())
        .collect();
    let title = reader
        .title
        .map(|title| text(&title).split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|title| !title.is_empty());
    HtmlFacts { title, links }
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
    fn an_empty_href_is_the_page_itself_and_still_the_first() {
        let page: Url = "http://a.test/dir/page.html".parse().unwrap();
        let facts = parse(br#"<a href="" href="/second">x</a><a href>y</a>"#, &page);
        assert_eq!(facts.links, [page.clone(), page]);
    }

    #[test]
    fn broken_html_gives_what_it_can() {
        let page: Url = "http://a.test/".parse().unwrap();
        let facts = parse(b"<a href='one'>1</a><a href=\"two", &page);
        assert_eq!(facts.links.len(), 1);
        assert_eq!(facts.title, None);
    }

    #[test]
    fn references_are_decoded_and_scripts_are_not_markup() {
        let page: Url = "http://a.test/".parse().unwrap();
        let html = br#"<title>Caf&eacute; &lt;1&gt; &#x263A;</title>
            <script>if (a<b) document.write('<a href="/in-script">')</script>
            <style>a[href="/in-style"] {}</style>
            <A HREF="/q?x=1&amp;y=2" href="/second">q</A>
            <svg><title>not the page's</title></svg>"#;
        let facts = parse(html, &page);
        assert_eq!(facts.title.as_deref(), Some("Café <1> \u{263A}"));
        let links: Vec<&str> = facts.links.iter().map(Url::as_str).collect();
        assert_eq!(links, ["http://a.test/q?x=1&y=2"]);
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn page() -> Url {
        "https://a.test/dir/page.html?q=1".parse().unwrap()
    }

    /// Arbitrary text, as the tokenizer hands it back: HTML turns `\r` into
    /// `\n` and NUL into U+FFFD, so neither is generated.
    fn href() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z./?#=&%: é-]{0,16}",
            prop::sample::select(vec![
                "//b.test/x",
                "mailto:a@b.test",
                "javascript:void(0)",
                "http://[bad",
                " /abs "
            ])
            .prop_map(str::to_owned),
        ]
        .prop_map(|text| text.replace(['\r', '\0'], ""))
    }

    /// `text` as a double-quoted attribute value.
    fn attribute(text: &str) -> String {
        text.replace('&', "&amp;").replace('"', "&quot;")
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn any_bytes_parse_without_panicking(html in prop::collection::vec(any::<u8>(), 0..512)) {
            let facts = parse(&html, &page());
            if let Some(title) = facts.title {
                prop_assert!(!title.is_empty() && title.trim() == title && !title.contains("  "));
                prop_assert!(title.chars().all(|c| c == ' ' || !c.is_whitespace()));
            }
        }

        #[test]
        fn markup_like_bytes_parse_without_panicking(html in "(<[a-z/!?]{0,5}( href(=\"?[a-z/:&;#]{0,6})?)?>?|[^<]{0,4}|<!\\[CDATA\\[|-->|&[a-z#0-9]{0,5};?){0,24}") {
            let facts = parse(html.as_bytes(), &page());
            // What the parser keeps is the resolution of some `href` in the text.
            prop_assert!(facts.links.len() <= html.matches("href").count());
        }

        #[test]
        fn links_are_the_hrefs_resolved_in_order(
            tags in prop::collection::vec((prop::sample::select(vec!["a", "area", "A", "link", "img", "base"]), href()), 0..8),
            noise in "[a-z &;é]{0,8}",
        ) {
            let mut html = String::from("<!doctype html><title>t</title>");
            for (tag, href) in &tags {
                html.push_str(&format!("<{tag} class=x href=\"{}\" href=\"/second\">{noise}</{tag}>", attribute(href)));
            }
            let base = tags
                .iter()
                .find(|(tag, _)| *tag == "base")
                .and_then(|(_, href)| page().join(href.trim()).ok())
                .unwrap_or_else(page);
            let expected: Vec<Url> = tags
                .iter()
                .filter(|(tag, _)| matches!(*tag, "a" | "area" | "A"))
                .filter_map(|(_, href)| base.join(href.trim()).ok())
                .collect();
            let facts = parse(html.as_bytes(), &page());
            prop_assert_eq!(facts.links, expected);
            prop_assert_eq!(facts.title.as_deref(), Some("t"));
        }

        #[test]
        fn relative_links_stay_on_the_page_origin(path in "[a-z0-9._~/?=&%-]{0,24}".prop_filter("scheme-relative", |p| !p.starts_with("//"))) {
            let html = format!("<a href=\"{}\">x</a>", attribute(&path));
            let facts = parse(html.as_bytes(), &page());
            prop_assert_eq!(facts.links.len(), 1);
            prop_assert_eq!(facts.links[0].origin(), page().origin());
        }
    }
}
