#!/usr/bin/env bash
# Runs every test of unifetch on a fresh Debian machine with Rust installed.
# It installs what it needs first (idempotently: tools already present at the
# right version are kept), then runs lints, unit, integration and doc tests
# and the examples' smoke runs.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "lints: rustfmt, clippy, rustdoc"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "native: unit, integration and doc tests"
cargo test --workspace --locked

step "examples: smoke runs against the in-process test site"
for example in basics params reading timeout hello_server; do
    cargo run --quiet --locked --example "$example" >/dev/null
done

step "all tests passed"
