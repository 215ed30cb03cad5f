//! Native test support: the test site, started once per test binary on its
//! own thread and runtime, so every `#[tokio::test]` can use it.

#![allow(dead_code, unreachable_pub)]

pub mod daemon;
pub mod openssl;
pub mod socks;
pub mod squid;
pub mod stunnel;
pub mod tinyproxy;
pub mod tls;

use std::sync::OnceLock;

/// The base URL of the shared test site, `http://127.0.0.1:PORT`.
pub fn site_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let (ready, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime for the test site");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                ready.send(listener.local_addr().expect("address")).expect("send");
                unifetch_native::site::serve(listener, unifetch_native::site::router())
                    .await
                    .expect("serve");
            });
        });
        format!("http://{}", address.recv().expect("the site starts"))
    })
}

/// The test site on `localhost` whichever way the machine resolves it: one
/// port on both 127.0.0.1 and ::1 (when the machine has IPv6 loopback).
/// `http://localhost:PORT`.
pub fn site_on_localhost() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let (ready, port) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime for the test site");
            runtime.block_on(async move {
                let (v4, v6) = loop {
                    let v4 = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                    let port = v4.local_addr().expect("address").port();
                    match tokio::net::TcpListener::bind(("::1", port)).await {
                        Ok(v6) => break (v4, Some(v6)),
                        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                        Err(_) => break (v4, None),
                    }
                };
                ready.send(v4.local_addr().expect("address").port()).expect("send");
                let router = unifetch_native::site::router();
                if let Some(v6) = v6 {
                    tokio::spawn(unifetch_native::site::serve(v6, router.clone()));
                }
                unifetch_native::site::serve(v4, router).await.expect("serve");
            });
        });
        format!("http://localhost:{}", port.recv().expect("the site starts"))
    })
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A listener on 127.0.0.1 (or ::1) whose accept queue is full, so that a
/// new connection to it never completes: a connect timeout made on
/// loopback. Keep it (and its filler connections) alive for the duration
/// of the test.
pub struct SaturatedListener {
    pub port: u16,
    _listener: socket2::Socket,
    _fillers: Vec<socket2::Socket>,
}

impl SaturatedListener {
    pub fn new() -> SaturatedListener {
        SaturatedListener::on("127.0.0.1".parse().unwrap())
    }

    pub fn on(ip: std::net::IpAddr) -> SaturatedListener {
        SaturatedListener::try_on(ip).unwrap_or_else(|e| panic!("cannot listen on {ip}: {e}"))
    }

    /// As [`on`](Self::on), or why `ip` cannot be listened on (no IPv6
    /// loopback in some containers).
    pub fn try_on(ip: std::net::IpAddr) -> std::io::Result<SaturatedListener> {
        use socket2::{Domain, SockAddr, Socket, Type};
        let domain = if ip.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
        let listener = Socket::new(domain, Type::STREAM, None)?;
        let any = std::net::SocketAddr::new(ip, 0);
        listener.bind(&SockAddr::from(any))?;
        listener.listen(0).expect("listen");
        let addr = listener.local_addr().expect("address");
        let port = addr.as_socket().expect("an inet address").port();
        let mut fillers = Vec::new();
        // Fill the accept queue until a connection attempt stops completing.
        for _ in 0..64 {
            let filler = Socket::new(domain, Type::STREAM, None).expect("socket");
            match filler.connect_timeout(&addr, std::time::Duration::from_millis(200)) {
                Ok(()) => fillers.push(filler),
                Err(_) => {
                    return Ok(SaturatedListener {
                        port,
                        _listener: listener,
                        _fillers: fillers,
                    });
                }
            }
        }
        panic!("the accept queue of {ip}:{port} never filled up");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}
