#!/usr/bin/env bash
# Sizes of the npm package as shipped: the .wasm and the JS glue, raw and
# gzipped, for the client alone (--no-crawl) and with the crawler.
#
#   bash scripts/npm-size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-npm.sh --no-crawl >/dev/null
bash scripts/build-npm.sh >/dev/null

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
raw() { cat "$@" | wc -c; }
gz() { cat "$@" | gzip -9 | wc -c; }
echo "| build | .wasm raw | .wasm gzip | JS glue raw | JS glue gzip |"
echo "| --- | ---: | ---: | ---: | ---: |"
for name in unifetch-client unifetch; do
    dir=target/npm/$name
    js=("$dir/unifetch_wasm.js" "$dir/index.js" "$dir/errors.js" "$dir/response.js" "$dir"/snippets/*/*.js)
    label=$([ "$name" = unifetch ] && echo "with the crawler (the package)" || echo "client alone")
    echo "| $label | $(kib "$(raw "$dir/unifetch_wasm_bg.wasm")") | $(kib "$(gz "$dir/unifetch_wasm_bg.wasm")") | $(kib "$(raw "${js[@]}")") | $(kib "$(gz "${js[@]}")") |"
done
