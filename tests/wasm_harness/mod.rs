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

/// What a browser (window or worker) cannot do, and why.
pub const BROWSER_SKIPS: &[(&str, &str)] = &[
    (
        "user_agent_is_replaced",
        "browsers keep their own User-Agent; scripts cannot set it",
    ),
    (
        "redirect_policy_limits_and_loops",
        "browsers follow redirects themselves (up to 20): hop limits and loop detection are theirs",
    ),
    (
        "redirect_history_lists_the_hops",
        "browsers report only the final URL of a redirect chain",
    ),
    (
        "custom_redirect_policy_decides",
        "browsers do not show redirect hops to scripts",
    ),
    (
        "per_request_cookies_are_sent",
        "scripts cannot set the Cookie header; the browser's jar applies",
    ),
    (
        "decompression_can_be_turned_off",
        "fetch always decodes compressed bodies",
    ),
    (
        "scripted_redirects_carry_cookies_per_origin",
        "the browser build has no cookie jar of its own: the browser's applies",
    ),
];

/// What Node (its `node:http`, under the Node transport) cannot do, and why.
pub const NODE_SKIPS: &[(&str, &str)] = &[(
    "zstd_bodies_are_decoded",
    "Node 20's zlib has no zstd decoder (Node 22.15 has one, and unifetch then asks for zstd)",
)];

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
