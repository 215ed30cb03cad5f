//! Faults in HTTP/1.1 itself, which a well-behaved server such as axum can
//! never produce: connections reset before or inside the head, broken
//! framing (chunked encoding cut or malformed, a `Content-Length` smaller
//! than the body), heads that are huge or hold invalid bytes, a `100
//! Continue` before the response, a body that never ends, and a body that
//! lies about its encoding.
//!
//! It listens on a port of its own, started with the site; the site says
//! where at `/fault/raw` (`{"base": "http://127.0.0.1:PORT"}`). Each path
//! is one case, `GET /{case}`; every response it completes carries CORS
//! headers so that browser code may read it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The cases, by path, with what each sends.
pub const CASES: &[(&str, &str)] = &[
    ("reset-before-head", "reads the request, then resets the connection"),
    ("reset-mid-head", "half a status line and header, then a reset"),
    ("reset-mid-body", "Content-Length: 100, 10 bytes, then a reset"),
    ("length-shorter-than-body", "Content-Length: 5 and a body of 20 bytes"),
    ("chunked-cut", "a chunked body that ends without its last chunk"),
    ("chunked-malformed", "a chunk size that is not hexadecimal"),
    ("huge-header-block", "20,000 headers of 50 bytes (1 MB of head)"),
    ("huge-header", "one header of 1 MB"),
    ("invalid-header-bytes", "a header value with a NUL byte"),
    ("continue-first", "100 Continue, then 200 with a body"),
    ("endless-body", "a chunked body that never ends (64 KiB chunks)"),
    ("lying-encoding", "Content-Encoding: gzip on a plain-text body"),
];

const CORS: &str = "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: *\r\n";

/// Starts the fault server on a free port of 127.0.0.1, in the current
/// tokio runtime, for as long as the runtime lives.
pub async fn start() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    Ok(addr)
}

/// Reads one request head and answers with the case its path names.
async fn serve(mut stream: TcpStream) {
    let Some(path) = read_request_path(&mut stream).await else {
        return;
    };
    let case = path
        .trim_start_matches('/')
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let _ = answer(&mut stream, &case).await;
}

async fn answer(stream: &mut TcpStream, case: &str) -> std::io::Result<()> {
    match case {
        "reset-before-head" => reset(stream),
        "reset-mid-head" => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await?;
            stream.flush().await?;
            pause().await;
            reset(stream)
        }
        "reset-mid-body" => {
            let head = format!("HTTP/1.1 200 OK\r\n{CORS}Content-Length: 100\r\n\r\n0123456789");
            stream.write_all(head.as_bytes()).await?;
            stream.flush().await?;
            pause().await;
            reset(stream)
        }
        "length-shorter-than-body" => {
            let text = format!("HTTP/1.1 200 OK\r\n{CORS}Content-Length: 5\r\n\r\nfirstAND-FIFTEEN-MORE");
            stream.write_all(text.as_bytes()).await
        }
        "chunked-cut" => {
            let text = format!("HTTP/1.1 200 OK\r\n{CORS}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            stream.write_all(text.as_bytes()).await?;
            stream.shutdown().await
        }
        "chunked-malformed" => {
            let text = format!("HTTP/1.1 200 OK\r\n{CORS}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
            stream.write_all(text.as_bytes()).await?;
            stream.shutdown().await
        }
        "huge-header-block" => {
            let mut head = format!("HTTP/1.1 200 OK\r\n{CORS}");
            for n in 0..20_000 {
                head.push_str(&format!("X-Filler-{n:05}: {}\r\n", "y".repeat(32)));
            }
            head.push_str("Content-Length: 2\r\n\r\nok");
            stream.write_all(head.as_bytes()).await
        }
        "huge-header" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\n{CORS}X-Huge: {}\r\nContent-Length: 2\r\n\r\nok",
                "z".repeat(1 << 20)
            );
            stream.write_all(head.as_bytes()).await
        }
        "invalid-header-bytes" => {
            let head = format!("HTTP/1.1 200 OK\r\n{CORS}X-Bad: a\0b\r\nContent-Length: 2\r\n\r\nok");
            stream.write_all(head.as_bytes()).await
        }
        "continue-first" => {
            let text = format!("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n{CORS}Content-Length: 5\r\n\r\nafter");
            stream.write_all(text.as_bytes()).await
        }
        "endless-body" => {
            let head =
                format!("HTTP/1.1 200 OK\r\n{CORS}Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            let chunk = format!("10000\r\n{}\r\n", "e".repeat(1 << 16));
            loop {
                stream.write_all(chunk.as_bytes()).await?;
            }
        }
        "lying-encoding" => {
            let text = format!(
                "HTTP/1.1 200 OK\r\n{CORS}Content-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: 26\r\n\r\nthis is not gzip, at all!\n"
            );
            stream.write_all(text.as_bytes()).await
        }
        _ => {
            let list: Vec<&str> = CASES.iter().map(|(name, _)| *name).collect();
            let body = format!("no such case; the cases: {}\n", list.join(", "));
            let text = format!(
                "HTTP/1.1 404 Not Found\r\n{CORS}Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(text.as_bytes()).await
        }
    }
}

/// Lets what was written reach the client before the reset.
async fn pause() {
    tokio::time::sleep(Duration::from_millis(30)).await;
}

/// Closes the connection with a TCP reset (no FIN).
fn reset(stream: &TcpStream) -> std::io::Result<()> {
    stream.set_zero_linger()
}

/// The path of the request line, once the whole head has been read.
async fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 || head.len() > 64 << 10 {
            return None;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = head.split(|&byte| byte == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    line.split(' ').nth(1).map(str::to_owned)
}
