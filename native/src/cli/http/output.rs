//! What a request prints and how: the parts `--print` chooses, coloured
//! and formatted as `--pretty` says, the body streamed in constant memory.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use unifetch::{HeaderMap, Response, StatusCode};

use super::args::{HttpArgs, Pretty};
use super::json::Json;

/// The most of a JSON body held to format it; a longer one streams as it is.
const FORMAT_LIMIT: usize = 8 << 20;

/// What a terminal shows instead of binary data (httpie's and xh's words).
const BINARY_NOTE: &str = "\n+-----------------------------------------+\n\
                           | NOTE: binary data not shown in terminal |\n\
                           +-----------------------------------------+\n";

/// Which parts of the exchange are printed (`--print HBhbm`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Parts {
    pub(crate) request_head: bool,
    pub(crate) request_body: bool,
    pub(crate) response_head: bool,
    pub(crate) response_body: bool,
    pub(crate) meta: bool,
}

impl Parts {
    /// The parts the flags ask for; by default the response head and body
    /// on a terminal, the body alone otherwise (for pipes: `| jq`).
    pub(crate) fn from_args(args: &HttpArgs, terminal: bool) -> Result<Parts, String> {
        if args.quiet {
            return Ok(Parts::default());
        }
        let letters = match (&args.print, args.verbose, args.headers_only, args.body_only) {
            (Some(letters), ..) => letters.as_str(),
            (None, true, ..) => "HBhb",
            (None, false, true, _) => "h",
            (None, false, false, true) => "b",
            (None, false, false, false) if terminal => "hb",
            (None, ..) => "b",
        };
        let mut parts = Parts::default();
        for letter in letters.chars() {
            match letter {
                'H' => parts.request_head = true,
                'B' => parts.request_body = true,
                'h' => parts.response_head = true,
                'b' => parts.response_body = true,
                'm' => parts.meta = true,
                other => return Err(format!("--print {letters:?}: {other:?} is not one of H, B, h, b, m")),
            }
        }
        Ok(parts)
    }
}

/// How output looks: coloured, formatted (JSON indented), both or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    pub(crate) colors: bool,
    pub(crate) format: bool,
}

impl Look {
    /// `--pretty`, or on a terminal both (no colours under `NO_COLOR`),
    /// and neither when stdout is a pipe or a file.
    pub(crate) fn from_args(pretty: Option<Pretty>, terminal: bool) -> Look {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        match pretty {
            Some(Pretty::All) => Look {
                colors: true,
                format: true,
            },
            Some(Pretty::Colors) => Look {
                colors: true,
                format: false,
            },
            Some(Pretty::Format) => Look {
                colors: false,
                format: true,
            },
            Some(Pretty::None) => Look {
                colors: false,
                format: false,
            },
            None => Look {
                colors: terminal && !no_color,
                format: terminal,
            },
        }
    }
}

/// Whether stdout is a terminal.
pub(crate) fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

const VERSION: Style = AnsiColor::Blue.on_default();
const NAME: Style = AnsiColor::Cyan.on_default();
const KEY: Style = AnsiColor::Blue.on_default().bold();
const STRING: Style = AnsiColor::Green.on_default();
const LITERAL: Style = AnsiColor::Yellow.on_default();

/// Where printed output goes: stdout, or the file `-o` names (without
/// `-d`), shared by everything that prints.
#[derive(Clone, Default)]
pub(crate) enum Sink {
    #[default]
    Stdout,
    File(std::sync::Arc<std::sync::Mutex<std::fs::File>>),
}

impl Sink {
    fn write_all(&self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout => std::io::stdout().lock().write_all(bytes),
            Sink::File(file) => file.lock().unwrap_or_else(|e| e.into_inner()).write_all(bytes),
        }
    }
}

/// Writes to its sink, styled when the look says so; `false` once the
/// sink is closed (`| head`), so that the caller can stop reading.
pub(crate) struct Printer {
    look: Look,
    sink: Sink,
    open: bool,
}

