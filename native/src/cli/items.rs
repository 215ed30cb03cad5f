//! httpie's request items: `name==value`, `field=value`, `field:=json`,
//! `Header:value`, and from files `field=@text.txt`, `field:=@data.json`,
//! `field@upload.bin;type=MIME`.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// The request items of a command line, sorted by kind.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Items {
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) fields: Vec<(String, Value)>,
    /// Files to upload (a multipart form): field, path, content type.
    pub(crate) files: Vec<Upload>,
}

/// `field@path;type=MIME`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Upload {
    pub(crate) field: String,
    pub(crate) path: PathBuf,
    pub(crate) mime: Option<String>,
}

impl Items {
    pub(crate) fn parse(items: &[String]) -> Result<Items, String> {
        let mut parsed = Items::default();
        for item in items {
            parsed.add(item)?;
        }
        Ok(parsed)
    }

    fn add(&mut self, item: &str) -> Result<(), String> {
        // As in httpie, `\` makes the `:`, `=` or `@` after it literal
        // (`a\=b=c` is the field `a=b`), and the first separator wins, the
        // longest at one place: `a=b:c` is a field.
        let mut chars: Vec<(char, bool)> = Vec::with_capacity(item.len());
        let mut rest = item.chars();
        while let Some(c) = rest.next() {
            if c != '\\' {
                chars.push((c, false));
                continue;
            }
            match rest.next() {
                Some(next @ (':' | '=' | '@')) => chars.push((next, true)),
                Some(next) => chars.extend([('\\', false), (next, false)]),
                None => chars.push(('\\', false)),
            }
        }
        let separators = [":=@", "=@", ":=", "==", "=", "@", ":"];
        let unescaped_at = |at: usize, sep: &str| sep.chars().zip(at..).all(|(s, i)| chars.get(i) == Some(&(s, false)));
        let found = (0..chars.len()).find_map(|at| {
            separators
                .into_iter()
                .find(|sep| unescaped_at(at, sep))
                .map(|sep| (at, sep))
        });
        let Some((at, separator)) = found else {
            return Err(format!(
                "{item:?} is not a request item (name==value, field=value, field:=json, Header:value, field@file)"
            ));
        };
        let text = |chars: &[(char, bool)]| chars.iter().map(|(c, _)| c).collect::<String>();
        let (name, value) = (text(&chars[..at]), text(&chars[at + separator.len()..]));
        if name.is_empty() {
            return Err(format!("{item:?} has no name"));
        }
        match separator {
            "==" => self.query.push((name, value)),
            "=" => self.fields.push((name, Value::String(value))),
            ":=" => {
                let json = serde_json::from_str(&value).map_err(|e| format!("{item:?}: not JSON: {e}"))?;
                self.fields.push((name, json));
            }
            "=@" => {
                let text =
                    std::fs::read_to_string(&value).map_err(|e| format!("{item:?}: cannot read {value}: {e}"))?;
                self.fields.push((name, Value::String(text)));
            }
            ":=@" => {
                let text =
                    std::fs::read_to_string(&value).map_err(|e| format!("{item:?}: cannot read {value}: {e}"))?;
                let json = serde_json::from_str(&text).map_err(|e| format!("{item:?}: {value} is not JSON: {e}"))?;
                self.fields.push((name, json));
            }
            "@" => {
                let (path, mime) = match value.rsplit_once(";type=") {
                    Some((path, mime)) => (path.to_owned(), Some(mime.to_owned())),
                    None => (value, None),
                };
                self.files.push(Upload {
                    field: name,
                    path: PathBuf::from(path),
                    mime,
                });
            }
            _ => self.headers.push((name, value.trim_start().to_owned())),
        }
        Ok(())
    }

    /// Whether any item is data for the body (fields or files).
    pub(crate) fn has_data(&self) -> bool {
        !self.fields.is_empty() || !self.files.is_empty()
    }

    /// The body fields as a JSON object.
    pub(crate) fn json_body(&self) -> Value {
        Value::Object(self.fields.iter().cloned().collect::<Map<_, _>>())
    }

