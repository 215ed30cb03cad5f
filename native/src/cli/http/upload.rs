//! Request bodies from stdin and from files, read as they are sent: a
//! thread reads 64 KiB at a time, at most a few chunks ahead of the
//! connection, so an upload of any size takes the same memory. A regular
//! file (or stdin redirected from one) is sent with its `Content-Length`;
//! a pipe in chunks.

use std::fs::File;
use std::io::{Read, Seek};
use std::os::fd::AsFd;
use std::path::Path;

use bytes::Bytes;
use unifetch::Body;

/// How much a reading thread reads at once.
const CHUNK: usize = 64 << 10;

/// How many chunks a reading thread may be ahead of the connection.
const AHEAD: usize = 4;

/// A piped or redirected stdin of which the first chunk has been read (to
/// tell an empty stdin, which is no body, from a body).
pub(crate) struct Stdin {
    first: Vec<u8>,
}

impl Stdin {
    /// Reads the first chunk of stdin; `None` when it is empty.
    pub(crate) fn open() -> std::io::Result<Option<Stdin>> {
        let mut first = vec![0; CHUNK];
        let read = read_some(&mut std::io::stdin().lock(), &mut first)?;
        first.truncate(read);
        Ok((read > 0).then_some(Stdin { first }))
    }

    /// The rest of stdin read into memory after the first chunk.
    pub(crate) fn into_bytes(self) -> std::io::Result<Vec<u8>> {
        let mut all = self.first;
        std::io::stdin().lock().read_to_end(&mut all)?;
        Ok(all)
    }

    /// Stdin as a body read as it is sent, with its length when stdin is
    /// a regular file.
    pub(crate) fn into_body(self) -> Body {
        let left = stdin_file().and_then(|mut file| {
            let length = file.metadata().ok().filter(|metadata| metadata.is_file())?.len();
            Some(length.saturating_sub(file.stream_position().ok()?))
        });
        let length = left.map(|left| left + self.first.len() as u64);
        sized(read_on_a_thread(std::io::stdin(), self.first), length)
    }
}

/// The file at `path` as a body read as it is sent, of its length.
pub(crate) fn file(path: &Path) -> std::io::Result<Body> {
    let file = File::open(path)?;
    let length = file.metadata()?.len();
    Ok(read_on_a_thread(file, Vec::new()).with_length(length))
}

fn sized(body: Body, length: Option<u64>) -> Body {
    match length {
        Some(length) => body.with_length(length),
        None => body,
    }
}

/// A file for stdin's descriptor (sharing its offset), to ask its type,
/// size and position.
fn stdin_file() -> Option<File> {
    std::io::stdin().as_fd().try_clone_to_owned().ok().map(File::from)
}

/// Reads into `buffer` once, again when interrupted by a signal.
fn read_some(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match reader.read(buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            outcome => return outcome,
        }
    }
}

/// A body of `first`, then what `reader` gives, read on a thread of its
/// own. The thread ends when the reader does, fails, or the body is dropped.
fn read_on_a_thread(mut reader: impl Read + Send + 'static, first: Vec<u8>) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(AHEAD);
    std::thread::spawn(move || {
        if !first.is_empty() && sender.blocking_send(Ok(first.into())).is_err() {
            return;
        }
        loop {
            let mut chunk = vec![0; CHUNK];
            let outcome = match read_some(&mut reader, &mut chunk) {
                Ok(0) => return,
                Ok(read) => {
                    chunk.truncate(read);
                    Ok(Bytes::from(chunk))
                }
                Err(e) => Err(e),
            };
            let failed = outcome.is_err();
            if sender.blocking_send(outcome).is_err() || failed {
                return;
            }
        }
    });
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((chunk, receiver))
    });
    Body::wrap_stream(chunks)
}
