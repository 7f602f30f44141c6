#!/usr/bin/env bash
# The engine alone in wasm, in headless Chromium's dedicated Web Worker
# (tests/wasm_bench.rs through wasm-bindgen-test), beside the native engine,
# in interleaved pairs on this machine: each pair runs the whole preset in
# each, first fresh (a new worker, a new process), then warm (again in the
# same worker or process). Prints the host, the series, their medians and
# native/wasm for both.
#   scripts/bench-wasm.sh [PRESET] [PAIRS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export BENCH_PRESET="${1:-incident}"
PAIRS="${2:-5}"
# One wasm pass prints "FIRST WARM": a fresh worker's first run (V8 still
# compiling the module) and the faster of its next two.
wasm_run() {
  cargo test --locked --release --target wasm32-unknown-unknown --test wasm_bench \
    -- --include-ignored --nocapture 2>&1 |
    sed -n 's/.*wasm-bench .* ms=\([0-9]*\) warm_ms=\([0-9]*\).*/\1 \2/p'
}
# One native pass prints "FIRST WARM" the same way: a fresh process's run,
# and the fastest of three in one process.
native_run() {
  ms() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | awk '{ printf "%.0f", $1 * 1000 }'; }
  first=$(target/release/incident-sim bench --runs 1 --json --preset "$BENCH_PRESET" | ms wall_s_median)
  warm=$(target/release/incident-sim bench --runs 3 --json --preset "$BENCH_PRESET" | ms wall_s_min)
  echo "$first $warm"
}
cargo build --quiet --locked --release --bin incident-sim
wasm_run >/dev/null # builds the test and warms the browser's caches
target/release/incident-sim bench --runs 1 --json --preset "$BENCH_PRESET" | sed -n 's/.*"host":"\([^"]*\)".*/host: \1/p'
WF=(); WW=(); NF=(); NW=()
for _ in $(seq 1 "$PAIRS"); do
  read -r f w <<<"$(wasm_run)"; WF+=("$f"); WW+=("$w")
  read -r f w <<<"$(native_run)"; NF+=("$f"); NW+=("$w")
done
echo "preset $BENCH_PRESET, $PAIRS pairs"
echo "first run  wasm (fresh dedicated worker) ms: ${WF[*]}"
echo "           native (fresh process) ms:        ${NF[*]}"
echo "warm run   wasm (same worker, best of 2) ms: ${WW[*]}"
echo "           native (same process, best of 3): ${NW[*]}"
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
ratio() {
  awk -v what="$1" -v w="$2" -v n="$3" \
    'BEGIN { printf "%s medians: wasm %d ms, native %d ms, native/wasm %.2f\n", what, w, n, n / w }'
}
ratio "first run" "$(median "${WF[@]}")" "$(median "${NF[@]}")"
ratio "warm run " "$(median "${WW[@]}")" "$(median "${NW[@]}")"
