//! Native test support: the test site, started once per test binary on its
//! own thread and runtime, so every `#[tokio::test]` can use it.

#![allow(dead_code, unreachable_pub)]

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

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
