#!/usr/bin/env bash
# The crawl stores side by side: `unifetch crawl` of the same demo site
# (served by `unifetch serve` in its own process) kept in memory, in a
# SQLite file, and in Redis with 1 and with 3 worker processes, rounds
# interleaved. Prints a markdown table of median pages/s, the ratio to the
# in-memory crawl, and the bytes each store holds per URL seen.
#
#   bash scripts/bench-crawl-store.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rounds=${1:-5}
ensure_apt redis-server
start_test_site --release >/dev/null
site="$UNIFETCH_SITE/web/20000/"
bin=./target/release/unifetch
scratch=$(mktemp -d)
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
redis_pid=$!
trap 'kill "$SITE_PID" "$redis_pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.05; done
redis="redis://127.0.0.1:$redis_port/0"
crawl=(crawl "$site" --concurrency 16 --per-host 16)

# Runs "$@" and prints "pages seconds" (pages from the summary).
timed() {
    local started ended pages
    started=$(date +%s.%N)
    pages=$("$@" 2>/dev/null | awk '$1 == "pages" { print $2 }')
    ended=$(date +%s.%N)
    echo "$pages $(echo "$ended - $started" | bc -l)"
}

memory() { timed "$bin" "${crawl[@]}"; }
sqlite() {
    rm -f "$scratch"/crawl.db*
    timed "$bin" "${crawl[@]}" --store "$scratch/crawl.db"
}
redis_workers() { # N
    redis-cli -p "$redis_port" flushall >/dev/null
    local started ended pages=0
    started=$(date +%s.%N)
    for i in $(seq "$1"); do
        "$bin" "${crawl[@]}" --store "$redis" --name bench >"$scratch/worker$i.txt" 2>/dev/null &
    done
    wait # (a subshell: its own jobs are the workers)
    ended=$(date +%s.%N)
    for i in $(seq "$1"); do
        pages=$((pages + $(awk '$1 == "pages" { print $2 }' "$scratch/worker$i.txt")))
    done
    echo "$pages $(echo "$ended - $started" | bc -l)"
}

declare -A rates
for _ in $(seq "$rounds"); do
    for store in memory sqlite redis1 redis3; do
        case $store in
            memory) read -r pages secs < <(memory) ;;
            sqlite) read -r pages secs < <(sqlite) ;;
            redis1) read -r pages secs < <(redis_workers 1) ;;
            redis3) read -r pages secs < <(redis_workers 3) ;;
        esac
        rates[$store]+="$(echo "$pages / $secs" | bc -l) "
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
base=$(echo "${rates[memory]}" | median)
seen=$(redis-cli -p "$redis_port" hlen 'unifetch:crawl:{bench}:seen')
redis_bytes=$(redis-cli -p "$redis_port" memory usage 'unifetch:crawl:{bench}:seen' samples 0)
sqlite_bytes=$(cat "$scratch"/crawl.db* | wc -c)

echo "| store ($site, 16 in flight, median of $rounds) | pages/s | × memory | bytes per URL seen |"
echo "| --- | ---: | ---: | ---: |"
row() { # name rate bytes
    printf '| %s | %.0f | %.2f | %s |\n' "$1" "$2" "$(echo "$2 / $base" | bc -l)" "$3"
}
row "memory (default)" "$base" "≈ 16 by construction (a 64-bit hash in a hash set)"
row "SQLite file" "$(echo "${rates[sqlite]}" | median)" \
    "$(echo "$sqlite_bytes / $seen" | bc) (the whole file: URL, queue and record)"
row "Redis, 1 worker" "$(echo "${rates[redis1]}" | median)" \
    "$(echo "$redis_bytes / $seen" | bc) (the seen hash alone)"
row "Redis, 3 workers" "$(echo "${rates[redis3]}" | median)" "same store"
