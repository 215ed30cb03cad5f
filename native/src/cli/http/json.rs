//! JSON as the CLI prints it: objects with their keys sorted (as httpie
//! prints them), numbers exactly as they were written (an id of 20 digits
//! stays one, where a parsed number would turn into a float), strings and
//! literals decoded.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// How deep objects and arrays may nest; deeper documents are printed as
/// they came. Each level parses the text of the ones inside it again, so
/// the work is at most this many times the body's size.
const MAX_DEPTH: usize = 128;

/// A parsed JSON document that borrows its numbers from the text.
pub(crate) enum Json<'a> {
    Object(BTreeMap<String, Json<'a>>),
    Array(Vec<Json<'a>>),
    /// Serialized as written, through the formatter's raw fragments.
    Number(&'a RawValue),
    /// A string, `true`, `false` or `null`.
    Other(serde_json::Value),
}

impl<'a> Json<'a> {
    /// Parses `text`, or fails if it is not JSON or nests too deep.
    pub(crate) fn parse(text: &'a str) -> serde_json::Result<Json<'a>> {
        if nesting(text) > MAX_DEPTH {
            return Err(serde::de::Error::custom("nested too deep"));
        }
        Json::from_raw(serde_json::from_str(text)?)
    }

    fn from_raw(raw: &'a RawValue) -> serde_json::Result<Json<'a>> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let members: BTreeMap<String, &RawValue> = serde_json::from_str(text)?;
                let members = members
                    .into_iter()
                    .map(|(name, value)| Ok((name, Json::from_raw(value)?)))
                    .collect::<serde_json::Result<_>>()?;
                Json::Object(members)
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                let items = items
                    .into_iter()
                    .map(Json::from_raw)
                    .collect::<serde_json::Result<_>>()?;
                Json::Array(items)
            }
            Some(b'-' | b'0'..=b'9') => Json::Number(raw),
            _ => Json::Other(serde_json::from_str(text)?),
        })
    }
}

/// How deep the objects and arrays of `text` nest (brackets inside
/// strings aside): one quick pass, before any parsing.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        match (in_string, byte) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') | (false, b'"') => in_string = !in_string,
            (false, b'{' | b'[') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Object(members) => members.serialize(serializer),
            Json::Array(items) => items.serialize(serializer),
            Json::Number(raw) => raw.serialize(serializer),
            Json::Other(value) => value.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reprinted(text: &str) -> Option<String> {
        Json::parse(text).ok().map(|json| serde_json::to_string(&json).unwrap())
    }

    #[test]
    fn numbers_stay_as_written_keys_are_sorted_and_strings_decoded() {
        assert_eq!(
            reprinted(r#"{"b": 123456789012345678901234567890, "a": [1.50, -0, 2e400], "s": "\u00e9"}"#).as_deref(),
            Some(r#"{"a":[1.50,-0,2e400],"b":123456789012345678901234567890,"s":"é"}"#)
        );
        assert_eq!(reprinted("true").as_deref(), Some("true"));
        assert_eq!(reprinted("not json"), None);
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(reprinted(&deep), None);
        let deepest = "[".repeat(MAX_DEPTH) + "1" + &"]".repeat(MAX_DEPTH);
        assert_eq!(reprinted(&deepest).as_deref(), Some(deepest.as_str()));
        let bracket_in_a_string = format!("{}\"[[[\"{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(
            reprinted(&bracket_in_a_string).is_some(),
            "brackets inside strings do not count"
        );
    }
}
