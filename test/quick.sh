#!/usr/bin/env bash
# The quick lane: typecheck, lint, formatting, unit tests. No root, no broker, no kernel beyond what the build
# needs (the ABI unit test runs bpf/build/abi-probe, built by `make -C bpf`). test/run.sh runs it
# first and stops when it fails, before any server starts. On its own, after `npm ci`:
#   npm run test:quick
# --built: the tree has just been built (deploy/install.sh in test/run.sh); otherwise the lane
# builds after typecheck and lint pass, since the unit tests run from dist/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
step() { printf 'test/quick.sh: %s (at %d s)\n' "$1" $((SECONDS - started)) >&2; }
step 'typecheck (tsc --noEmit, main and web tsconfigs)'
npm run --silent typecheck
step 'lint (eslint)'
npm run --silent lint
step 'format (prettier --check)'
npm run --silent format:check
if [[ ${1:-} != --built ]]; then
  step 'build'
  npm run --silent build >/dev/null
fi
step 'unit tests'
# Only *.test.js: a stale helper compiled into dist/test/unit by an older tree is not a test.
# Each file and test within 5 minutes (a hang fails its file; the lane takes about 2 minutes in all).
node --test --test-timeout=300000 dist/test/unit/*.test.js
step 'passed'
