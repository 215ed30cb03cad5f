//! JSON as the CLI prints it: objects with their keys sorted (as httpie
//! prints them), numbers exactly as they were written (an id of 20 digits
//! stays one, where a parsed number would turn into a float), strings and
//! literals decoded.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// How deep objects and arrays may nest; deeper documents are printed as
/// they came (serde_json refuses more than 128 levels anyway).
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
        Json::from_raw(serde_json::from_str(text)?, 0)
    }

    fn from_raw(raw: &'a RawValue, depth: usize) -> serde_json::Result<Json<'a>> {
        let text = raw.get();
        if depth > MAX_DEPTH {
            return Err(serde::de::Error::custom("nested too deep"));
        }
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let members: BTreeMap<String, &RawValue> = serde_json::from_str(text)?;
                let members = members
                    .into_iter()
                    .map(|(name, value)| Ok((name, Json::from_raw(value, depth + 1)?)))
                    .collect::<serde_json::Result<_>>()?;
                Json::Object(members)
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                let items = items
                    .into_iter()
                    .map(|item| Json::from_raw(item, depth + 1))
                    .collect::<serde_json::Result<_>>()?;
                Json::Array(items)
            }
            Some(b'-' | b'0'..=b'9') => Json::Number(raw),
            _ => Json::Other(serde_json::from_str(text)?),
        })
    }
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
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(reprinted(&deep), None);
        let fine = "[".repeat(50) + &"]".repeat(50);
        assert_eq!(reprinted(&fine).as_deref(), Some(fine.as_str()));
    }
}
