#!/usr/bin/env bash
# unifetch's crawler next to the aiohttp guide's pattern (aiohttp +
# asyncio.Semaphore, benches/crawl/aiohttp_crawler.py), on the same demo
# site served by `unifetch serve` in its own process, at the same
# concurrency. Prints a markdown table: pages, seconds, pages/s, peak RSS.
#
#   bash scripts/bench-crawl.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt time bc python3-venv
venv=target/bench-venv
if ! "$venv/bin/python" -c 'import aiohttp' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet aiohttp
fi
cargo build --quiet --locked --release --example novel
start_test_site --release >/dev/null
base=$UNIFETCH_SITE

# Runs a command under GNU time: its stdout goes to $out, and
# "<seconds> <peak RSS KiB>" to $timing.
out=$(mktemp)
timing=$(mktemp)
measure() {
    /usr/bin/time -f '%e %M' -o "$timing" "$@" >"$out" 2>/dev/null
}

row() { # name pages
    local secs rss
    read -r secs rss <"$timing"
    printf '| %s | %s | %.2f | %.0f | %.1f |\n' "$1" "$2" "$secs" "$(echo "$2 / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

json_pages() {
    "$venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pages"])' "$out"
}

echo "| crawl (16 in flight) | pages | seconds | pages/s | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for site in 2000 2000x10; do
    measure ./target/release/unifetch crawl "$base/web/$site/" --concurrency 16 --per-host 16
    row "unifetch crawl /web/$site/" "$(awk '$1 == "pages" { print $2 }' "$out")"
    measure "$venv/bin/python" benches/crawl/aiohttp_crawler.py "$base/web/$site/" --concurrency 16
    row "aiohttp + Semaphore /web/$site/" "$(json_pages)"
done
UNIFETCH_BASE=$base measure ./target/release/examples/novel
row "unifetch novel (5 in flight)" "$(json_pages)"
measure "$venv/bin/python" benches/crawl/aiohttp_crawler.py "$base" --novel --concurrency 5
row "aiohttp + Semaphore novel (5 in flight)" "$(json_pages)"
