//! [`ContentType`]: what a `Content-Type` header says, and how a body's
//! bytes become text — decided once here for the library, the crawler, the
//! CLI and the npm package.

use std::fmt;

/// A parsed `Content-Type` (`text/html; charset=utf-8`).
///
/// ```
/// use unifetch::ContentType;
/// let html = ContentType::parse("Text/HTML; Charset=\"Shift_JIS\"").unwrap();
/// assert_eq!(html.essence(), "text/html");
/// assert_eq!(html.charset(), Some("shift_jis"));
/// assert!(html.is_html() && !html.is_json());
/// assert!(ContentType::parse("application/vnd.api+json").unwrap().is_json());
/// assert!(ContentType::parse("not a type").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ContentType {
    mime: mime::Mime,
}

impl ContentType {
    /// Parses a `Content-Type` value; `None` if it is not a media type.
    pub fn parse(value: &str) -> Option<ContentType> {
        value.trim().parse().ok().map(|mime| ContentType { mime })
    }

    /// `type/subtype` in lower case, without parameters.
    pub fn essence(&self) -> &str {
        self.mime.essence_str()
    }

    /// The `charset` parameter, in lower case.
    pub fn charset(&self) -> Option<&str> {
        Some(self.mime.get_param(mime::CHARSET)?.as_str())
    }

    /// A JSON media type as the WHATWG MIME Sniffing standard defines it:
    /// `application/json`, `text/json` or any `…+json`.
    pub fn is_json(&self) -> bool {
        matches!(self.essence(), "application/json" | "text/json") || self.mime.suffix() == Some(mime::JSON)
    }

    /// An HTML document: `text/html` or `application/xhtml+xml`.
    pub fn is_html(&self) -> bool {
        matches!(self.essence(), "text/html" | "application/xhtml+xml")
    }
}

impl fmt::Debug for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentType({})", self.mime)
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.mime, f)
    }
}

/// How to turn a body into text: the encoding's WHATWG label (for
/// `encoding_rs` or a platform's `TextDecoder`) and how many leading bytes
/// are a byte-order mark to skip.
///
/// A byte-order mark wins over `Content-Type`'s `charset`, which wins over
/// the default — the order of the WHATWG Encoding standard's "decode".
///
/// ```
/// use unifetch::TextEncoding;
/// let sniffed = TextEncoding::sniff(Some("text/plain; charset=latin1"), b"\xEF\xBB\xBFhi", "utf-8");
/// assert_eq!((sniffed.label(), sniffed.bom_len()), ("utf-8", 3));
/// let declared = TextEncoding::sniff(Some("text/plain; charset=latin1"), b"caf\xE9", "utf-8");
/// assert_eq!((declared.label(), declared.bom_len()), ("latin1", 0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEncoding {
    label: String,
    bom_len: usize,
}

impl TextEncoding {
    /// The encoding of `body` served with `content_type`, `default` when
    /// neither a byte-order mark nor a `charset` names one.
    pub fn sniff(content_type: Option<&str>, body: &[u8], default: &str) -> TextEncoding {
        let bom = [
            (&b"\xEF\xBB\xBF"[..], "utf-8"),
            (&b"\xFF\xFE"[..], "utf-16le"),
            (&b"\xFE\xFF"[..], "utf-16be"),
        ];
        if let Some((mark, label)) = bom.iter().find(|(mark, _)| body.starts_with(mark)) {
            return TextEncoding {
                label: (*label).to_owned(),
                bom_len: mark.len(),
            };
        }
        let declared = content_type.and_then(ContentType::parse);
        let label = declared.as_ref().and_then(ContentType::charset).unwrap_or(default);
        TextEncoding {
            label: label.to_owned(),
            bom_len: 0,
        }
    }

    /// The encoding's label, as the server or the byte-order mark named it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Bytes of byte-order mark at the start of the body.
    pub fn bom_len(&self) -> usize {
        self.bom_len
    }