impl Printer {
    pub(crate) fn new(look: Look, sink: Sink) -> Printer {
        Printer { look, sink, open: true }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> bool {
        if self.open {
            self.open = self.sink.write_all(bytes).is_ok();
        }
        self.open
    }

    fn styled(&mut self, style: Style, text: &str) -> bool {
        if self.look.colors {
            self.raw(format!("{style}{text}{style:#}").as_bytes())
        } else {
            self.raw(text.as_bytes())
        }
    }

    /// A head: its first line, then `Name: value` lines and a blank line.
    pub(crate) fn head(&mut self, first_line: &str, status: Option<StatusCode>, headers: &HeaderMap) {
        match (first_line.split_once(' '), status) {
            (Some((version, rest)), Some(status)) if self.look.colors => {
                let style = status_style(status);
                self.styled(VERSION, version);
                self.styled(style, &format!(" {rest}"));
            }
            _ => {
                self.raw(first_line.as_bytes());
            }
        }
        self.raw(b"\n");
        for (name, value) in headers {
            self.styled(NAME, &title_case(name.as_str()));
            self.raw(b": ");
            self.raw(value.as_bytes());
            self.raw(b"\n");
        }
        self.raw(b"\n");
    }

    /// A body held whole (a request's): formatted if it is JSON and the
    /// look says so.
    pub(crate) fn body(&mut self, bytes: &[u8], is_json: bool) {
        if is_json && (self.look.format || self.look.colors) {
            if let Some(json) = std::str::from_utf8(bytes).ok().and_then(|text| Json::parse(text).ok()) {
                self.json(&json);
                return;
            }
        }
        self.raw(bytes);
        if self.look.format && !bytes.ends_with(b"\n") && !bytes.is_empty() {
            self.raw(b"\n");
        }
    }

    fn json(&mut self, value: &Json<'_>) {
        let mut text = Vec::new();
        let indent = if self.look.format { "    " } else { "" };
        let formatter = JsonLook {
            colors: self.look.colors,
            in_key: false,
            inner: serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes()),
        };
        let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
        if value.serialize(&mut serializer).is_ok() {
            text.push(b'\n');
            self.raw(&text);
        }
    }

    /// The response body as it arrives: a JSON body within
    /// [`FORMAT_LIMIT`] is held and formatted when the look asks for it,
    /// anything else streams through. On a `terminal`, binary data (a chunk
    /// with a NUL byte) is not shown, as in httpie and xh: a note says so
    /// and the rest is not read. A body cut short is an error after the
    /// bytes that came.
    pub(crate) async fn response_body(&mut self, response: &mut Response, terminal: bool) -> unifetch::Result<()> {
        let is_json = response.content_type().is_some_and(|ct| ct.is_json());
        let mut held = Vec::new();
        let mut streaming = !(is_json && (self.look.format || self.look.colors));
        while let Some(chunk) = response.chunk().await? {
            if terminal && chunk.contains(&0) {
                self.raw(&std::mem::take(&mut held));
                self.raw(BINARY_NOTE.as_bytes());
                return Ok(());
            }
            if streaming {
                self.raw(&chunk);
            } else if held.len() + chunk.len() > FORMAT_LIMIT {
                streaming = true;
                self.raw(&std::mem::take(&mut held));
                self.raw(&chunk);
            } else {
                held.extend_from_slice(&chunk);
            }
            if !self.open {
                return Ok(());
            }
        }
        if !streaming {
            self.body(&held, true);
        }
        Ok(())
    }
}

fn status_style(status: StatusCode) -> Style {
    let color = match status.as_u16() {
        200..=299 => AnsiColor::Green,
        300..=399 => AnsiColor::Yellow,
        _ => AnsiColor::Red,
    };
    color.on_default().bold()
}

/// `content-type` as `Content-Type`, as servers usually spell it.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// serde_json's pretty formatter with keys, strings and literals styled.
struct JsonLook<'a> {
    colors: bool,
    in_key: bool,
    inner: serde_json::ser::PrettyFormatter<'a>,
}

impl JsonLook<'_> {
    fn paint<W: ?Sized + Write>(
        &self,
        out: &mut W,
        style: Style,
        write: impl FnOnce(&mut W) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if self.colors {
            write!(out, "{style}")?;
            write(out)?;
            write!(out, "{style:#}")
        } else {
            write(out)
        }
    }
}

