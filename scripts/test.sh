#!/usr/bin/env bash
# The whole test suite (README Quick start, command two; .ci/run calls exactly this):
# install → format check → lint (incl. dependency direction) → typecheck/build → unit → integration.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
step() { printf '\n== %s\n' "$*"; }
step "format check (prettier)"
npx prettier --check .
step "lint (eslint, dependency direction)"
npx eslint .
step "typecheck + build (tsc strict)"
rm -rf dist
npx tsc -p tsconfig.json
step "unit tests"
npx ava --config ava.unit.config.js
step "integration tests (network namespaces, real peers)"
if [[ $(id -u) -ne 0 ]]; then
  echo "integration tests need root (network namespaces, nft, privileged ports)" >&2
  exit 1
fi
npx ava --config ava.integration.config.js
