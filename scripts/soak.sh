#!/usr/bin/env bash
# The soak benchmark: starts the test site (release build, its own
# process), then runs benches/soak.rs against it for REQUESTS (default
# 1,000,000), printing outcomes, resident memory, open file descriptors and
# connections at the start, every tenth and the end.
#
#   bash scripts/soak.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

start_test_site --release >/dev/null
SOAK_REQUESTS=${1:-1000000} UNIFETCH_SITE="$UNIFETCH_SITE" cargo bench --quiet --locked --bench soak
