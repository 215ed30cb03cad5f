//! [`TestServer`]: any axum `Router` on `127.0.0.1:0`, with a unifetch
//! [`Session`] pointed at it — aiohttp's `aiohttp_client` fixture for Rust.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::sync::oneshot;
use unifetch::{Session, SessionBuilder};

/// A server running in the background until dropped.
///
/// ```no_run
/// use axum::{routing::get, Router};
/// use unifetch_native::TestServer;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let app = Router::new().route("/hello", get(|| async { "hi" }));
/// let server = TestServer::start(app).await?;
/// let text = server.session().get("/hello").send().await?.text().await?;
/// assert_eq!(text, "hi");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// Serves `router` on a free port of 127.0.0.1 (in the current tokio runtime).
    pub async fn start(router: Router) -> io::Result<TestServer> {
        TestServer::start_on("127.0.0.1:0".parse().expect("a valid address"), router).await
    }

    /// Serves `router` on `addr` (port 0 picks a free one).
    pub async fn start_on(addr: SocketAddr, router: Router) -> io::Result<TestServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            let server = axum::serve(listener, service).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = server.await {
                eprintln!("test server on {addr} failed: {e}");
            }
        });
        Ok(TestServer {
            addr,
            shutdown: Some(shutdown),
        })
    }

    /// Serves the bundled test site (see [`crate::site`]).
    pub async fn site() -> io::Result<TestServer> {
        TestServer::start(crate::site::router()).await
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// A session builder whose base URL is this server.
    pub fn session_builder(&self) -> SessionBuilder {
        Session::builder()
            .base_url(self.base_url())
            .expect("the server's URL is valid")
    }

    /// A session with default settings whose base URL is this server.
    pub fn session(&self) -> Session {
        self.session_builder().build().expect("default settings are valid")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The site an example talks to: `UNIFETCH_BASE` when set, otherwise the
/// bundled test site started in this process.
#[derive(Debug)]
pub struct ExampleSite {
    base_url: String,
    _server: Option<TestServer>,
}

impl ExampleSite {
    /// Reads `UNIFETCH_BASE`, or starts the test site on 127.0.0.1:0.
    pub async fn start() -> io::Result<ExampleSite> {
        if let Ok(base_url) = std::env::var("UNIFETCH_BASE") {
            return Ok(ExampleSite {
                base_url: base_url.trim_end_matches('/').to_owned(),
                _server: None,
            });
        }
        let server = TestServer::site().await?;
        Ok(ExampleSite {
            base_url: server.base_url(),
            _server: Some(server),
        })
    }

    /// The site's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}
