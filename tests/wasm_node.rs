//! The conformance scenarios in Node, over `node:http` (the transport unifetch picks in Node).
#![cfg(all(target_family = "wasm", target_os = "unknown"))]

mod conformance;
mod wasm_harness;

const RUNTIME: &str = "Node";
const SKIPS: &[(&str, &str)] = wasm_harness::NODE_SKIPS;

all_scenarios!(wasm_harness);
