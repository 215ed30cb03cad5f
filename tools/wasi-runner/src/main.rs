//! `unifetch-wasi-runner`: run a WASI 0.2 (`wasm32-wasip2`) command component
//! with `wasi:http/outgoing-handler` available.
//!
//! Meant as `CARGO_TARGET_WASM32_WASIP2_RUNNER`; cargo invokes it as
//! `unifetch-wasi-runner /path/to/test.wasm [test args...]`.
//!
//! Exit status: the guest's own (`run` returning `Ok` = 0, `Err` = 1, an
//! `I32Exit(n)` from `wasi:cli/exit` = n; note stable WASI 0.2 `exit` only
//! carries ok/err, so Rust's `process::exit(7)` arrives as 1); 101 on a trap
//! (a panicking Rust test aborts, which traps) or if the component cannot be
//! loaded; 2 on bad usage.

use std::io::Write;
use std::process::ExitCode;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Cache, Config, Engine, Store};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Per-store host state: WASI context, wasi:http context, shared resource table.
struct Host {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            // Default hooks: default forbidden headers, http/https only, and
            // the built-in hyper client honouring the guest's request-options
            // (connect / first-byte / between-bytes timeouts).
            hooks: Default::default(),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: unifetch-wasi-runner <component.wasm> [args...]");
        return ExitCode::from(2);
    }
    let code = match run(&args).await {
        Ok(code) => code,
        Err(err) => {
            // A guest `exit(n)` surfaces as an `I32Exit` error.
            if let Some(exit) = err.downcast_ref::<I32Exit>() {
                exit.0
            } else {
                // Display each cause (the wasm backtrace, then the trap) rather
                // than `{:?}`, which would add the runner's own host backtrace
                // whenever RUST_BACKTRACE is set.
                eprintln!("unifetch-wasi-runner: {}: {err}", args[0]);
                for cause in err.chain().skip(1) {
                    eprintln!("caused by: {cause}");
                }
                101
            }
        }
    };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // `process::exit` takes the full i32 (the OS keeps the low 8 bits).
    std::process::exit(code)
}

/// Compiles and runs `args[0]` as a `wasi:cli/command`; `args` becomes its argv.
/// Returns the exit code for a normal return; traps and `exit(n)` are errors.
async fn run(args: &[String]) -> wasmtime::Result<i32> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    // On-disk compilation cache (~/.cache/wasmtime by default, configurable via
    // ~/.config/wasmtime/config.toml): re-running an unchanged binary skips
    // Cranelift. Best effort: run uncached if the cache cannot be set up.
    match Cache::from_file(None) {
        Ok(cache) => {
            config.cache(Some(cache));
        }
        Err(err) => eprintln!("unifetch-wasi-runner: compilation cache disabled: {err}"),
    }
    let engine = Engine::new(&config)?;

    // wasi:cli/command imports (WASI 0.2) plus wasi:http types + outgoing-handler.
    let mut linker = Linker::<Host>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;

    let component = Component::from_file(&engine, &args[0])?;

    let mut wasi = WasiCtx::builder();
    wasi.inherit_stdio()
        .inherit_env()
        .args(args)
        .inherit_network()
        .allow_ip_name_lookup(true)
        // Tests may read fixtures relative to the working directory.
        .preopened_dir(".", ".", FsPerms::ReadWrite)?;
    let host = Host {
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, host);

    let command = Command::instantiate_async(&mut store, &component, &linker).await?;
    match command.wasi_cli_run().call_run(&mut store).await? {
        Ok(()) => Ok(0),
        Err(()) => Ok(1),
    }
}
