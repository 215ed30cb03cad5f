//! The conformance scenarios in a dedicated worker of headless Chromium:
//! no `window`, only the worker's global `fetch` and `setTimeout`.
#![cfg(all(target_family = "wasm", target_os = "unknown"))]

mod conformance;
mod wasm_harness;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

const RUNTIME: &str = "Chromium (dedicated worker)";
const SKIPS: &[(&str, &str)] = wasm_harness::BROWSER_SKIPS;

all_scenarios!(wasm_harness);
