//! `-d/--download`: the body streamed to a file in constant memory, with
//! a progress bar on stderr; `-c/--continue` resumes a partial file with
//! `Range`, starts over when the server ignores it, is done when the
//! server says the file is whole (416), and refuses a 206 from another
//! byte than asked for.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use unifetch::header::{CONTENT_DISPOSITION, CONTENT_RANGE};
use unifetch::{Response, StatusCode};

/// What a download did.
pub(crate) enum Saved {
    /// The body was written: `bytes` is what the file holds now.
    Written { path: PathBuf, bytes: u64 },
    /// `-c` on a file the server says is whole (a 416 whose
    /// `Content-Range` is the file's size): nothing to do.
    AlreadyComplete { path: PathBuf, bytes: u64 },
}

/// Why a body was not saved.
pub(crate) enum NotSaved {
    /// The response was not a 2xx.
    Status(StatusCode),
    /// The file could not be written, or flags do not go together.
    File(String),
    /// The body broke off (a timeout, a reset…).
    Body(unifetch::Error),
}

/// Where the body goes, and from which byte a resumed download asks.
pub(crate) struct Target {
    /// `-o`: the file, or `None` for a name from the response.
    output: Option<PathBuf>,
    /// `-c`: the size of the partial file, asked for as `Range: bytes=N-`.
    pub(crate) resume_from: Option<u64>,
}

impl Target {
    /// The target the flags describe; `-c` needs `-o` (the file to go on with).
    pub(crate) fn new(output: Option<PathBuf>, resume: bool) -> Result<Target, String> {
        let resume_from = match (&output, resume) {
            (None, true) => return Err("--continue needs --output (the file to go on with)".to_owned()),
            (Some(path), true) => std::fs::metadata(path)
                .ok()
                .map(|meta| meta.len())
                .filter(|len| *len > 0),
            (_, false) => None,
        };
        Ok(Target { output, resume_from })
    }

    /// Saves the body of `response` (a 2xx; with `-c`, a 416 naming the
    /// file's size is a file complete already) and says where, and how
    /// many bytes the file holds; a body cut short is an error after the
    /// bytes that came were written.
    pub(crate) async fn save(&self, response: &mut Response) -> Result<Saved, NotSaved> {
        let status = response.status();
        if let (Some(path), Some(from)) = (&self.output, self.resume_from) {
            if status == StatusCode::RANGE_NOT_SATISFIABLE && complete_length(response) == Some(from) {
                return Ok(Saved::AlreadyComplete {
                    path: path.clone(),
                    bytes: from,
                });
            }
        }
        if !status.is_success() {
            return Err(NotSaved::Status(status));
        }
        let resumed = match self.resume_from {
            Some(from) if status == StatusCode::PARTIAL_CONTENT => match range_start(response) {
                Some(start) if start == from => Some(from),
                // Appending it would make a file of pieces out of order.
                start => {
                    return Err(NotSaved::File(format!(
                        "asked for bytes {from}- and got a 206 from byte {}: the file is left as it was",
                        start.map_or_else(|| "?".to_owned(), |start| start.to_string())
                    )))
                }
            },
            Some(_) => {
                eprintln!("unifetch: the server sent the whole body (not a 206 from the file's end): starting over");
                None
            }
            None => None,
        };
        let (path, file) = match (&self.output, resumed) {
            (Some(path), Some(_)) => (path.clone(), OpenOptions::new().append(true).open(path)),
            (Some(path), None) => (path.clone(), File::create(path)),
            (None, _) => create_unused(&suggested_name(response)),
        };
        let file = file.map_err(|e| NotSaved::File(format!("cannot write {}: {e}", path.display())))?;
        let mut file = BufWriter::with_capacity(256 << 10, file);
        let already = resumed.unwrap_or(0);
        let bar = progress_bar(already, response.content_length().map(|length| length + already));
        let mut written = already;
        let copied = async {
            let cannot_write = |e: std::io::Error| NotSaved::File(format!("cannot write {}: {e}", path.display()));
            while let Some(chunk) = response.chunk().await.map_err(NotSaved::Body)? {
                file.write_all(&chunk).map_err(cannot_write)?;
                written += chunk.len() as u64;
                bar.set_position(written);
            }
            file.flush().map_err(cannot_write)
        }
        .await;
        bar.finish_and_clear();
        copied?;
        Ok(Saved::Written { path, bytes: written })
    }
}

/// Where the part in a 206 starts: `Content-Range: bytes START-END/TOTAL`.
fn range_start(response: &Response) -> Option<u64> {
    content_range(response)?
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// The whole length a 416 gives: `Content-Range: bytes */TOTAL`.
fn complete_length(response: &Response) -> Option<u64> {
    content_range(response)?.strip_prefix("bytes */")?.parse().ok()
}

fn content_range(response: &Response) -> Option<&str> {
    response.headers().get(CONTENT_RANGE)?.to_str().ok()
}

/// The file name `Content-Disposition` offers, or the URL's last segment,
/// or `index`; never a path (anything up to the last `/` or `\` goes) nor
/// a hidden file (leading dots go: no `.bashrc` from a server), nor a
/// name with control characters.
fn suggested_name(response: &Response) -> String {
    let offered = response
        .headers()
        .get(CONTENT_DISPOSITION)
        .and_then(|value| value.to_str().ok())
        .and_then(offered_name);
    let from_url = response
        .url()
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        });
    [offered, from_url]
        .into_iter()
        .flatten()
        .map(|name| {
            let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
            base.trim_start_matches('.').to_owned()
        })
        // Decoded names may hold escapes for the terminal, or a NUL.
        .find(|name| !name.is_empty() && !name.chars().any(char::is_control))
        .unwrap_or_else(|| "index".to_owned())
}

