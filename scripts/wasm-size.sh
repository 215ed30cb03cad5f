#!/usr/bin/env bash
# Measures what unifetch costs in a browser bundle: the smallest module using
# a Session (examples/wasm_minimal.rs), after wasm-bindgen and wasm-opt -Oz,
# raw and gzipped.
#
#   bash scripts/wasm-size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust_targets wasm32-unknown-unknown
ensure_wasm_bindgen_cli

cargo build --quiet --locked --profile wasm-release --target wasm32-unknown-unknown --example wasm_minimal
out=$(mktemp -d)
wasm-bindgen --target web --out-dir "$out" target/wasm32-unknown-unknown/wasm-release/examples/wasm_minimal.wasm
ensure_wasm_opt
"$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/wasm_minimal_bg.wasm" -o "$out/opt.wasm"

size() { printf '%7.1f KiB' "$(echo "$1 / 1024" | bc -l)"; }
gz() { gzip -9 -c "$1" | wc -c; }
echo "| file | raw | gzip -9 |"
echo "| --- | ---: | ---: |"
echo "| .wasm (wasm-bindgen) | $(size "$(stat -c %s "$out/wasm_minimal_bg.wasm")") | $(size "$(gz "$out/wasm_minimal_bg.wasm")") |"
echo "| .wasm (+ wasm-opt -Oz) | $(size "$(stat -c %s "$out/opt.wasm")") | $(size "$(gz "$out/opt.wasm")") |"
echo "| JS glue | $(size "$(stat -c %s "$out/wasm_minimal.js")") | $(size "$(gz "$out/wasm_minimal.js")") |"
rm -rf "$out"
