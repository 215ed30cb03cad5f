#!/usr/bin/env bash
# What unifetch costs in a Rust program built for the browser, next to
# reqwest: the same program on each (GET, JSON, a 5 s timeout;
# benches/wasm-size/), opt-level z, LTO, wasm-bindgen, wasm-opt -Oz, both
# with ASCII-only IDNA. Prints raw and gzip -9 sizes in bytes and the ratio.
#
#   bash scripts/wasm-size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust_targets wasm32-unknown-unknown
ensure_wasm_bindgen_cli
ensure_wasm_opt

target=$PWD/target/wasm-size
cargo build --quiet --locked --release --manifest-path benches/wasm-size/Cargo.toml \
    --target wasm32-unknown-unknown --target-dir "$target"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
num() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
declare -A gzipped
echo "| program | .wasm raw | .wasm gzip | JS glue gzip |"
echo "| --- | ---: | ---: | ---: |"
for name in unifetch_min reqwest_min; do
    wasm-bindgen --target web --out-dir "$out" "$target/wasm32-unknown-unknown/release/$name.wasm"
    "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        "$out/${name}_bg.wasm" -o "$out/$name.opt.wasm"
    gzipped[$name]=$(gzip -9 -c "$out/$name.opt.wasm" | wc -c)
    echo "| ${name%_min} | $(num "$(stat -c %s "$out/$name.opt.wasm")") | $(num "${gzipped[$name]}") | $(num "$(gzip -9 -c "$out/$name.js" | wc -c)") |"
done
echo
echo "unifetch / reqwest, wasm gzipped: $(echo "scale=2; ${gzipped[unifetch_min]} / ${gzipped[reqwest_min]}" | bc)×"
