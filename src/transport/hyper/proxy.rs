//! Choosing a proxy for a destination, and tunnelling through one with
//! `CONNECT`.

use std::io;

use http::header::HeaderValue;
use http::Uri;
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::proxy::ProxyScope;
use crate::Proxy;

/// Which proxy, if any, each destination goes through.
#[derive(Clone)]
pub(super) struct Proxies {
    matcher: std::sync::Arc<Matcher>,
}

impl Proxies {
    /// Explicit proxies win; without them, the environment if trusted.
    pub(super) fn new(explicit: &[Proxy], trust_env: bool) -> Proxies {
        let matcher = if explicit.is_empty() && trust_env {
            Matcher::from_env()
        } else {
            let mut builder = Matcher::builder();
            let mut no = Vec::new();
            for proxy in explicit {
                let url = proxy.url().as_str().to_owned();
                builder = match proxy.scope {
                    ProxyScope::All => builder.all(url),
                    ProxyScope::Http => builder.http(url),
                    ProxyScope::Https => builder.https(url),
                };
                no.extend(proxy.no_proxy.clone());
            }
            builder.no(no.join(",")).build()
        };
        Proxies {
            matcher: std::sync::Arc::new(matcher),
        }
    }

    /// The proxy for `uri`, if it goes through one.
    pub(super) fn for_uri(&self, uri: &Uri) -> Option<Intercept> {
        self.matcher.intercept(uri)
    }
}

/// Opens a `CONNECT` tunnel to `host:port` through the proxy on `stream`.
pub(super) async fn tunnel(
    stream: &mut TcpStream,
    host: &str,
    port: u16,
    auth: Option<&HeaderValue>,
) -> io::Result<()> {
    let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some(auth) = auth.and_then(|value| value.to_str().ok()) {
        request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;

    let mut response = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        if response.len() > 16 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "proxy response head too long",
            ));
        }
        if stream.read(&mut byte).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the proxy closed the connection",
            ));
        }
        response.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&response);
    let status_line = status_line.lines().next().unwrap_or_default();
    let ok = status_line
        .split_whitespace()
        .nth(1)
        .is_some_and(|code| code.starts_with('2'));
    if ok {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("the proxy refused the tunnel: {status_line}"),
        ))
    }
}
