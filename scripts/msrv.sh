#!/usr/bin/env bash
# Checks that `rust-version` in Cargo.toml is the true minimum Rust: no
# locked dependency users build needs a newer compiler (scripts/msrv-needed.py
# reads `cargo metadata`), and the workspace builds with exactly that
# toolchain natively and for both WebAssembly targets.
#
#   bash scripts/msrv.sh
set -euo pipefail
cd "$(dirname "$0")/.."

declared=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
read -r needed by < <(cargo metadata --locked --format-version 1 | python3 scripts/msrv-needed.py)
echo "rust-version $declared; the newest a dependency needs: $needed ($by)"
if [ "$(printf '%s\n%s\n' "$needed" "$declared" | sort -V | tail -n 1)" != "$declared" ]; then
    echo "rust-version $declared is too old: $by needs Rust $needed" >&2
    exit 1
fi

rustup toolchain install "$declared" --profile minimal \
    --target wasm32-unknown-unknown --target wasm32-wasip2 >/dev/null 2>&1 ||
    rustup toolchain install "$declared" --profile minimal --target wasm32-unknown-unknown --target wasm32-wasip2
export CARGO_TARGET_DIR=target/msrv
cargo "+$declared" check --quiet --locked --workspace --lib --bins
for target in wasm32-unknown-unknown wasm32-wasip2; do
    cargo "+$declared" check --quiet --locked -p unifetch --lib --target "$target"
done
echo "Rust $declared builds the workspace natively, for wasm32-unknown-unknown and for wasm32-wasip2"
