#!/usr/bin/env bash
# The CLI's time and peak memory beside curl's and httpie's, on the test
# site (release build, its own process): a small GET, a 256 MiB download to
# a file, a 256 MiB gzip bomb decoded into a pipe, a 64 MiB multipart
# upload from a file, and 64 MiB from stdin. Each figure is the median of
# ROUNDS runs (default 5), the tools taking turns.
#
#   bash scripts/bench-cli.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rounds=${1:-5}
ensure_apt time curl httpie
start_test_site --release >/dev/null
site=$UNIFETCH_SITE
unifetch=$PWD/target/release/unifetch
work=$(mktemp -d)
trap 'kill "$SITE_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
head -c $((64 << 20)) /dev/urandom >upload.bin

# The command each tool runs for each case; `-` where it has none.
command_for() { # TOOL CASE
    case "$1:$2" in
    unifetch:get) echo "$unifetch $site/get" ;;
    curl:get) echo "curl -s $site/get" ;;
    httpie:get) echo "http --ignore-stdin $site/get" ;;
    unifetch:download) echo "$unifetch -d -o out.bin $site/download/268435456" ;;
    curl:download) echo "curl -s -o out.bin $site/download/268435456" ;;
    httpie:download) echo "http --ignore-stdin -d -o out.bin $site/download/268435456" ;;
    unifetch:bomb) echo "$unifetch $site/bomb?mb=256" ;;
    curl:bomb) echo "curl -s --compressed $site/bomb?mb=256" ;;
    httpie:bomb) echo "http --ignore-stdin $site/bomb?mb=256" ;;
    unifetch:upload) echo "$unifetch -f post $site/upload f@upload.bin" ;;
    curl:upload) echo "curl -s -F f=@upload.bin $site/upload" ;;
    httpie:upload) echo "http --ignore-stdin -f post $site/upload f@upload.bin" ;;
    unifetch:stdin) echo "$unifetch post $site/upload" ;;
    curl:stdin) echo "curl -s -T - $site/upload" ;;
    httpie:stdin) echo "http post $site/upload" ;;
    esac
}

# Prints "SECONDS KIB" for one run (stdin from upload.bin for `stdin`):
# the wall time from bash's clock, the peak memory from /usr/bin/time.
measure() { # TOOL CASE
    local command input=/dev/null started ended
    command=$(command_for "$1" "$2")
    [ "$2" = stdin ] && input=upload.bin
    rm -f out.bin
    started=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o time.txt $command <"$input" >/dev/null 2>/dev/null || true
    ended=$EPOCHREALTIME
    echo "$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.3f", b - a }') $(tail -n 1 time.txt)"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

tools=(unifetch curl httpie)
printf '| case | %s |\n' "$(printf '%s (s, peak MiB) | ' "${tools[@]}" | sed 's/ | $//')"
printf '| --- |%s\n' "$(printf ' ---: |%.0s' "${tools[@]}")"
for case in get download bomb upload stdin; do
    declare -A seconds=() kib=()
    for _ in $(seq "$rounds"); do
        for tool in "${tools[@]}"; do
            read -r s k < <(measure "$tool" "$case")
            seconds[$tool]+="$s "
            kib[$tool]+="$k "
        done
    done
    row="| $case |"
    for tool in "${tools[@]}"; do
        s=$(tr ' ' '\n' <<<"${seconds[$tool]}" | grep . | median)
        k=$(tr ' ' '\n' <<<"${kib[$tool]}" | grep . | median)
        row+=" $s s, $(awk -v k="$k" 'BEGIN { printf "%.1f", k / 1024 }') MiB |"
    done
    echo "$row"
    unset seconds kib
done
