#!/usr/bin/env bash
# The npm package in Node next to raw fetch and ky 1.14 (benches/node/fetch.mjs):
# 1 KB GETs from `unifetch serve` in its own process, 16 in flight, rounds
# interleaved. Prints a markdown table.
#
#   bash scripts/bench-node.sh [inFlight=16] [rounds=5] [seconds=2]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bash scripts/build-npm.sh >/dev/null

bench=target/bench-node
mkdir -p "$bench"
cp benches/node/fetch.mjs "$bench/"
(
    cd "$bench"
    [ -f package.json ] || echo '{"name": "unifetch-bench", "private": true, "type": "module"}' >package.json
    npm install --silent --no-audit --no-fund "$OLDPWD/target/npm/unifetch-0.1.0.tgz" ky@1.14.3
)

start_test_site --release >/dev/null
node "$bench/fetch.mjs" "$UNIFETCH_SITE/bytes/1024" "${1:-16}" "${2:-5}" "${3:-2}"
