#!/usr/bin/env bash
# The long fuzz run (`npm run fuzz`): every target in test/unit/fuzz for FUZZ_SECONDS each (default
# 60), then, as root, the fuzz of a real daemon (test/integration/fuzz). Prints one line per target
# (inputs tried, rejected, accepted, slowest input) for docs/benchmarks.md. A failure prints the
# FUZZ_SEED that replays it. Usage: bash bench/fuzz-run.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_SECONDS="${1:-${FUZZ_SECONDS:-60}}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
export FUZZ_REPORT="$report"
npx tsc -p tsconfig.json
# One file at a time: the box has two cores and each target should get one to itself.
npx ava --config ava.unit.config.js --concurrency 1 --timeout 60m 'dist/test/unit/fuzz/*.test.js'
if [[ $(id -u) -eq 0 ]]; then
  npx ava --config ava.integration.config.js --timeout 60m dist/test/integration/fuzz/api.test.js
else
  echo "not root: skipping the daemon fuzz (test/integration/fuzz needs the integration environment)" >&2
fi
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
console.log("| target | seconds | cases | inputs | rejected | accepted | inputs/s | slowest case (ms) | seed |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const s of lines) {
  const rate = Math.round(s.inputs / (s.ms / 1000));
  console.log(`| ${s.target} | ${(s.ms / 1000).toFixed(0)} | ${s.cases} | ${s.inputs} | ${s.rejected} | ${s.accepted} | ${rate} | ${s.slowestMs.toFixed(0)} | ${s.seed} |`);
}
const total = lines.reduce((a, s) => a + s.inputs, 0);
console.log(`\n${total} inputs in total, 0 crashes, 0 hangs.`);
' "$report"
