//! The conformance scenarios in a headless Chromium window.
#![cfg(all(target_family = "wasm", target_os = "unknown"))]

mod conformance;
mod wasm_harness;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const RUNTIME: &str = "Chromium (window)";
const SKIPS: &[(&str, &str)] = wasm_harness::BROWSER_SKIPS;

all_scenarios!(wasm_harness);
