//! One HTTP client, in a process of its own, against one URL; prints one
//! JSON line of figures. `scripts/bench-native.sh` runs it for each client
//! against the same nginx, rounds interleaved, and prints the table.
//!
//! ```text
//! native-speed CLIENT get URL IN_FLIGHT SECONDS [CA_PEM]
//! native-speed CLIENT stream URL
//! ```
//!
//! CLIENT is `hyper-util` (the legacy client with a plain `HttpConnector`,
//! nothing else; over `https://`, hyper-rustls's connector), `reqwest` or `unifetch` (a default session: timeouts,
//! limits, retries, redirects, cookies and decompression on), or
//! `hyper-conn`: hyper's own connection API (`client::conn::http1`, its
//! defaults) with a list of idle connections and almost nothing else, a
//! baseline for any client built on hyper (`get` of `http://` URLs only).
//! Each runs on one tokio thread (a current-thread runtime).
//!
//! `get` keeps IN_FLIGHT requests going for SECONDS (after a warm-up of a
//! fifth of that), reading each body whole, and prints requests per
//! second, the p50 and p99 latency, the heap allocations and the CPU time
//! per request (user and system, and each apart).
//! With CA_PEM the URL is `https://` and the client trusts that
//! certificate (HTTP/2 by ALPN).
//!
//! `stream` downloads the URL five times through each client's chunk API
//! and prints the median MiB/s and the process's peak RSS.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};

/// Counts heap allocations (and reallocations) made by the whole process.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

type Fetch = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<usize, String>>>>>;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    // The arguments after the program's name.
    let args = argv.get(1..).unwrap_or_default();
    let usage = "usage: native-speed hyper-util|reqwest|unifetch|hyper-conn get URL IN_FLIGHT SECONDS [CA_PEM] \
                 | CLIENT stream URL";
    let (client, mode, url) = match args {
        [client, mode, url, ..] => (client.as_str(), mode.as_str(), url.as_str()),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    let outcome = local.block_on(&runtime, async {
        match (mode, &args[3..]) {
            ("get", [in_flight, seconds, ca @ ..]) => {
                let in_flight = in_flight.parse().map_err(|_| usage.to_owned())?;
                let seconds: f64 = seconds.parse().map_err(|_| usage.to_owned())?;
                let ca = ca.first().map(std::fs::read).transpose().map_err(|e| e.to_string())?;
                let fetch = fetcher(client, url, ca)?;
                get(fetch, in_flight, Duration::from_secs_f64(seconds)).await
            }
            ("stream", []) => stream(client, url).await,
            _ => Err(usage.to_owned()),
        }
    });
    match outcome {
        Ok(json) => println!("{json}"),
        Err(error) => {
            eprintln!("native-speed {client} {mode}: {error}");
            std::process::exit(1);
        }
    }
}

/// A closure that sends one GET of `url` with `client` and reads the body
/// whole, returning its length. Each client is given the URL as a string,
/// as a program usually has it, and parses it for each request.
fn fetcher(client: &str, url: &str, ca: Option<Vec<u8>>) -> Result<Fetch, String> {
    match client {
        "hyper-util" => {
            let builder = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
            Ok(match ca {
                None => legacy_fetcher(builder.build_http(), url),
                Some(pem) => {
                    let https = hyper_rustls::HttpsConnectorBuilder::new()
                        .with_tls_config(rustls_config(&pem)?)
                        .https_only()
                        .enable_all_versions()
                        .build();
                    legacy_fetcher(builder.build(https), url)
                }
            })
        }
        "reqwest" => {
            let mut builder = reqwest::Client::builder();
            if let Some(pem) = &ca {
                let certificate = reqwest::Certificate::from_pem(pem).map_err(|e| e.to_string())?;
                builder = builder.add_root_certificate(certificate);
            }
            let client = builder.build().map_err(|e| e.to_string())?;
            let url = url.to_owned();
            Ok(Rc::new(move || {
                let request = client.get(&url);
                Box::pin(async move {
                    let response = request.send().await.map_err(|e| e.to_string())?;
                    Ok(response.bytes().await.map_err(|e| e.to_string())?.len())
                })
            }))
        }
        "unifetch" => {
            let mut builder = unifetch::Session::builder();
            if let Some(pem) = ca {
                builder = builder.tls_root_certificates(pem);
            }
            let session = builder.build().map_err(|e| e.to_string())?;
            let url = url.to_owned();
            Ok(Rc::new(move || {
                let request = session.get(&url);
                Box::pin(async move {
                    let response = request.send().await.map_err(|e| e.to_string())?;
                    Ok(response.bytes().await.map_err(|e| e.to_string())?.len())
                })
            }))
        }
        "hyper-conn" if ca.is_none() && url.starts_with("http://") => Ok(connection_fetcher(url)),
        "hyper-conn" => Err("hyper-conn takes http:// URLs only".to_owned()),
        other => Err(format!("no client {other:?}")),
    }
}

