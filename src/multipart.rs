//! [`Form`]: `multipart/form-data` bodies, with text fields and files,
//! in memory or streamed.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use http_body::{Frame, SizeHint};

use crate::{Body, Error};

/// A `multipart/form-data` body, sent with
/// [`RequestBuilder::multipart`](crate::RequestBuilder::multipart).
///
/// A form whose parts are all in memory is sent whole (and so again on a
/// redirect or a retry); one with a [streamed](Part::stream) part is sent as
/// it is read, with a `Content-Length` when every streamed part's length is
/// known.
///
/// ```
/// use unifetch::multipart::{Form, Part};
/// let form = Form::new()
///     .text("title", "西游记")
///     .part("cover", Part::bytes(vec![0x89, b'P', b'N', b'G']).file_name("cover.png").mime("image/png"));
/// assert!(form.content_type().starts_with("multipart/form-data; boundary="));
/// ```
pub struct Form {
    boundary: String,
    parts: Vec<(String, Part)>,
}

/// One field of a [`Form`]: its content, and optionally a file name and a type.
pub struct Part {
    data: Data,
    file_name: Option<String>,
    mime: Option<String>,
}

/// A part's content.
enum Data {
    Bytes(Bytes),
    /// Read as the form is sent (its size hint is exact when its length is known).
    Stream(Body),
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

    /// The encoded body: whole when every part is in memory, else a
    /// stream of the framing and the parts in turn.
    pub(crate) fn into_body(self) -> Body {
        let mut segments = VecDeque::new();
        let mut framing = BytesMut::new();
        for (name, part) in self.parts {
            framing.put_slice(format!("--{}\r\n", self.boundary).as_bytes());
            let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", escape(&name));
            if let Some(file_name) = &part.file_name {
                disposition.push_str(&format!("; filename=\"{}\"", escape(file_name)));
            }
            framing.put_slice(disposition.as_bytes());
            framing.put_slice(b"\r\n");
            if let Some(mime) = &part.mime {
                framing.put_slice(format!("Content-Type: {}\r\n", mime.replace(['\r', '\n'], " ")).as_bytes());
            }
            framing.put_slice(b"\r\n");
            match part.data {
                Data::Bytes(bytes) => framing.put_slice(&bytes),
                Data::Stream(body) => match body.as_bytes() {
                    // A whole body is framed with the rest: the form stays whole.
                    Some(bytes) => framing.put_slice(bytes),
                    None => {
                        segments.push_back(Segment::Bytes(framing.split().freeze()));
                        segments.push_back(Segment::Stream(body));
                    }
                },
            }
            framing.put_slice(b"\r\n");
        }
        framing.put_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        if segments.is_empty() {
            return Body::from(framing.freeze());
        }
        segments.push_back(Segment::Bytes(framing.freeze()));
        Body::from_http_body(Streamed { segments })
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
        Part::with(Data::Bytes(data.into()))
    }

    /// A part read from `body` as the form is sent, a large file for one,
    /// without holding it in memory (natively: the fetch transport gathers a
    /// request body before it sends it). Its length is the body's own when
    /// it is known, else the form is sent without a `Content-Length`
    /// (chunked over HTTP/1.1). A whole body is simply copied in.
    pub fn stream(body: impl Into<Body>) -> Part {
        Part::with(Data::Stream(body.into()))
    }

    /// A part read from `body` as the form is sent, which gives exactly
    /// `length` bytes: the form then has a `Content-Length`. A body that
    /// gives more or fewer is an error in the `Send` phase.
    ///
    /// ```
    /// use unifetch::multipart::{Form, Part};
    /// use unifetch::Body;
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>("hello "), Ok("world")]);
    /// let form = Form::new().part(
    ///     "file",
    ///     Part::stream_with_length(Body::wrap_stream(chunks), 11).file_name("hello.txt"),
    /// );
    /// # let _ = form;
    /// ```
    pub fn stream_with_length(body: impl Into<Body>, length: u64) -> Part {
        Part::with(Data::Stream(body.into().with_length(length)))
    }

    fn with(data: Data) -> Part {
        Part {
            data,
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
        let len = match &self.data {
            Data::Bytes(bytes) => Some(bytes.len() as u64),
            Data::Stream(body) => http_body::Body::size_hint(body).exact(),
        };
        f.debug_struct("Part")
            .field("len", &len)
            .field("streamed", &matches!(self.data, Data::Stream(_)))
            .field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .finish()
    }
}

