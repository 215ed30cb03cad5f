//! [`Form`]: `multipart/form-data` bodies, with text fields and files.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};

/// A `multipart/form-data` body, sent with
/// [`RequestBuilder::multipart`](crate::RequestBuilder::multipart).
///
/// ```
/// use unifetch::multipart::{Form, Part};
/// let form = Form::new()
///     .text("title", "西游记")
///     .part("cover", Part::bytes(vec![0x89, b'P', b'N', b'G']).file_name("cover.png").mime("image/png"));
/// assert!(form.content_type().starts_with("multipart/form-data; boundary="));
/// ```
#[derive(Clone)]
pub struct Form {
    boundary: String,
    parts: Vec<(String, Part)>,
}

/// One field of a [`Form`]: its bytes, and optionally a file name and a type.
#[derive(Clone)]
pub struct Part {
    data: Bytes,
    file_name: Option<String>,
    mime: Option<String>,
}

impl Form {
    /// An empty form with a fresh boundary.
    pub fn new() -> Form {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = web_time::SystemTime::now()
            .duration_since(web_time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let unique = nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32);
        Form {
            boundary: format!("unifetch-boundary-{unique:016x}"),
            parts: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(self, name: impl Into<String>, value: impl Into<String>) -> Form {
        self.part(name, Part::text(value))
    }

    /// Adds any part.
    pub fn part(mut self, name: impl Into<String>, part: Part) -> Form {
        self.parts.push((name.into(), part));
        self
    }

    /// The `Content-Type` header this body needs.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The encoded body.
    pub(crate) fn into_bytes(self) -> Bytes {
        let mut body = BytesMut::new();
        for (name, part) in &self.parts {
            body.put_slice(format!("--{}\r\n", self.boundary).as_bytes());
            let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", escape(name));
            if let Some(file_name) = &part.file_name {
                disposition.push_str(&format!("; filename=\"{}\"", escape(file_name)));
            }
            body.put_slice(disposition.as_bytes());
            body.put_slice(b"\r\n");
            if let Some(mime) = &part.mime {
                body.put_slice(format!("Content-Type: {}\r\n", mime.replace(['\r', '\n'], " ")).as_bytes());
            }
            body.put_slice(b"\r\n");
            body.put_slice(&part.data);
            body.put_slice(b"\r\n");
        }
        body.put_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        body.freeze()
    }
}

impl Default for Form {
    fn default() -> Form {
        Form::new()
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.parts.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Form").field("parts", &names).finish()
    }
}

impl Part {
    /// A text part.
    pub fn text(value: impl Into<String>) -> Part {
        Part::bytes(value.into())
    }

    /// A part with raw bytes.
    pub fn bytes(data: impl Into<Bytes>) -> Part {
        Part {
            data: data.into(),
            file_name: None,
            mime: None,
        }
    }

    /// Sends the part as a file with this name.
    pub fn file_name(mut self, name: impl Into<String>) -> Part {
        self.file_name = Some(name.into());
        self
    }

    /// The part's `Content-Type`.
    pub fn mime(mut self, mime: impl Into<String>) -> Part {
        self.mime = Some(mime.into());
        self
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Part")
            .field("len", &self.data.len())
            .field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .finish()
    }
}

/// Names and file names as the HTML standard encodes them in
/// `Content-Disposition`: `"`, CR and LF percent-encoded.
fn escape(text: &str) -> String {
    text.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_framed_by_the_boundary() {
        let form = Form::new()
            .text("a\"b", "1")
            .part("f", Part::bytes(&b"xyz"[..]).file_name("x.txt").mime("text/plain"));
        let boundary = form.boundary.clone();
        let body = String::from_utf8(form.into_bytes().to_vec()).unwrap();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"a%22b\"\r\n\r\n1\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nxyz\r\n--{boundary}--\r\n"
        );
        assert_eq!(body, expected);
        assert_ne!(Form::new().boundary, Form::new().boundary);
    }
}