/// [`fetcher`] for hyper's connection API: a request takes an idle
/// connection that is still open (or opens one) and puts it back once it
/// has read the body.
fn connection_fetcher(url: &str) -> Fetch {
    use hyper::client::conn::http1;
    let idle: Rc<RefCell<Vec<http1::SendRequest<Empty<Bytes>>>>> = Rc::default();
    let url = url.to_owned();
    Rc::new(move || {
        let (idle, url) = (idle.clone(), url.clone());
        Box::pin(async move {
            let uri: hyper::Uri = url.parse().map_err(|e| format!("{e}"))?;
            let authority = uri.authority().ok_or("no host")?.clone();
            let pooled = std::iter::from_fn(|| idle.borrow_mut().pop()).find(|sender| !sender.is_closed());
            let mut sender = match pooled {
                Some(sender) => sender,
                None => {
                    let address = (authority.host(), authority.port_u16().unwrap_or(80));
                    let stream = tokio::net::TcpStream::connect(address)
                        .await
                        .map_err(|e| e.to_string())?;
                    stream.set_nodelay(true).map_err(|e| e.to_string())?;
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let (sender, connection) = http1::handshake(io).await.map_err(|e| e.to_string())?;
                    tokio::task::spawn_local(connection);
                    sender
                }
            };
            sender.ready().await.map_err(|e| e.to_string())?;
            let path = uri.path_and_query().map_or("/", |path| path.as_str());
            let request = hyper::Request::get(path)
                .header(hyper::header::HOST, authority.as_str())
                .body(Empty::new())
                .map_err(|e| e.to_string())?;
            let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
            let body = response.into_body().collect().await.map_err(|e| e.to_string())?;
            idle.borrow_mut().push(sender);
            Ok(body.to_bytes().len())
        })
    })
}

/// [`fetcher`] for the raw hyper-util client over `connector`.
fn legacy_fetcher<C>(client: hyper_util::client::legacy::Client<C, Empty<Bytes>>, url: &str) -> Fetch
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    let url = url.to_owned();
    Rc::new(move || {
        let (client, url) = (client.clone(), url.clone());
        Box::pin(async move {
            let uri: hyper::Uri = url.parse().map_err(|e| format!("{e}"))?;
            let response = client.get(uri).await.map_err(|e| e.to_string())?;
            let body = response.into_body().collect().await.map_err(|e| e.to_string())?;
            Ok(body.to_bytes().len())
        })
    })
}

