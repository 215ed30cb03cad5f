//! httpie's request items: `name==value`, `field=value`, `field:=json`, `Header:value`.

use serde_json::{Map, Value};

/// The request items of a command line, sorted by kind.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Items {
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) fields: Vec<(String, Value)>,
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
        // The first separator wins, as in httpie: `a=b:c` is a field.
        let separators = [":=", "==", "=", ":"];
        let found = separators
            .iter()
            .filter_map(|sep| item.find(sep).map(|at| (at, *sep)))
            .min_by_key(|(at, sep)| (*at, std::cmp::Reverse(sep.len())));
        let Some((at, separator)) = found else {
            return Err(format!(
                "{item:?} is not a request item (name==value, field=value, field:=json, Header:value)"
            ));
        };
        let (name, value) = (item[..at].to_owned(), item[at + separator.len()..].to_owned());
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
            _ => self.headers.push((name, value.trim_start().to_owned())),
        }
        Ok(())
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
