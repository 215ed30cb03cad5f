# Shared helpers for the scripts in this folder (sourced, not run).

# Prints a visible step header with the time since the script started.
step() {
    printf '\n\033[1m==> [%4ss] %s\033[0m\n' "$SECONDS" "$*"
}

# Runs a command as root (directly when we are root, else with sudo).
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are not installed yet.
ensure_apt() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing from Debian: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Adds rustup targets that are missing.
ensure_rust_targets() {
    local installed
    installed=$(rustup target list --installed)
    for target in "$@"; do
        grep -qx "$target" <<<"$installed" || rustup target add "$target"
    done
}

# The version of a crate in Cargo.lock.
locked_version() {
    awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# Installs wasm-bindgen-cli at exactly the wasm-bindgen version of Cargo.lock
# (without --locked: its own lockfile wants a crate this registry lacks).
ensure_wasm_bindgen_cli() {
    local version
    version=$(locked_version wasm-bindgen)
    if wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
        return 0
    fi
    echo "installing wasm-bindgen-cli $version (takes ~8 minutes once)"
    cargo install --quiet wasm-bindgen-cli --version "=$version"
}

# A TCP port on 127.0.0.1 where nothing listens right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts `unifetch serve` (a debug build, or with --release an optimised
# one) on a free port; sets UNIFETCH_SITE and SITE_PID and stops the server
# when the script exits.
start_test_site() { # [--release]
    local profile=debug
    [ "${1:-}" = --release ] && profile=release
    cargo build --quiet --locked ${1:+"$1"} -p unifetch-native --bin unifetch
    local log
    log=$(mktemp)
    "./target/$profile/unifetch" serve --port 0 >"$log" 2>&1 &
    SITE_PID=$!
    trap 'kill "$SITE_PID" 2>/dev/null || true' EXIT
    for _ in $(seq 100); do
        UNIFETCH_SITE=$(grep -o 'http://[0-9.:]*' "$log" | head -n 1 || true)
        [ -n "$UNIFETCH_SITE" ] && break
        sleep 0.1
    done
    if [ -z "$UNIFETCH_SITE" ]; then
        cat "$log"
        echo "the test site did not start" >&2
        return 1
    fi
    export UNIFETCH_SITE
    echo "test site: $UNIFETCH_SITE"
}

# Installs tools/wasi-runner (wasmtime 48.0.8 with wasi:http, ~6 minutes
# once) unless the installed one was built from the same sources.
ensure_wasi_runner() {
    local stamp="$HOME/.cargo/unifetch-wasi-runner.stamp" wanted
    wanted=$(cat tools/wasi-runner/Cargo.lock tools/wasi-runner/Cargo.toml tools/wasi-runner/src/*.rs | sha256sum | cut -d' ' -f1)
    if command -v unifetch-wasi-runner >/dev/null && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
        return 0
    fi
    echo "installing tools/wasi-runner (wasmtime with wasi:http; takes ~6 minutes once)"
    cargo install --quiet --locked --path tools/wasi-runner
    echo "$wanted" >"$stamp"
}

# Installs wasm-pack (~5 minutes once).
ensure_wasm_pack() {
    command -v wasm-pack >/dev/null && return 0
    echo "installing wasm-pack (takes ~5 minutes once)"
    cargo install --quiet --locked wasm-pack
}

# Installs a cargo subcommand at an exact version unless it is there already:
# ensure_cargo_tool cargo-hack 0.6.46
ensure_cargo_tool() {
    local tool=$1 version=$2
    if cargo "${tool#cargo-}" --version 2>/dev/null | grep -q " $version\b"; then
        return 0
    fi
    echo "installing $tool $version (once)"
    cargo install --quiet --locked "$tool" --version "=$version"
}

# Installs npm's `binaryen` (a current wasm-opt, run by Node) once; sets WASM_OPT.
ensure_wasm_opt() {
    local prefix="$HOME/.cache/unifetch-tools/binaryen"
    WASM_OPT="$prefix/node_modules/.bin/wasm-opt"
    [ -x "$WASM_OPT" ] && return 0
    npm install --silent --no-audit --no-fund --prefix "$prefix" binaryen@132.0.0
}

# Installs npm's `esbuild` (the JS minifier of the npm package) once; sets ESBUILD.
ensure_esbuild() {
    local prefix="$HOME/.cache/unifetch-tools/esbuild-0.28.2"
    ESBUILD="$prefix/node_modules/.bin/esbuild"
    [ -x "$ESBUILD" ] && return 0
    npm install --silent --no-audit --no-fund --prefix "$prefix" esbuild@0.28.2
}