/// A form with streamed parts, as it is sent: framing in memory and the
/// parts' bodies in turn.
struct Streamed {
    segments: VecDeque<Segment>,
}

enum Segment {
    Bytes(Bytes),
    Stream(Body),
}

impl http_body::Body for Streamed {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        loop {
            let body = match self.segments.front_mut() {
                None => return Poll::Ready(None),
                Some(Segment::Bytes(bytes)) => {
                    let bytes = std::mem::take(bytes);
                    self.segments.pop_front();
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                Some(Segment::Stream(body)) => body,
            };
            match std::task::ready!(Pin::new(body).poll_frame(cx)) {
                // Trailers of a part mean nothing here.
                Some(Ok(frame)) if !frame.is_data() => continue,
                Some(outcome) => return Poll::Ready(Some(outcome)),
                None => {
                    self.segments.pop_front();
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.segments.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        let mut total = 0;
        for segment in &self.segments {
            total += match segment {
                Segment::Bytes(bytes) => bytes.len() as u64,
                Segment::Stream(body) => match http_body::Body::size_hint(body).exact() {
                    Some(length) => length,
                    None => return SizeHint::default(),
                },
            };
        }
        SizeHint::with_exact(total)
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
        let body = form.into_body();
        let body = String::from_utf8(body.as_bytes().expect("in memory").to_vec()).unwrap();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"a%22b\"\r\n\r\n1\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nxyz\r\n--{boundary}--\r\n"
        );
        assert_eq!(body, expected);
        assert_ne!(Form::new().boundary, Form::new().boundary);
    }

    fn chunks(parts: &[&'static str]) -> Body {
        let parts: Vec<Result<&'static str, std::io::Error>> = parts.iter().map(|part| Ok(*part)).collect();
        Body::wrap_stream(futures::stream::iter(parts))
    }

    /// The form's body read whole, and its size hint before reading.
    fn read(form: Form) -> (Result<Bytes, Error>, SizeHint) {
        use http_body_util::BodyExt;
        let body = form.into_body();
        let hint = http_body::Body::size_hint(&body);
        let read = futures::executor::block_on(body.collect()).map(|collected| collected.to_bytes());
        (read, hint)
    }

    #[test]
    fn a_streamed_part_is_framed_as_the_same_part_in_memory() {
        let form = |file: Part| {
            let mut form = Form::new().text("title", "t").part("file", file.file_name("f.txt"));
            form.boundary = "b".to_owned();
            form
        };
        let (whole, whole_hint) = read(form(Part::bytes("hello world")));
        let whole = whole.unwrap();
        assert_eq!(whole_hint.exact(), Some(whole.len() as u64));

        let (known, known_hint) = read(form(Part::stream_with_length(chunks(&["hello ", "world"]), 11)));
        assert_eq!(known.unwrap(), whole);
        assert_eq!(known_hint.exact(), Some(whole.len() as u64), "a Content-Length");

        let (unknown, unknown_hint) = read(form(Part::stream(chunks(&["hello ", "world"]))));
        assert_eq!(unknown.unwrap(), whole);
        assert_eq!(unknown_hint.exact(), None, "no Content-Length");

        let whole_as_stream = form(Part::stream("hello world")).into_body();
        assert_eq!(
            whole_as_stream.as_bytes(),
            Some(&whole[..]),
            "a whole body keeps the form whole"
        );
    }

    #[test]
    fn a_streamed_part_that_lies_about_its_length_is_an_error() {
        for (given, declared, says) in [(&["hello ", "world"], 5, "more"), (&["hel", "lo"], 11, "fewer")] {
            let form = Form::new().part("file", Part::stream_with_length(chunks(given), declared));
            let error = read(form).0.unwrap_err();
            assert_eq!(error.phase(), Some(crate::Phase::Send), "{error}");
            let message = format!("{error:#}");
            assert!(message.contains(says), "{message}");
        }
    }
}
