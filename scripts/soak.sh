#!/usr/bin/env bash
# The soak benchmark: starts the test site (release build, its own
# process), then runs benches/soak.rs against it for SECONDS (default 60),
# printing outcomes, resident memory and open file descriptors as it goes.
#
#   bash scripts/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

start_test_site --release >/dev/null
SOAK_SECONDS=${1:-60} UNIFETCH_SITE="$UNIFETCH_SITE" cargo bench --quiet --locked --bench soak
