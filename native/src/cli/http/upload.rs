//! Request bodies from stdin and from files. Up to [`IN_MEMORY`] bytes are
//! read first, and a body that ends within them is sent whole (and so again
//! on a retry or a 307/308). A longer one is read as it is sent, by a thread
//! that reads 64 KiB at a time at most a few chunks ahead of the
//! connection, so that an upload of any size takes the same memory; it
//! goes with its `Content-Length` when it is a regular file (or stdin
//! redirected from one), in chunks otherwise.

use std::fs::File;
use std::io::{IsTerminal, Read, Seek};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use unifetch::Body;

/// How much of a body is read into memory to see whether it ends there.
const IN_MEMORY: usize = 1 << 20;

/// How much a reading thread reads at once.
const CHUNK: usize = 64 << 10;

/// How many chunks a reading thread may be ahead of the connection.
const AHEAD: usize = 4;

/// A piped or redirected stdin of which the first [`IN_MEMORY`] bytes have
/// been read.
pub(crate) struct Stdin {
    head: Vec<u8>,
    /// Whether stdin ended within `head`.
    ended: bool,
    /// The whole length, when stdin is a regular file.
    length: Option<u64>,
}

impl Stdin {
    /// Reads the first [`IN_MEMORY`] bytes of stdin; `None` when it is empty.
    pub(crate) fn open() -> std::io::Result<Option<Stdin>> {
        // Asked before reading: the offset of the descriptor counts what
        // std's buffer holds too.
        let length = stdin_file().and_then(|mut file| {
            let metadata = file.metadata().ok().filter(|metadata| metadata.is_file())?;
            metadata.len().checked_sub(file.stream_position().ok()?)
        });
        let mut head = Vec::new();
        std::io::stdin().lock().take(IN_MEMORY as u64).read_to_end(&mut head)?;
        let ended = head.len() < IN_MEMORY;
        Ok((!head.is_empty()).then_some(Stdin { head, ended, length }))
    }

    /// The rest of stdin read into memory.
    pub(crate) fn into_bytes(self) -> std::io::Result<Vec<u8>> {
        let mut all = self.head;
        if !self.ended {
            std::io::stdin().lock().read_to_end(&mut all)?;
        }
        Ok(all)
    }

    /// Stdin as a body: whole if it ended within the first bytes, else
    /// read as it is sent.
    pub(crate) fn into_body(self) -> Body {
        if self.ended {
            return Body::from(self.head);
        }
        // A regular file that does not hold what was already read lies.
        let length = self.length.filter(|length| *length >= self.head.len() as u64);
        sized(read_on_a_thread(|| Ok(std::io::stdin()), self.head), length)
    }
}

/// The file at `path` as a body: whole when it is a regular file of at
/// most [`IN_MEMORY`] bytes (or says it is empty, as those of /proc do),
/// else read as it is sent, opened at the first read (a form of many large
/// files holds no descriptor or thread until it is sent).
pub(crate) fn file(path: &Path) -> std::io::Result<Body> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "a directory"));
    }
    if metadata.is_file() && metadata.len() <= IN_MEMORY as u64 {
        return Ok(Body::from(std::fs::read(path)?));
    }
    let path = PathBuf::from(path);
    let body = read_on_a_thread(move || File::open(path), Vec::new());
    Ok(sized(body, metadata.is_file().then_some(metadata.len())))
}

fn sized(body: Body, length: Option<u64>) -> Body {
    match length {
        Some(length) => body.with_length(length),
        None => body,
    }
}

/// Whether stdin is known to hold nothing without waiting for it: closed,
/// `/dev/null` (a device that is not a terminal), or a file with no byte
/// left at its offset (asked with one positioned read, since /proc files
/// say they are empty and are not). A pipe may always still bring
/// something.
pub(crate) fn stdin_is_empty() -> bool {
    use std::os::unix::fs::{FileExt, FileTypeExt};
    let Some(mut file) = stdin_file() else {
        return true;
    };
    let Ok(kind) = file.metadata().map(|metadata| metadata.file_type()) else {
        return true;
    };
    let mut at_end = || {
        let at = file.stream_position().ok()?;
        file.read_at(&mut [0], at).ok().map(|read| read == 0)
    };
    kind.is_char_device() && !std::io::stdin().is_terminal() || kind.is_file() && at_end() == Some(true)
}

/// A file for stdin's descriptor (sharing its offset), to ask its type,
/// size and position.
fn stdin_file() -> Option<File> {
    std::io::stdin().as_fd().try_clone_to_owned().ok().map(File::from)
}

/// What a reading thread sends: a chunk, or the failure that ended it.
type Chunk = std::io::Result<Bytes>;

/// A body of `first`, then what the reader that `open` gives reads, on a
/// thread of its own started at the body's first read. The thread stops
/// when the reader ends or fails, or at its next read after the body is
/// dropped.
fn read_on_a_thread<R, F>(open: F, first: Vec<u8>) -> Body
where
    R: Read,
    F: FnOnce() -> std::io::Result<R> + Send + 'static,
{
    let mut open = Some((open, first));
    let mut chunks: Option<tokio::sync::mpsc::Receiver<Chunk>> = None;
    let stream = futures_util::stream::poll_fn(move |cx| {
        if let Some((open, first)) = open.take() {
            let (sender, receiver) = tokio::sync::mpsc::channel(AHEAD);
            std::thread::spawn(move || read_into(open, first, &sender));
            chunks = Some(receiver);
        }
        match &mut chunks {
            Some(receiver) => receiver.poll_recv(cx),
            None => std::task::Poll::Ready(None),
        }
    });
    Body::wrap_stream(stream)
}

/// The reading thread: `first`, then the reader's chunks, into `sender`.
fn read_into<R: Read>(
    open: impl FnOnce() -> std::io::Result<R>,
    first: Vec<u8>,
    sender: &tokio::sync::mpsc::Sender<Chunk>,
) {
    if !first.is_empty() && sender.blocking_send(Ok(first.into())).is_err() {
        return;
    }
    let mut reader = match open() {
        Ok(reader) => reader,
        Err(e) => {
            let _ = sender.blocking_send(Err(e));
            return;
        }
    };
    loop {
        let mut chunk = vec![0; CHUNK];
        let outcome = match reader.read(&mut chunk) {
            Ok(0) => return,
            Ok(read) => {
                chunk.truncate(read);
                Ok(Bytes::from(chunk))
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
        let failed = outcome.is_err();
        if sender.blocking_send(outcome).is_err() || failed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large file is opened when it is sent: one gone by then is an error
    /// of the `Send` phase that names the cause, not an empty upload.
    #[tokio::test]
    async fn a_file_gone_before_it_is_sent_is_a_send_error() {
        let path = std::env::temp_dir().join(format!("unifetch-gone-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; IN_MEMORY + 1]).unwrap();
        let mut body = file(&path).unwrap();
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(IN_MEMORY as u64 + 1));
        std::fs::remove_file(&path).unwrap();
        let error = loop {
            match std::future::poll_fn(|cx| http_body::Body::poll_frame(std::pin::Pin::new(&mut body), cx)).await {
                Some(Ok(_)) => continue,
                Some(Err(error)) => break error,
                None => panic!("the upload ended without an error"),
            }
        };
        assert_eq!(error.phase(), Some(unifetch::Phase::Send), "{error:#}");
        assert!(format!("{error:#}").contains("No such file"), "{error:#}");
    }
}
