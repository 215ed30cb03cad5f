//! `unifetch serve`: the test site on a local port.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Args;

use super::EXIT_TRANSPORT;

#[derive(Args)]
pub(crate) struct ServeArgs {
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
    let server = unifetch_native::site::serve(listener, unifetch_native::site::router());
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
