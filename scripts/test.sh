#!/usr/bin/env bash
# Runs every test of unifetch on a fresh Debian machine with Rust and Node
# installed. It installs what it needs first (idempotently: tools already
# present at the right version are kept), then runs the lints, the native
# tests, the conformance suite in Node, headless Chromium (window and
# worker) and WASI (wasmtime with wasi:http), and the npm package's tests
# (node:test on the packed tarball, tsc, the browser demo under Playwright).
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "tools: Rust targets, Chromium + ChromeDriver, proxies (tinyproxy, squid, stunnel, microsocks, dante), redis-server, OpenSSL (req, s_server), curl (for the CLI tests), wasm-bindgen-cli, wasm-pack, the WASI runner, cargo-hack, cargo-deny"
ensure_rust_targets wasm32-unknown-unknown wasm32-wasip2 wasm32-wasip1
ensure_apt chromium chromium-driver tinyproxy squid stunnel4 microsocks dante-server redis-server openssl ca-certificates curl
ensure_wasm_bindgen_cli
ensure_wasm_pack
ensure_wasi_runner
ensure_cargo_tool cargo-hack 0.6.46
ensure_cargo_tool cargo-deny 0.20.2
cargo fetch --locked --quiet

step "lints: rustfmt, clippy (native, wasm32, wasip2, the npm crate), rustdoc"
cargo fmt --all --check
(cd wasm && cargo fmt --check)
(cd tools/wasi-runner && cargo fmt --check)
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib --tests -- -D warnings
cargo clippy --locked --target wasm32-wasip2 --lib --tests -- -D warnings
cargo check --quiet --locked --manifest-path benches/wasm-size/Cargo.toml --target wasm32-unknown-unknown
(cd benches/native-speed && cargo fmt --check &&
    CARGO_TARGET_DIR=../../target/native-speed cargo clippy --quiet --locked -- -D warnings)
(cd wasm && cargo clippy --locked --target wasm32-unknown-unknown -- -D warnings)
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
for target in wasm32-unknown-unknown wasm32-wasip2; do
    RUSTDOCFLAGS="-D warnings" cargo doc --quiet -p unifetch --no-deps --locked --target "$target"
done

step "upkeep: the minimum Rust, every feature combination (native, wasm32, wasip2), cargo-deny, unsupported targets"
bash scripts/msrv.sh
# `node` only changes wasm32-unknown-unknown, `webpki-roots` only native builds.
# The crawl stores (native only) are checked together, not in the powerset;
# `origin-cache` (three `cfg!` in last_origin.rs) with and without the defaults.
cargo hack clippy --quiet --locked --feature-powerset --exclude-features node,sqlite,redis,origin-cache -p unifetch --lib -- -D warnings
cargo clippy --quiet --locked -p unifetch --lib --no-default-features --features sqlite,redis -- -D warnings
for target in wasm32-wasip2 wasm32-unknown-unknown; do
    excluded=webpki-roots,sqlite,redis,origin-cache
    [ "$target" = wasm32-wasip2 ] && excluded=webpki-roots,node,sqlite,redis,origin-cache
    cargo hack clippy --quiet --locked --feature-powerset --exclude-features "$excluded" -p unifetch --lib --target=$target -- -D warnings
done
(cd wasm && cargo hack clippy --quiet --locked --feature-powerset --target=wasm32-unknown-unknown -- -D warnings)
cargo deny --log-level error check licenses bans sources
cargo deny --log-level error --manifest-path wasm/Cargo.toml --config deny.toml check licenses bans sources
# A WebAssembly target without a transport is refused with one clear error.
if refused=$(cargo check --quiet --locked -p unifetch --lib --target wasm32-wasip1 2>&1); then
    echo "unifetch built for wasm32-wasip1, which has no transport" >&2
    exit 1
fi
grep -q "unifetch has no HTTP transport for this WebAssembly target" <<<"$refused" || { echo "$refused" >&2; exit 1; }

step "native: unit, integration and doc tests (tinyproxy and a TLS server included)"
cargo test --workspace --locked

step "examples: smoke runs against the in-process test site"
for example in basics params reading timeout hello_server novel; do
    cargo run --quiet --locked --example "$example" >/dev/null
done

step "npm package: build with wasm-pack, pack; what each entry loads, against its budget"
bash scripts/build-npm.sh
bash scripts/npm-size.sh --built

step "the test site, serving the browser demo and the package too"
start_test_site
export UNIFETCH_CLOSED_PORT
UNIFETCH_CLOSED_PORT=$(free_port)

step "wasm32-unknown-unknown: the conformance suite in Node, Chromium and a worker"
# Each with the core features of the npm build that runs there: Node's has
# them all; browsers' has the crawler only (no jar, no decoders, no node:http).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER WASM_BINDGEN_TEST_TIMEOUT=300
CHROMEDRIVER=$(command -v chromedriver)
# Chromium leaves a profile (~46 MB) in TMPDIR each time ChromeDriver stops
# it: the browser runs keep theirs in one directory, emptied at each run.
browser_tmp="$PWD/target/tmp/browsers"
rm -rf "$browser_tmp" && mkdir -p "$browser_tmp"
cargo test --locked --target wasm32-unknown-unknown --test wasm_node -- --nocapture
TMPDIR="$browser_tmp" cargo test --locked --target wasm32-unknown-unknown --no-default-features --features crawl \
    --test wasm_browser --test wasm_worker -- --nocapture

step "wasm32-wasip2: the conformance suite under wasmtime with wasi:http; the core's unit tests with no feature"
CARGO_TARGET_WASM32_WASIP2_RUNNER=unifetch-wasi-runner \
    cargo test --locked --target wasm32-wasip2 --test wasi -- --nocapture
# Natively the dev-dependency on unifetch-native turns the default features
# back on; here nothing does.
CARGO_TARGET_WASM32_WASIP2_RUNNER=unifetch-wasi-runner \
    cargo test --locked --target wasm32-wasip2 --lib --no-default-features
cargo build --quiet --locked --target wasm32-wasip2 --release --example wasi_fetch
fetched=$(unifetch-wasi-runner target/wasm32-wasip2/release/examples/wasi_fetch.wasm "$UNIFETCH_SITE/get?from=wasi" 5)
grep -q '"from": "wasi"' <<<"$fetched" || { echo "wasi_fetch printed: $fetched"; exit 1; }

step "npm package: node:test on the packed tarball, tsc, the browser demo under Playwright"
TMPDIR="$browser_tmp" bash scripts/test-npm.sh
rm -rf "$browser_tmp"

step "all tests passed"
