//! `unifetch serve`: the test site on a local port.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Args;

use super::EXIT_TRANSPORT;

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The browser demo to serve at /www/ (default: ./www when it exists).
    #[arg(long, value_name = "DIR")]
    www: Option<std::path::PathBuf>,
    /// The built npm package to serve at /www/pkg/ (default:
    /// ./target/npm/unifetch when it exists; `bash scripts/build-npm.sh` builds it).
    #[arg(long, value_name = "DIR")]
    pkg: Option<std::path::PathBuf>,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
}

pub(crate) async fn run(args: ServeArgs) -> ExitCode {
    let addr = SocketAddr::new(args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("unifetch serve: cannot listen on {addr}: {e}");
            return ExitCode::from(EXIT_TRANSPORT);
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    println!("serving the unifetch test site on http://{local}");
    let mut router = unifetch_native::site::router();
    let existing = |given: Option<std::path::PathBuf>, default: &str| {
        given.or_else(|| Some(std::path::PathBuf::from(default)).filter(|dir| dir.is_dir()))
    };
    if let Some(pkg) = existing(args.pkg, "target/npm/unifetch") {
        router = router.nest_service("/www/pkg", tower_http::services::ServeDir::new(pkg));
    }
    if let Some(www) = existing(args.www, "www") {
        println!("the browser demo is at http://{local}/www/");
        router = router.nest_service("/www", tower_http::services::ServeDir::new(www));
    }
    let server = unifetch_native::site::serve(listener, router);
    tokio::select! {
        result = server => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("unifetch serve: {e}");
                ExitCode::from(EXIT_TRANSPORT)
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