impl serde_json::ser::Formatter for JsonLook<'_> {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.inner.begin_array(out)
    }
    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.inner.end_array(out)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.inner.begin_array_value(out, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.inner.end_array_value(out)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.inner.begin_object(out)
    }
    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.inner.end_object(out)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.inner.begin_object_key(out, first)?;
        self.in_key = true;
        if self.colors {
            write!(out, "{KEY}")?;
        }
        Ok(())
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.in_key = false;
        if self.colors {
            write!(out, "{KEY:#}")?;
        }
        Ok(())
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.inner.begin_object_value(out)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.inner.end_object_value(out)
    }
    fn begin_string<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        // Keys are painted whole by begin_object_key; values here.
        if self.colors && !self.in_key {
            write!(out, "{STRING}")?;
        }
        out.write_all(b"\"")
    }
    fn end_string<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b"\"")?;
        if self.colors && !self.in_key {
            write!(out, "{STRING:#}")?;
        }
        Ok(())
    }
    fn write_null<W: ?Sized + Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.paint(out, LITERAL, |out| out.write_all(b"null"))
    }
    fn write_bool<W: ?Sized + Write>(&mut self, out: &mut W, value: bool) -> std::io::Result<()> {
        self.paint(out, LITERAL, |out| write!(out, "{value}"))
    }
    fn write_i64<W: ?Sized + Write>(&mut self, out: &mut W, value: i64) -> std::io::Result<()> {
        self.paint(out, LITERAL, |out| write!(out, "{value}"))
    }
    fn write_u64<W: ?Sized + Write>(&mut self, out: &mut W, value: u64) -> std::io::Result<()> {
        self.paint(out, LITERAL, |out| write!(out, "{value}"))
    }
    fn write_f64<W: ?Sized + Write>(&mut self, out: &mut W, value: f64) -> std::io::Result<()> {
        self.paint(out, LITERAL, |out| write!(out, "{value}"))
    }
    fn write_number_str<W: ?Sized + Write>(&mut self, out: &mut W, value: &str) -> std::io::Result<()> {
        self.paint(out, LITERAL, |out| out.write_all(value.as_bytes()))
    }
    /// A number as it was written (see [`Json`]).
    fn write_raw_fragment<W: ?Sized + Write>(&mut self, out: &mut W, fragment: &str) -> std::io::Result<()> {
        self.paint(out, LITERAL, |out| out.write_all(fragment.as_bytes()))
    }
}

/// Prints `request` as `parts` says: its head (with the `Host` it goes
/// to) and its body when it is held in memory (a note when it is streamed).
pub(crate) fn print_request(printer: &mut Printer, request: &unifetch::Request, parts: Parts) {
    if parts.request_head {
        let url = request.url();
        let mut headers = request.headers().clone();
        if let Some(host) = url.host_str() {
            let host = match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            };
            if let Ok(value) = host.parse() {
                headers.insert(unifetch::header::HOST, value);
            }
        }
        let line = format!(
            "{} {} HTTP/1.1",
            request.method(),
            super::offline::target(request.url())
        );
        printer.head(&line, None, &headers);
    }
    if parts.request_body {
        match request.body().as_bytes() {
            Some([]) => {}
            Some(bytes) => {
                let is_json = request
                    .headers()
                    .get(unifetch::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .is_some_and(|value| value.contains("json"));
                printer.body(bytes, is_json);
                printer.raw(b"\n");
            }
            // A file or stdin, read as it is sent.
            None => {
                printer.raw(b"[the body is streamed as it is read, not shown]\n\n");
            }
        }
    }
}

/// The first line of a response head: `HTTP/1.1 200 OK`.
pub(crate) fn status_line(response: &Response) -> String {
    let version = match response.version() {
        unifetch::Version::HTTP_2 => "HTTP/2".to_owned(),
        unifetch::Version::HTTP_3 => "HTTP/3".to_owned(),
        other => format!("{other:?}"),
    };
    let status = response.status();
    format!(
        "{version} {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-a-b"), "X-A-B");
        assert_eq!(title_case("etag"), "Etag");
    }
}
