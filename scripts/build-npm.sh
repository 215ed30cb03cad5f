#!/usr/bin/env bash
# Builds the npm package `unifetch` from wasm/ with wasm-pack, offline:
# the wasm-bindgen on PATH matches Cargo.lock, the crates are fetched first,
# and wasm-opt comes from npm's `binaryen` (Debian's binaryen 108 predates
# the externref table wasm-bindgen now emits). Packs it with `npm pack`.
#
# Its JavaScript is minified with npm's esbuild.
#
# The package holds three builds of the same crate, so that each entry
# loads only what it needs:
#   web/        `unifetch` in browsers, workers and Deno: fetch only (the
#               host decodes bodies, follows redirects, keeps cookies)
#   web-crawl/  `unifetch/crawl` there: the same plus the crawler
#   node/       both entries in Node: node:http, the core's cookie jar, the crawler
#
#   bash scripts/build-npm.sh   # → target/npm/unifetch/ and target/npm/unifetch-0.1.0.tgz
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

out="$PWD/target/npm/unifetch"
ensure_rust_targets wasm32-unknown-unknown
ensure_wasm_bindgen_cli
ensure_wasm_pack
ensure_wasm_opt
ensure_esbuild
(cd wasm && cargo fetch --locked --quiet)

rm -rf "$out"
build() {
    local dir="$out/$1"
    shift
    wasm-pack --quiet build wasm --release --target web --mode no-install --no-pack \
        --out-dir "$dir" --out-name unifetch_wasm -- --locked --no-default-features "$@"
    "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        "$dir/unifetch_wasm_bg.wasm" -o "$dir/unifetch_wasm_bg.wasm"
    rm -f "$dir"/*.d.ts "$dir/.gitignore" "$dir/package.json" "$dir/README.md"
}
build web
build web-crawl --features crawl
build node --features crawl,node
cp wasm/js/*.js wasm/js/*.d.ts wasm/js/package.json wasm/js/README.md LICENSE-MIT LICENSE-APACHE "$out/"
# Shipped minified, as a bundler would (names kept: classes and functions
# keep their `.name`); the sources are wasm/js/ and wasm-bindgen's output.
find "$out" -name '*.js' -print0 | while IFS= read -r -d '' js; do
    # (wasm-bindgen's import object may name one snippet twice, for the same module.)
    "$ESBUILD" "$js" --minify --keep-names --format=esm --target=es2022 --log-level=warning \
        --log-override:duplicate-object-key=silent --outfile="$js" --allow-overwrite
done
(cd "$out" && npm pack --quiet --pack-destination "$out/..") >/dev/null
echo "packed target/npm/unifetch-$(node -p "require('./wasm/js/package.json').version").tgz"