/// A TLS configuration (ring, as reqwest's and unifetch's) that trusts the
/// certificates in `pem` alone.
fn rustls_config(pem: &[u8]) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(pem) {
        roots
            .add(certificate.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Keeps `in_flight` requests going for a warm-up and then `length`.
async fn get(fetch: Fetch, in_flight: usize, length: Duration) -> Result<String, String> {
    let (warm_up, _) = run_for(&fetch, in_flight, length / 5, 0).await?;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let (user, system) = cpu_ticks();
    let started = Instant::now();
    let (requests, mut latencies) = run_for(&fetch, in_flight, length, 1 << 16).await?;
    let elapsed = started.elapsed();
    let (user, system) = {
        let (user_now, system_now) = cpu_ticks();
        (user_now - user, system_now - system)
    };
    // Ticks of 1/100 s, per request, in µs.
    let per_request = |ticks: u64| ticks as f64 * 10_000.0 / requests.max(1) as f64;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
    latencies.sort_unstable();
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    Ok(format!(
        r#"{{"requests":{requests},"warm_up_requests":{warm_up},"per_second":{:.0},"p50_us":{:.1},"p99_us":{:.1},"allocations_per_request":{:.1},"cpu_us_per_request":{:.2},"user_us_per_request":{:.2},"system_us_per_request":{:.2}}}"#,
        requests as f64 / elapsed.as_secs_f64(),
        percentile(0.5),
        percentile(0.99),
        allocations as f64 / requests.max(1) as f64,
        per_request(user + system),
        per_request(user),
        per_request(system),
    ))
}

/// Runs `in_flight` loops of requests until `length` has passed; returns
/// how many requests were made and the latency of each in nanoseconds
/// (room for `capacity` per loop is made beforehand, so that recording
/// them allocates nothing; latencies past it are not kept).
async fn run_for(
    fetch: &Fetch,
    in_flight: usize,
    length: Duration,
    capacity: usize,
) -> Result<(u64, Vec<u64>), String> {
    let until = Instant::now() + length;
    let loops = (0..in_flight).map(|_| {
        let fetch = fetch.clone();
        let mut latencies = Vec::with_capacity(capacity);
        tokio::task::spawn_local(async move {
            let mut made = 0;
            while Instant::now() < until {
                let sent = Instant::now();
                let length = fetch().await?;
                if length == 0 {
                    return Err("an empty body".to_owned());
                }
                made += 1;
                if latencies.len() < latencies.capacity() {
                    latencies.push(sent.elapsed().as_nanos() as u64);
                }
            }
            Ok((made, latencies))
        })
    });
    let (mut made, mut all) = (0, Vec::new());
    for finished in futures_util::future::join_all(loops).await {
        let (count, latencies) = finished.map_err(|e| e.to_string())??;
        made += count;
        all.extend(latencies);
    }
    Ok((made, all))
}

/// How many times `stream` downloads the URL: one download of 1 GiB on
/// loopback takes a fifth of a second, too short to time alone.
const DOWNLOADS: usize = 5;

/// Downloads `url` [`DOWNLOADS`] times through the client's chunk API (one
/// client, its connection kept alive) and reports the median rate.
async fn stream(client: &str, url: &str) -> Result<String, String> {
    let download = downloader(client, url)?;
    let mut rates = Vec::with_capacity(DOWNLOADS);
    let mut bytes = 0;
    for _ in 0..DOWNLOADS {
        let started = Instant::now();
        bytes = download().await?;
        rates.push(bytes as f64 / started.elapsed().as_secs_f64() / (1 << 20) as f64);
    }
    rates.sort_by(f64::total_cmp);
    Ok(format!(
        r#"{{"bytes":{bytes},"mib_per_second":{:.0},"peak_rss_mib":{:.1}}}"#,
        rates[DOWNLOADS / 2],
        peak_rss_kib() as f64 / 1024.0
    ))
}

type Download = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<u64, String>>>>>;

/// A closure that downloads `url` with `client`, counting the bytes chunk
/// by chunk without keeping them.
fn downloader(client: &str, url: &str) -> Result<Download, String> {
    let url = url.to_owned();
    match client {
        "hyper-util" => {
            let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Empty<Bytes>>();
            Ok(Box::new(move || {
                let (client, url) = (client.clone(), url.clone());
                Box::pin(async move {
                    let uri: hyper::Uri = url.parse().map_err(|e| format!("{e}"))?;
                    let mut body = client.get(uri).await.map_err(|e| e.to_string())?.into_body();
                    let mut bytes = 0;
                    while let Some(frame) = body.frame().await {
                        if let Ok(data) = frame.map_err(|e| e.to_string())?.into_data() {
                            bytes += data.len() as u64;
                        }
                    }
                    Ok(bytes)
                })
            }))
        }
        "reqwest" => {
            let client = reqwest::Client::new();
            Ok(Box::new(move || {
                let request = client.get(&url);
                Box::pin(async move {
                    let mut response = request.send().await.map_err(|e| e.to_string())?;
                    let mut bytes = 0;
                    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
                        bytes += chunk.len() as u64;
                    }
                    Ok(bytes)
                })
            }))
        }
        "unifetch" => {
            let session = unifetch::Session::new();
            Ok(Box::new(move || {
                let request = session.get(&url);
                Box::pin(async move {
                    use futures_util::StreamExt;
                    let response = request.send().await.map_err(|e| e.to_string())?;
                    let mut chunks = response.chunks();
                    let mut bytes = 0;
                    while let Some(chunk) = chunks.next().await {
                        bytes += chunk.map_err(|e| e.to_string())?.len() as u64;
                    }
                    Ok(bytes)
                })
            }))
        }
        "hyper-conn" => Err("hyper-conn measures `get` only".to_owned()),
        other => Err(format!("no client {other:?}")),
    }
}

/// The CPU time the process has used, in user space and in the kernel, in
/// the 1/100 s ticks of `/proc/self/stat`.
fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let field = |n: usize| fields.get(n).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (field(11), field(12)) // utime and stime: fields 14 and 15 of the line
}

/// The process's peak resident set (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
