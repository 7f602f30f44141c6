#!/usr/bin/env bash
# The engine alone in wasm, in headless Chromium's dedicated Web Worker
# (tests/wasm_bench.rs through wasm-bindgen-test), beside the native engine,
# in interleaved pairs on this machine: each pair runs the whole preset once
# in each. Prints the host, both series, their medians and native/wasm.
#   scripts/bench-wasm.sh [PRESET] [PAIRS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export BENCH_PRESET="${1:-incident}"
PAIRS="${2:-5}"
wasm_run() {
  cargo test --locked --release --target wasm32-unknown-unknown --test wasm_bench \
    -- --include-ignored --nocapture 2>&1 | sed -n 's/.*wasm-bench .* ms=\([0-9]*\).*/\1/p'
}
native_run() {
  target/release/incident-sim bench --runs 1 --json --preset "$BENCH_PRESET" |
    sed -n 's/.*"wall_s_median":\([0-9.]*\).*/\1/p' | awk '{ printf "%.0f\n", $1 * 1000 }'
}
cargo build --quiet --locked --release --bin incident-sim
wasm_run >/dev/null # builds the test and warms the browser's caches
target/release/incident-sim bench --runs 1 --json --preset "$BENCH_PRESET" | sed -n 's/.*"host":"\([^"]*\)".*/host: \1/p'
W=(); N=()
for _ in $(seq 1 "$PAIRS"); do
  W+=("$(wasm_run)"); N+=("$(native_run)")
done
echo "preset $BENCH_PRESET, $PAIRS pairs"
echo "wasm (dedicated worker) ms: ${W[*]}"
echo "native ms:                  ${N[*]}"
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
mw=$(median "${W[@]}")
mn=$(median "${N[@]}")
awk -v w="$mw" -v n="$mn" 'BEGIN { printf "medians: wasm %d ms, native %d ms, native/wasm %.2f\n", w, n, n / w }'
