//! JSON written byte for byte as httpbin writes it: Flask's `jsonify` with
//! `indent=2`, `separators=(", ", ": ")`, sorted keys, ASCII only, and a
//! trailing newline. Code that compares bodies with httpbin's sees no change.

use std::fmt::Write;

use serde_json::Value;

/// `value` as httpbin's pretty JSON.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, depth + 1);
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                separator(out, i, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn separator(out: &mut String, index: usize, depth: usize) {
    if index > 0 {
        out.push_str(", ");
    }
    newline(out, depth);
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e16 => {
            let _ = write!(out, "{f:.1}");
        }
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_httpbin_bytes() {
        let value = json!({
            "url": "http://httpbin.org/get",
            "args": {},
            "headers": {"Host": "httpbin.org", "Accept": "*/*"},
            "origin": "1.2.3.4",
        });
        let expected = "{\n  \"args\": {}, \n  \"headers\": {\n    \"Accept\": \"*/*\", \n    \"Host\": \"httpbin.org\"\n  }, \n  \"origin\": \"1.2.3.4\", \n  \"url\": \"http://httpbin.org/get\"\n}\n";
        assert_eq!(to_string(&value), expected);
    }

    #[test]
    fn escapes_like_python_ensure_ascii() {
        let value = json!({"name": "钢铁 😀\n\"", "list": [1, 2.0, null, true]});
        assert_eq!(
            to_string(&value),
            "{\n  \"list\": [\n    1, \n    2.0, \n    null, \n    true\n  ], \n  \"name\": \"\\u94a2\\u94c1 \\ud83d\\ude00\\n\\\"\"\n}\n"
        );
    }
}
