//! The conformance scenarios on WASI 0.2 (`wasm32-wasip2`), run under
//! wasmtime with wasi:http by `tools/wasi-runner` (see scripts/test.sh).
//!
//! Tests return `Result` instead of panicking: on wasip2 a panic aborts the
//! whole test binary. The test site's URL and a closed port come from the
//! environment, which the runner passes through.
#![cfg(all(target_family = "wasm", target_os = "wasi"))]

mod conformance;

use conformance::Site;

/// Scenarios this runtime cannot run, with the reason.
const SKIPS: &[(&str, &str)] = &[];

fn site() -> Result<Site, String> {
    let base = std::env::var("UNIFETCH_SITE").map_err(|_| "UNIFETCH_SITE is not set (see scripts/test.sh)")?;
    let closed = std::env::var("UNIFETCH_CLOSED_PORT").map_err(|_| "UNIFETCH_CLOSED_PORT is not set")?;
    let closed = closed
        .parse()
        .map_err(|e| format!("UNIFETCH_CLOSED_PORT={closed}: {e}"))?;
    Ok(Site::new(&base, closed))
}

macro_rules! wasi_harness {
    ($($scenario:ident),* $(,)?) => {
        $(
            #[test]
            fn $scenario() -> Result<(), String> {
                let name = stringify!($scenario);
                if let Some((_, reason)) = SKIPS.iter().find(|(skipped, _)| *skipped == name) {
                    println!("SKIPPED on WASI: {name}: {reason}");
                    return Ok(());
                }
                let site = site()?;
                wstd::runtime::block_on(conformance::$scenario(&site)).map_err(|failure| failure.0)
            }
        )*
    };
}

all_scenarios!(wasi_harness);
