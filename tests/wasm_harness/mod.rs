//! The conformance harness for `wasm32-unknown-unknown` (Node, a browser
//! window, a dedicated worker), run by `wasm-bindgen-test-runner`.
//!
//! The test command starts `unifetch serve` first and passes its URL and a
//! closed port at compile time (`UNIFETCH_SITE`, `UNIFETCH_CLOSED_PORT`).

#![allow(dead_code, unreachable_pub)]

use crate::conformance::{Outcome, Site};

/// The running test site, from the compile-time environment.
pub fn site() -> Site {
    let (Some(base), Some(closed)) = (option_env!("UNIFETCH_SITE"), option_env!("UNIFETCH_CLOSED_PORT")) else {
        panic!("build the wasm tests with UNIFETCH_SITE and UNIFETCH_CLOSED_PORT set (see scripts/test.sh)");
    };
    let closed: u16 = closed
        .parse()
        .unwrap_or_else(|e| panic!("UNIFETCH_CLOSED_PORT={closed}: {e}"));
    Site::new(base, closed)
}

/// Runs a scenario unless `skips` names it, in which case the reason is printed.
pub async fn run(
    name: &str,
    skips: &[(&str, &str)],
    runtime: &str,
    outcome: impl std::future::Future<Output = Outcome>,
) {
    if let Some((_, reason)) = skips.iter().find(|(skipped, _)| *skipped == name) {
        wasm_bindgen_test::console_log!("SKIPPED on {runtime}: {name}: {reason}");
        return;
    }
    if let Err(failure) = outcome.await {
        panic!("{name} failed on {runtime}: {}", failure.0);
    }
}

/// Defines one `#[wasm_bindgen_test]` per scenario for a runtime.
#[macro_export]
macro_rules! wasm_harness {
    ($($scenario:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $scenario() {
                wasm_harness::run(
                    stringify!($scenario),
                    SKIPS,
                    RUNTIME,
                    conformance::$scenario(&wasm_harness::site()),
                )
                .await;
            }
        )*
    };
}