/// The name a `Content-Disposition` value offers (RFC 6266): `filename*`
/// (RFC 8187: `UTF-8''` and percent-encoded bytes) before `filename` (a
/// token or a quoted string, which may hold `;` and `\"`).
fn offered_name(value: &str) -> Option<String> {
    let mut plain = None;
    let mut rest = value.split_once(';')?.1;
    while let Some((name, after)) = rest.split_once('=') {
        let (text, next) = match after.trim_start().strip_prefix('"') {
            Some(quoted) => unquote(quoted),
            None => {
                let (token, next) = after.split_once(';').unwrap_or((after, ""));
                (token.trim().to_owned(), next)
            }
        };
        match name.trim().to_ascii_lowercase().as_str() {
            // One that cannot be read leaves `filename` to count (§4.3).
            "filename*" => {
                if let Some(decoded) = extended_value(&text) {
                    return Some(decoded);
                }
            }
            "filename" => plain = Some(text),
            _ => {}
        }
        rest = next.trim_start().strip_prefix(';').unwrap_or(next);
    }
    plain
}

/// An RFC 8187 value, `UTF-8'LANG'percent-encoded` (or ISO-8859-1);
/// `None` for other charsets and bytes that are not their text.
fn extended_value(text: &str) -> Option<String> {
    let (charset, rest) = text.split_once('\'')?;
    let encoded = rest.split_once('\'')?.1;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    match charset.to_ascii_lowercase().as_str() {
        "utf-8" => String::from_utf8(bytes).ok(),
        // Each byte is its code point.
        "iso-8859-1" => Some(bytes.into_iter().map(char::from).collect()),
        _ => None,
    }
}

/// A quoted string after its opening quote: its text, and what follows
/// its closing quote.
fn unquote(quoted: &str) -> (String, &str) {
    let mut text = String::new();
    let mut chars = quoted.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (text, &quoted[at + 1..]),
            '\\' => text.extend(chars.next().map(|(_, escaped)| escaped)),
            c => text.push(c),
        }
    }
    (text, "")
}

/// Creates `name`, or `name-1`, `name-2`… (as httpie): the first that
/// does not exist, made with `create_new` so that nothing in place (a file,
/// a symlink planted there) is written through.
fn create_unused(name: &str) -> (PathBuf, std::io::Result<File>) {
    let mut last = (PathBuf::from(name), Err(std::io::ErrorKind::AlreadyExists.into()));
    let candidates =
        std::iter::once(PathBuf::from(name)).chain((1..10_000).map(|n| PathBuf::from(format!("{name}-{n}"))));
    for path in candidates {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = (path, Err(e)),
            opened => return (path, opened),
        }
    }
    last
}

/// Bytes, rate and ETA on stderr when it is a terminal; nothing otherwise.
fn progress_bar(position: u64, total: Option<u64>) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(total, target);
    let template = if total.is_some() {
        "{bytes}/{total_bytes} {wide_bar} {bytes_per_sec} ETA {eta}"
    } else {
        "{bytes} {bytes_per_sec}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_position(position);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_names_as_rfc_6266_writes_them() {
        let cases = [
            ("attachment; filename=plain.txt", Some("plain.txt")),
            ("attachment; filename=\"a; b \\\"c\\\".txt\"", Some("a; b \"c\".txt")),
            (
                "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
                Some("€ rates.txt"),
            ),
            (
                "attachment; filename*=iso-8859-1'en'%A3%20rates.txt",
                Some("£ rates.txt"),
            ),
            ("attachment; FILENAME=\"upper.bin\"", Some("upper.bin")),
            ("attachment; filename=good.txt; filename*=junk", Some("good.txt")),
            (
                "attachment; filename=good.txt; filename*=Shift_JIS''%82%A0",
                Some("good.txt"),
            ),
            ("attachment; filename*=UTF-8''%FF%FE", None),
            ("attachment", None),
            ("inline; size=10", None),
        ];
        for (value, name) in cases {
            assert_eq!(offered_name(value).as_deref(), name, "{value}");
        }
    }

    #[test]
    fn a_taken_name_or_a_planted_symlink_gets_a_number() {
        let dir = std::env::temp_dir().join(format!("unifetch-unused-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let name = dir.join("file.tar.gz");
        let (first, opened) = create_unused(&name.to_string_lossy());
        assert!(opened.is_ok());
        assert_eq!(first, name);
        let (second, _) = create_unused(&name.to_string_lossy());
        assert_eq!(second, dir.join("file.tar.gz-1"));
        // A dangling symlink is not followed.
        let target = dir.join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.join("link")).unwrap();
        let (path, _) = create_unused(&dir.join("link").to_string_lossy());
        assert_eq!(path, dir.join("link-1"));
        assert!(!target.exists(), "nothing was written through the link");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