    /// The body fields as form pairs (JSON values written as JSON text).
    pub(crate) fn form_body(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|(name, value)| match value {
                Value::String(text) => (name.clone(), text.clone()),
                other => (name.clone(), other.to_string()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_sorted_by_their_first_separator() {
        let raw: Vec<String> = ["q==钢铁", "name=a:b", "n:=3", "X-Trace:abc", "url==http://x/?a=b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let items = Items::parse(&raw).unwrap();
        assert_eq!(
            items.query,
            vec![("q".into(), "钢铁".into()), ("url".into(), "http://x/?a=b".into())]
        );
        assert_eq!(items.headers, vec![("X-Trace".into(), "abc".into())]);
        assert_eq!(
            items.fields,
            vec![("name".into(), Value::from("a:b")), ("n".into(), Value::from(3))]
        );
    }

    #[test]
    fn bad_items_are_reported() {
        assert!(Items::parse(&["nothing".into()]).is_err());
        assert!(Items::parse(&["n:={oops".into()]).is_err());
        assert!(Items::parse(&["=value".into()]).is_err());
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Text rich in separators, backslashes and non-ASCII.
    fn tricky() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[a-zé钢:=\\\\ \\[\\]{}\"0-9]{0,12}"]
    }

    /// `text` with its separators escaped the httpie way.
    fn escape(text: &str) -> String {
        text.chars()
            .flat_map(|c| match c {
                ':' | '=' | '@' => vec!['\\', c],
                c => vec![c],
            })
            .collect()
    }

    /// `text` without the backslashes httpie's escaping cannot write: one
    /// just before a separator (or ending a name) would read as an escape.
    fn escapable(text: String, is_name: bool) -> String {
        let mut kept: Vec<char> = Vec::with_capacity(text.len());
        for c in text.chars().rev() {
            let next = kept.last().copied();
            if c == '\\' && (matches!(next, Some(':' | '=' | '@')) || (is_name && next.is_none())) {
                continue;
            }
            kept.push(c);
        }
        kept.into_iter().rev().collect()
    }

    fn name() -> impl Strategy<Value = String> {
        tricky()
            .prop_map(|name| escapable(name, true))
            .prop_filter("empty", |name| !name.is_empty())
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_items_parse_or_fail_without_panicking(items in prop::collection::vec(tricky(), 0..6)) {
            if let Ok(parsed) = Items::parse(&items) {
                prop_assert_eq!(parsed.query.len() + parsed.headers.len() + parsed.fields.len() + parsed.files.len(), items.len());
                let names = parsed.query.iter().chain(&parsed.headers).map(|(name, _)| name);
                let names = names.chain(parsed.fields.iter().map(|(name, _)| name)).chain(parsed.files.iter().map(|file| &file.field));
                prop_assert!(names.into_iter().all(|name| !name.is_empty()));
            }
        }

        #[test]
        fn an_escaped_field_round_trips(
            name in name(),
            value in tricky().prop_map(|value| escapable(value, false)),
            separator in prop::sample::select(vec!["=", "==", ":"]),
        ) {
            let item = format!("{}{separator}{}", escape(&name), escape(&value));
            let parsed = Items::parse(&[item]).unwrap();
            match separator {
                "=" => prop_assert_eq!(parsed.fields, vec![(name, Value::String(value))]),
                "==" => prop_assert_eq!(parsed.query, vec![(name, value)]),
                _ => prop_assert_eq!(parsed.headers, vec![(name, value.trim_start().to_owned())]),
            }
        }

        #[test]
        fn a_json_field_round_trips(name in name(), value in any::<i64>().prop_map(Value::from)) {
            let item = format!("{}:={value}", escape(&name));
            prop_assert_eq!(Items::parse(&[item]).unwrap().fields, vec![(name, value)]);
        }

        #[test]
        fn without_escapes_the_first_separator_ends_the_name(item in tricky().prop_map(|item| item.replace('\\', ""))) {
            if let Ok(parsed) = Items::parse(std::slice::from_ref(&item)) {
                let names = parsed.query.iter().chain(&parsed.headers).map(|(name, _)| name);
                let mut names = names.chain(parsed.fields.iter().map(|(name, _)| name)).chain(parsed.files.iter().map(|file| &file.field));
                let name = names.next().unwrap();
                prop_assert!(item.starts_with(name.as_str()));
                prop_assert!(!name.contains(':') && !name.contains('=') && !name.contains('@'));
            }
        }
    }

    #[test]
    fn escapes_are_httpies() {
        let raw: Vec<String> = [r"a\=b=c", r"X\:Y:z\:w", r"path=C:\dir", r"odd\\=v", r"p\===v"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let items = Items::parse(&raw).unwrap();
        assert_eq!(
            items.fields,
            vec![
                ("a=b".into(), Value::from("c")),
                ("path".into(), Value::from(r"C:\dir")),
                (r"odd\\".into(), Value::from("v"))
            ]
        );
        assert_eq!(items.headers, vec![("X:Y".into(), "z:w".into())]);
        assert_eq!(items.query, vec![("p=".into(), "v".into())]);
    }
}
