//! The keep-alive pool against servers on 127.0.0.1 that count the
//! connections they accept: one connection for sequential requests, as many
//! as requests in flight and no more, one HTTP/2 connection for many
//! streams, a connection closed by the server while idle replaced, and a
//! body dropped unread closing its connection rather than poisoning the
//! next request.
#![cfg(not(target_family = "wasm"))]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use support::tls::{serve_counted, Pki, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use unifetch::{Retry, Session, Version};

/// The test site over plain HTTP/1.1, counting the connections it accepts.
async fn counted_site() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let app = unifetch_native::site::router();
    tokio::spawn(async move {
        while let Ok((tcp, peer)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let app = app.clone().layer(axum::Extension(axum::extract::ConnectInfo(peer)));
            tokio::spawn(async move {
                let service = TowerToHyperService::new(app);
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    (addr, accepted)
}

fn session() -> Session {
    Session::builder().retry(Retry::none()).build().unwrap()
}

async fn get_text(session: &Session, url: &str) -> String {
    let response = session.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn sequential_requests_share_one_connection() {
    let (addr, accepted) = counted_site().await;
    let session = session();
    for _ in 0..20 {
        get_text(&session, &format!("http://{addr}/get")).await;
    }
    // A HEAD and a 204 carry no body: their connection comes back at once.
    let head = session.head(format!("http://{addr}/get")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    drop(head);
    let no_content = session.get(format!("http://{addr}/status/204")).send().await.unwrap();
    assert_eq!(no_content.status(), 204);
    assert!(no_content.bytes().await.unwrap().is_empty());
    get_text(&session, &format!("http://{addr}/get")).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn concurrent_requests_open_one_connection_each_and_reuse_them() {
    let (addr, accepted) = counted_site().await;
    let session = session();
    let url = format!("http://{addr}/delay/0.1");
    for _ in 0..3 {
        join_all((0..8).map(|_| get_text(&session, &url))).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 8, "8 in flight, 3 rounds");
}

#[tokio::test]
async fn a_body_dropped_unread_closes_its_connection_and_the_next_request_works() {
    let (addr, accepted) = counted_site().await;
    let session = session();
    let unread = session
        .get(format!("http://{addr}/stream-bytes/1000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(unread.status(), 200);
    drop(unread);
    let body = get_text(&session, &format!("http://{addr}/get")).await;
    assert!(body.contains("\"url\""), "{body}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "the dropped body's connection was not reused"
    );
    // A body read to its end gives its connection back.
    let whole = session
        .get(format!("http://{addr}/stream-bytes/1000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(whole.bytes().await.unwrap().len(), 1_000_000);
    get_text(&session, &format!("http://{addr}/get")).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

/// A raw TCP server on 127.0.0.1 that counts the connections it accepts
/// and hands each to `serve` on a task of its own.
async fn counted_raw_server<F, Fut>(serve: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(tcp));
        }
    });
    (addr, accepted)
}

/// A server that answers each connection's first request and closes it
/// shortly after, as servers end idle keep-alive connections.
async fn closing_server() -> (SocketAddr, Arc<AtomicUsize>) {
    counted_raw_server(|mut tcp| async move {
        let mut request = Vec::new();
        let mut buffer = [0; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match tcp.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buffer[..n]),
            }
        }
        let _ = tcp
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    })
    .await
}

#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_replaced() {
    let (addr, accepted) = closing_server().await;
    let session = session();
    for _ in 0..3 {
        assert_eq!(get_text(&session, &format!("http://{addr}/")).await, "ok");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn http2_requests_share_one_connection() {
    let pki = Pki::new();
    let (addr, accepted) = serve_counted(&pki, ServerOptions::default()).await;
    let session = Session::builder()
        .retry(Retry::none())
        .tls_root_certificates(pki.ca_pem.clone())
        .build()
        .unwrap();
    let url = format!("https://{addr}/delay/0.1");
    let first = session.get(&url).send().await.unwrap();
    assert_eq!(first.version(), Version::HTTP_2);
    first.bytes().await.unwrap();
    let responses = join_all((0..32).map(|_| session.get(&url).send())).await;
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        response.bytes().await.unwrap();
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "32 streams on the first connection");
}

/// A server that closes every connection as soon as it accepts it: each
/// request fails once with a typed error (a fresh connection is not
/// retried), never loops opening connections.
#[tokio::test]
async fn a_server_that_closes_every_new_connection_is_an_error_not_a_loop() {
    let (addr, accepted) = counted_raw_server(|tcp| async move { drop(tcp) }).await;
    let session = session();
    let sent = tokio::time::timeout(Duration::from_secs(10), session.get(format!("http://{addr}/")).send()).await;
    let error = sent.expect("an answer, not a loop").unwrap_err();
    assert!(error.is_request(), "{error:?}");
    assert!(error.phase().is_some(), "{error}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one connection, not retried");
}

/// How a test server ends a connection when its second request arrives.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ending {
    /// Closed without an answer.
    Close,
    /// Reset without an answer.
    Reset,
    /// Closed inside an answer's head.
    InsideTheHead,
}

/// A server that answers the first request of each connection and ends
/// the connection as `ending` says when the second one arrives: without
/// an answer, it is what a request meets when the server closed a
/// kept-alive connection just as the client reused it.
async fn one_answer_per_connection_server(ending: Ending) -> (SocketAddr, Arc<AtomicUsize>) {
    counted_raw_server(move |mut tcp| async move {
        let mut received = Vec::new();
        let mut buffer = [0; 1024];
        let mut answered = false;
        loop {
            match tcp.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
            let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            if answered {
                match ending {
                    Ending::Close => {}
                    Ending::Reset => {
                        let _ = tcp.set_zero_linger();
                    }
                    Ending::InsideTheHead => {
                        let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Le").await;
                    }
                }
                return;
            }
            received.drain(..end + 4);
            let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
            if tcp.write_all(answer).await.is_err() {
                return;
            }
            answered = true;
        }
    })
    .await
}

/// As browsers, curl and Go do: an idempotent request whose kept-alive
/// connection turns out closed, without a byte of an answer, goes out
/// again on a new connection, whatever the retry policy (here none); a
/// POST or a streamed body does not, nor a request whose answer had begun.
#[tokio::test]
async fn a_request_on_a_connection_the_server_had_closed_goes_again_when_idempotent() {
    for ending in [Ending::Close, Ending::Reset] {
        let (addr, accepted) = one_answer_per_connection_server(ending).await;
        let session = session();
        let url = format!("http://{addr}/");
        assert_eq!(get_text(&session, &url).await, "ok");
        assert_eq!(get_text(&session, &url).await, "ok", "{ending:?}");
        assert_eq!(accepted.load(Ordering::SeqCst), 2, "sent again on a second connection");

        let posted = session.post(&url).body("x").send().await;
        let error = posted.expect_err("a POST is not sent twice");
        assert!(error.is_request(), "{error:?}");
        assert_eq!(error.phase(), Some(unifetch::Phase::Headers), "{error:?}");

        assert_eq!(get_text(&session, &url).await, "ok");
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x"))]);
        let streamed = session.put(&url).body(unifetch::Body::wrap_stream(chunks)).send().await;
        assert!(streamed.expect_err("a stream is not sent twice").is_request());
        assert_eq!(accepted.load(Ordering::SeqCst), 3, "{ending:?}");
    }

    let (addr, accepted) = one_answer_per_connection_server(Ending::InsideTheHead).await;
    let session = session();
    let url = format!("http://{addr}/");
    assert_eq!(get_text(&session, &url).await, "ok");
    let cut = session.get(&url).send().await.expect_err("a head cut short");
    assert!(cut.is_request(), "{cut:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "not sent again once the answer had begun"
    );
}
