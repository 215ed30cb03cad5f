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
set -f # the URLs' `?` is no pattern
ensure_apt time curl httpie
start_test_site --release >/dev/null
site=$UNIFETCH_SITE
unifetch=$PWD/target/release/unifetch
work=$(mktemp -d)
trap 'kill "$SITE_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
head -c $((64 << 20)) /dev/urandom >upload.bin

# The command each tool runs for each case.
command_for() { # TOOL CASE
    case "$1:$2" in
    unifetch:get) echo "$unifetch --check-status $site/get" ;;
    curl:get) echo "curl -sf $site/get" ;;
    httpie:get) echo "http --check-status --ignore-stdin $site/get" ;;
    unifetch:download) echo "$unifetch --check-status -d -o out.bin $site/download/268435456" ;;
    curl:download) echo "curl -sf -o out.bin $site/download/268435456" ;;
    httpie:download) echo "http --check-status --ignore-stdin -d -o out.bin $site/download/268435456" ;;
    unifetch:bomb) echo "$unifetch --check-status $site/bomb?mb=256" ;;
    curl:bomb) echo "curl -sf --compressed $site/bomb?mb=256" ;;
    httpie:bomb) echo "http --check-status --ignore-stdin $site/bomb?mb=256" ;;
    unifetch:upload) echo "$unifetch --check-status -f post $site/upload f@upload.bin" ;;
    curl:upload) echo "curl -sf -F f=@upload.bin $site/upload" ;;
    httpie:upload) echo "http --check-status --ignore-stdin -f post $site/upload f@upload.bin" ;;
    unifetch:stdin) echo "$unifetch --check-status post $site/upload" ;;
    curl:stdin) echo "curl -sf -T - $site/upload" ;;
    httpie:stdin) echo "http --check-status post $site/upload" ;;
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
    if ! /usr/bin/time -f '%M' -o time.txt $command <"$input" >/dev/null 2>err.txt; then
        echo "$1 failed on $2: $command" >&2
        cat err.txt >&2
        exit 1
    fi
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
