//! The native transport: hyper 1.x through hyper-util's pooled client on
//! tokio, rustls for TLS (HTTP/1.1 and HTTP/2 by ALPN), a DNS cache.

mod connector;
mod dns;

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer as HyperTimer};

use self::connector::{Budget, ConnectError, Connector, BUDGET};
use self::dns::DnsCache;
use super::{BoxFuture, NetworkConfig, Phase, SendOptions, Timer, Transport};
use crate::{Body, Error, Result};

/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The native [`Transport`]: hyper on tokio with a keep-alive pool.
///
/// [`Session::new`](crate::Session::new) makes one from the session's
/// settings; requests must be sent from within a tokio runtime.
#[derive(Clone)]
pub struct HyperTransport {
    client: Client<Connector, Body>,
}

impl HyperTransport {
    pub(crate) fn from_config(config: &NetworkConfig) -> Result<HyperTransport> {
        let tls = tls_config()?;
        let connector = Connector::new(DnsCache::new(config.dns_ttl), Arc::new(tls));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(HyperTimer::new())
            .timer(HyperTimer::new())
            .build(connector);
        Ok(HyperTransport { client })
    }
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HyperTransport")
    }
}

fn tls_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::builder)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl Transport for HyperTransport {
    fn send(
        &self,
        request: http::Request<Body>,
        options: SendOptions,
    ) -> BoxFuture<'static, Result<http::Response<Body>>> {
        let budget = Budget {
            connect: options.connect,
            sock_connect: options.sock_connect,
            progress: options.progress,
        };
        let pending = self.client.request(request);
        Box::pin(async move {
            let response = BUDGET.scope(budget, pending).await.map_err(classify)?;
            Ok(response.map(|incoming| {
                Body::from_http_body(incoming.map_err(|e| Error::transport(Phase::Body, e)))
            }))
        })
    }
}

/// Turns hyper-util's error into ours, with the phase and timeout it came from.
fn classify(error: hyper_util::client::legacy::Error) -> Error {
    let mut cause = error.source();
    while let Some(current) = cause {
        if let Some(connect) = current.downcast_ref::<ConnectError>() {
            return match connect.timeout {
                Some((kind, limit)) => Error::timeout_after(kind, connect.phase, limit),
                None => Error::transport(connect.phase, error),
            };
        }
        if let Some(hyper) = current.downcast_ref::<hyper::Error>() {
            let phase = if hyper.is_user() || hyper.is_body_write_aborted() {
                Phase::Send
            } else {
                Phase::Headers
            };
            return Error::transport(phase, error);
        }
        cause = current.source();
    }
    let phase = if error.is_connect() {
        Phase::Connect
    } else {
        Phase::Headers
    };
    Error::transport(phase, error)
}

/// The native [`Timer`]: `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
