#!/usr/bin/env bash
# Builds the npm package `unifetch` from wasm/ with wasm-pack, offline:
# the wasm-bindgen on PATH matches Cargo.lock, the crates are fetched first,
# and wasm-opt comes from npm's `binaryen` (Debian's binaryen 108 predates
# the externref table wasm-bindgen now emits). Packs it with `npm pack`.
#
#   bash scripts/build-npm.sh              # → target/npm/unifetch/ and target/npm/unifetch-0.1.0.tgz
#   bash scripts/build-npm.sh --no-crawl   # the client alone → target/npm/unifetch-client/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

name=unifetch
cargo_args=()
if [ "${1:-}" = "--no-crawl" ]; then
    name=unifetch-client
    cargo_args=(--no-default-features)
fi
out="$PWD/target/npm/$name"

ensure_rust_targets wasm32-unknown-unknown
ensure_wasm_bindgen_cli
ensure_wasm_pack
(cd wasm && cargo fetch --locked --quiet)

rm -rf "$out"
wasm-pack --quiet build wasm --release --target web --mode no-install --no-pack \
    --out-dir "$out" --out-name unifetch_wasm -- --locked "${cargo_args[@]}"
ensure_wasm_opt
"$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/unifetch_wasm_bg.wasm" -o "$out/unifetch_wasm_bg.wasm"
cp wasm/js/index.js wasm/js/errors.js wasm/js/response.js wasm/js/crawl.js wasm/js/index.d.ts wasm/js/crawl.d.ts wasm/js/package.json wasm/js/README.md LICENSE-MIT LICENSE-APACHE "$out/"
rm -f "$out/unifetch_wasm.d.ts" "$out/unifetch_wasm_bg.wasm.d.ts" "$out/.gitignore"
if [ "$name" = unifetch ]; then
    (cd "$out" && npm pack --quiet --pack-destination "$out/..") >/dev/null
    echo "packed target/npm/unifetch-$(node -p "require('./wasm/js/package.json').version").tgz"
fi
