#!/usr/bin/env bash
# unifetch natively beside the raw hyper-util client it used to wrap and reqwest
# (benches/native-speed), each client in a process of its own on one tokio
# thread, against one nginx worker on 127.0.0.1 in its own process, rounds
# interleaved, with wrk and hyper's bare connection API (a baseline for
# any client built on hyper; HTTP/1.1 only) for reference. Prints the
# README's tables of medians: a 1 KB GET over HTTP/1.1 keep-alive with 64
# and with 1 in flight (req/s, p50, p99, heap allocations and client CPU
# time per request, in user space and in the kernel), 64 streams over one
# HTTP/2 connection (TLS, ALPN), and a 1 GiB download streamed through each
# client's chunk API (median of 5 downloads: MiB/s, peak RSS); with the
# share of a core the nginx worker used during each HTTP/1.1 run. Last, the
# instructions each client executes per request with 1 and with 64 in
# flight, counted by callgrind (INSTRUCTIONS=0 leaves that table out).
#
#   bash scripts/bench-native.sh [ROUNDS] [SECONDS]   (defaults 5 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rounds=${1:-5}
seconds=${2:-3}
ensure_apt nginx openssl wrk
CARGO_TARGET_DIR=$PWD/target/native-speed cargo build --quiet --release --manifest-path benches/native-speed/Cargo.toml
bench=$PWD/target/native-speed/release/native-speed

scratch=$(mktemp -d)
http_port=$(free_port)
https_port=$(free_port)
mkdir "$scratch/www"
head -c 1024 /dev/urandom >"$scratch/www/1k"
truncate -s 1G "$scratch/www/1g"
cat "$scratch/www/1g" >/dev/null # into the page cache before the first client reads it
# A CA that the clients trust, and nginx's certificate signed by it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=bench CA" -keyout "$scratch/ca-key.pem" -out "$scratch/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
    -keyout "$scratch/key.pem" -out "$scratch/cert.csr" 2>/dev/null
openssl x509 -req -in "$scratch/cert.csr" -CA "$scratch/ca.pem" -CAkey "$scratch/ca-key.pem" -days 2 \
    -extfile <(echo "subjectAltName=DNS:localhost,IP:127.0.0.1") -out "$scratch/cert.pem" 2>/dev/null
cat >"$scratch/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $scratch/nginx.pid;
error_log $scratch/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    # Tuned for the small file so that the worker is not what sets the
    # pace: kept open (no open, fstat and close per request) and sent with
    # its head in one write, not a writev then a sendfile. Debian's
    # defaults halve its rate, and then every client measures the same.
    open_file_cache max=16 inactive=1h;
    sendfile off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    http2_max_concurrent_streams 128;
    server {
        listen 127.0.0.1:$http_port;
        listen 127.0.0.1:$https_port ssl http2;
        ssl_certificate $scratch/cert.pem;
        ssl_certificate_key $scratch/key.pem;
        root $scratch/www;
        location = /1g { sendfile on; }
    }
}
EOF
nginx -c "$scratch/nginx.conf" -e "$scratch/error.log" &
nginx_pid=$!
trap 'kill "$nginx_pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT
until curl -sf "http://127.0.0.1:$http_port/1k" >/dev/null; do
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$scratch/error.log"; exit 1; }
    sleep 0.05
done

http=http://127.0.0.1:$http_port
https=https://localhost:$https_port
clients=(hyper-util reqwest unifetch)
declare -A figures

# The nginx worker's CPU time so far, in clock ticks (user + system).
worker_pid=$(pgrep -P "$nginx_pid" | head -n 1)
worker_ticks() { awk '{ print $14 + $15 }' "/proc/$worker_pid/stat"; }

# Runs COMMAND (which prints one JSON line) and files that line under
# "SCENARIO CLIENT", with the share of one core the nginx worker used
# meanwhile (whole run, client start-up included) as "server_cpu_percent".
measure_with() { # SCENARIO CLIENT COMMAND...
    local key="$1 $2" before started line
    shift 2
    before=$(worker_ticks)
    started=$EPOCHREALTIME
    line=$("$@")
    figures["$key"]+="$(python3 -c '
import json, sys
line, before, after, started, ended, hz = sys.argv[1:]
figures = json.loads(line)
busy = (float(after) - float(before)) / float(hz)
figures["server_cpu_percent"] = round(100 * busy / (float(ended) - float(started)))
print(json.dumps(figures))' "$line" "$before" "$(worker_ticks)" "$started" "$EPOCHREALTIME" "$(getconf CLK_TCK)")"$'\n'
}

# Runs one measurement of the bench binary.
measure() { # SCENARIO CLIENT ARGS...
    local scenario=$1 client=$2
    shift 2
    measure_with "$scenario" "$client" "$bench" "$client" "$@"
}

# wrk (C, one thread, 64 connections) for reference: a load generator that
# does next to nothing per request gets no more from this server.
wrk_rate() {
    local rate
    rate=$(wrk -t1 -c64 -d"${seconds}s" "$http/1k" | sed -n 's/^Requests\/sec: *//p')
    echo "{\"per_second\":$rate}"
}