    /// Decodes `body` (mark included) with `encoding_rs`; an unknown label
    /// means UTF-8, and invalid sequences become U+FFFD.
    pub(crate) fn decode(&self, body: &[u8]) -> String {
        let encoding = encoding_rs::Encoding::for_label(self.label.as_bytes()).unwrap_or(encoding_rs::UTF_8);
        let text = body.get(self.bom_len..).unwrap_or_default();
        encoding.decode_without_bom_handling(text).0.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_wins_and_is_skipped() {
        let utf16 = [0xFF, 0xFE, b'h', 0, b'i', 0];
        let encoding = TextEncoding::sniff(Some("text/plain; charset=utf-8"), &utf16, "utf-8");
        assert_eq!(encoding.decode(&utf16), "hi");
        let latin1 = TextEncoding::sniff(Some("text/plain; charset=ISO-8859-1"), b"caf\xE9", "utf-8");
        assert_eq!(latin1.decode(b"caf\xE9"), "café");
        let unknown = TextEncoding::sniff(Some("text/plain; charset=klingon"), "é".as_bytes(), "utf-8");
        assert_eq!(unknown.decode("é".as_bytes()), "é");
    }

    #[test]
    fn json_and_html_types() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "text/json",
            "application/ld+json",
        ] {
            assert!(ContentType::parse(json).is_some_and(|t| t.is_json()), "{json}");
        }
        for other in ["text/plain", "application/jsonp", "text/html"] {
            assert!(!ContentType::parse(other).is_some_and(|t| t.is_json()), "{other}");
        }
        assert!(ContentType::parse("application/xhtml+xml").unwrap().is_html());
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// `Content-Type` values: arbitrary text and near misses of real ones.
    fn content_type() -> impl Strategy<Value = String> {
        let charset = prop::sample::select(vec![
            "utf-8",
            "UTF-8",
            "\"utf-8\"",
            "latin1",
            "shift_jis",
            "utf-16le",
            "klingon",
            "",
        ]);
        prop_oneof![
            any::<String>(),
            "[a-zA-Z+*/;= \"-]{0,24}",
            ("[a-z]{1,8}/[a-z+.-]{1,12}", charset)
                .prop_map(|(essence, charset)| format!("{essence}; charset={charset}")),
        ]
    }

    proptest! {
        #![proptest_config(crate::properties::config(256))]

        #[test]
        fn parsing_never_panics_and_reparses_the_same(value in content_type()) {
            if let Some(parsed) = ContentType::parse(&value) {
                let essence = parsed.essence();
                prop_assert!(essence.contains('/'), "{essence}");
                prop_assert_eq!(essence, essence.to_ascii_lowercase());
                if let Some(charset) = parsed.charset() {
                    prop_assert_eq!(charset, charset.to_ascii_lowercase());
                }
                let again = ContentType::parse(&parsed.to_string());
                prop_assert_eq!(again.as_ref(), Some(&parsed));
                prop_assert_eq!((parsed.is_json(), parsed.is_html()), (again.as_ref().unwrap().is_json(), again.unwrap().is_html()));
            }
        }

        #[test]
        fn any_body_decodes_to_text_of_bounded_length(
            value in prop::option::of(content_type()),
            body in prop::collection::vec(any::<u8>(), 0..256),
            default in prop::sample::select(vec!["utf-8", "windows-1252", "gb18030", "iso-2022-jp", "big5", "nonsense"]),
        ) {
            let encoding = TextEncoding::sniff(value.as_deref(), &body, default);
            prop_assert!([0, 2, 3].contains(&encoding.bom_len()) && encoding.bom_len() <= body.len());
            let text = encoding.decode(&body);
            // At worst every byte is a replacement character (3 bytes of UTF-8).
            prop_assert!(text.len() <= 3 * body.len(), "{} bytes from {}", text.len(), body.len());
        }

        #[test]
        fn utf8_declared_as_utf8_is_unchanged(
            text in any::<String>(),
            declared in prop::sample::select(vec!["text/html; charset=utf-8", "text/plain;charset=\"UTF-8\"", "application/json; charset=utf8"]),
            with_bom in any::<bool>(),
        ) {
            let text = text.trim_start_matches('\u{feff}');
            let body = if with_bom { format!("\u{feff}{text}") } else { text.to_owned() };
            let encoding = TextEncoding::sniff(Some(declared), body.as_bytes(), "windows-1252");
            prop_assert_eq!(encoding.decode(body.as_bytes()), text);
            let undeclared = TextEncoding::sniff(None, body.as_bytes(), "utf-8");
            prop_assert_eq!(undeclared.decode(body.as_bytes()), text);
        }
    }
}
