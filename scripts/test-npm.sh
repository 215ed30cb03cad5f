#!/usr/bin/env bash
# Tests the npm package as users get it: installs the packed tarball (built
# by scripts/build-npm.sh) into a scratch project, runs the node:test suites
# against the test site (UNIFETCH_SITE, UNIFETCH_CLOSED_PORT), type-checks a
# TypeScript usage file against the hand-written .d.ts, and drives the
# browser demo (www/) in Chromium with Playwright, keeping a screenshot at
# target/www/demo.png.
#
#   bash scripts/test-npm.sh      (scripts/test.sh builds, starts the site, then runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scratch=target/npm/scratch
rm -rf "$scratch" && mkdir -p "$scratch"
cp tests/npm/*.test.mjs tests/npm/*.cases.mjs tests/npm/usage.ts tests/www/demo.test.mjs README.md "$scratch/"
tarball="$PWD/$(ls target/npm/unifetch-*.tgz | head -n 1)"
(
    cd "$scratch"
    echo '{"name": "unifetch-scratch", "private": true, "type": "module"}' >package.json
    npm install --silent --no-audit --no-fund "$tarball" typescript@5.9.3 playwright-core@1.64.1
    UNIFETCH_SCREENSHOT="$OLDPWD/target/www/demo.png" node --test --test-concurrency=1 ./*.test.mjs
    npx --no-install tsc --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext \
        --lib es2022,esnext.disposable,dom,dom.iterable usage.ts
    echo "tsc: the TypeScript usage file type-checks"
)