for round in $(seq "$rounds"); do
    echo "round $round of $rounds" >&2
    measure_with h1-64 wrk wrk_rate
    for client in "${clients[@]}"; do
        measure h1-64 "$client" get "$http/1k" 64 "$seconds"
        measure h1-1 "$client" get "$http/1k" 1 "$seconds"
        measure h2-64 "$client" get "$https/1k" 64 "$seconds" "$scratch/ca.pem"
        measure stream "$client" stream "$http/1g"
    done
    measure h1-64 hyper-conn get "$http/1k" 64 "$seconds"
    measure h1-1 hyper-conn get "$http/1k" 1 "$seconds"
done

# The median of FIELD over the runs of "scenario client".
median() { # SCENARIO CLIENT FIELD
    printf '%s' "${figures["$1 $2"]:-}" | python3 -c '
import json, statistics, sys
values = [json.loads(line)[sys.argv[1]] for line in sys.stdin if line.strip()]
print(statistics.median(values) if values else "")' "$3"
}

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
thousands() { python3 -c "import sys; print(f'{float(sys.argv[1]):,.0f}')" "$1"; }

cells() { # SCENARIO CLIENT: req/s, × hyper-util, × reqwest, CPU µs per request (user + system)
    local rate
    rate=$(median "$1" "$2" per_second)
    echo "$(thousands "$rate") | $(ratio "$rate" "$(median "$1" hyper-util per_second)") | $(ratio "$rate" "$(median "$1" reqwest per_second)") | $(median "$1" "$2" cpu_us_per_request) ($(median "$1" "$2" user_us_per_request) + $(median "$1" "$2" system_us_per_request))"
}

echo
echo "nginx 1 worker on 127.0.0.1, GET of a 1 KB file; medians of $rounds rounds of ${seconds} s"
echo
echo "| client | HTTP/1.1, 64 in flight, req/s | × hyper-util | × reqwest | CPU µs per request (user + system) | allocations per request | 1 in flight: p50 / p99 µs | nginx worker CPU % |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for client in "${clients[@]}"; do
    echo "| $client | $(cells h1-64 "$client") | $(median h1-64 "$client" allocations_per_request) | $(median h1-1 "$client" p50_us) / $(median h1-1 "$client" p99_us) | $(median h1-64 "$client" server_cpu_percent) |"
done
baseline=hyper-conn
echo "| hyper's connection API (a bare list of idle connections, for reference) | $(cells h1-64 "$baseline") | $(median h1-64 "$baseline" allocations_per_request) | $(median h1-1 "$baseline" p50_us) / $(median h1-1 "$baseline" p99_us) | $(median h1-64 "$baseline" server_cpu_percent) |"
ceiling=$(median h1-64 wrk per_second)
echo "| wrk (C, 1 thread, for reference) | $(thousands "$ceiling") | $(ratio "$ceiling" "$(median h1-64 hyper-util per_second)") | $(ratio "$ceiling" "$(median h1-64 reqwest per_second)") | – | – | – | $(median h1-64 wrk server_cpu_percent) |"
echo
echo "| client | HTTP/2 (TLS), 64 streams, req/s | × hyper-util | × reqwest | CPU µs per request (user + system) | 1 GiB stream, MiB/s | × hyper-util | peak RSS, MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for client in "${clients[@]}"; do
    stream=$(median stream "$client" mib_per_second)
    echo "| $client | $(cells h2-64 "$client") | $(thousands "$stream") | $(ratio "$stream" "$(median stream hyper-util mib_per_second)") | $(median stream "$client" peak_rss_mib) |"
done

# Instructions per request under callgrind (valgrind), with 1 and with 64
# in flight: a count that does not move with the machine's load, for
# comparing builds. Two runs of different lengths, so that start-up (the
# TLS roots unifetch loads) cancels out; each run's requests are counted
# with its warm-up's (an estimate of the warm-up's share moved the figure
# by 4 %).
if [[ ${INSTRUCTIONS:-1} == 1 ]]; then
    ensure_apt valgrind >&2
    instructions() { # CLIENT IN_FLIGHT SECONDS: "REQUESTS INSTRUCTIONS"
        local out="$scratch/callgrind.$1.$2.$3" line requests total
        line=$(valgrind --tool=callgrind --callgrind-out-file="$out" "$bench" "$1" get "$http/1k" "$2" "$3" 2>/dev/null)
        requests=$(python3 -c 'import json, sys; run = json.loads(sys.argv[1]); print(run["requests"] + run["warm_up_requests"])' "$line")
        total=$(callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
        [[ -n $requests && -n $total ]] || { echo "callgrind of $1 with $2 in flight gave no count" >&2; exit 1; }
        echo "$requests $total"
    }
    echo
    echo "| client | instructions per request (callgrind), 1 in flight | × hyper-util | 64 in flight | × hyper-util |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    declare -A per_request
    for client in "${clients[@]}" hyper-conn; do
        for in_flight in 1 64; do
            short=$(instructions "$client" "$in_flight" 1)
            long=$(instructions "$client" "$in_flight" 4)
            read -r short_requests short_total <<<"$short"
            read -r long_requests long_total <<<"$long"
            per_request[$client $in_flight]=$(((long_total - short_total) / (long_requests - short_requests)))
        done
    done
    declare -A names=([hyper-conn]="hyper's connection API")
    for client in "${clients[@]}" hyper-conn; do
        one=${per_request[$client 1]} many=${per_request[$client 64]}
        echo "| ${names[$client]:-$client} | $(thousands "$one") | $(ratio "$one" "${per_request[hyper-util 1]}") | $(thousands "$many") | $(ratio "$many" "${per_request[hyper-util 64]}") |"
    done
fi
