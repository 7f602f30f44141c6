#!/usr/bin/env bash
# The page's engine (wasm, in its Web Worker, in headless Chromium) beside
# the native one, in interleaved pairs on this machine: each pair loads the
# page on PRESET and waits for the whole run, then runs `incident-sim bench
# --runs 1` of the same preset. Prints medians, the ratio native/wasm and
# the renderer's memory with the run and its checkpoints held; then, in the
# same page, the run again after a change (another preset and back): the
# worker's speed once its module is compiled.
#   scripts/bench-page.sh [PRESET] [PAIRS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
PRESET="${1:-incident}"
PAIRS="${2:-5}"
PORT="${BENCH_PORT:-8183}"
trunk build --release >/dev/null 2>&1
cargo build --release --locked --bin incident-sim >/dev/null 2>&1
/usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
node tests/e2e/bench.mjs "http://127.0.0.1:$PORT/" "$ROOT/target/release/incident-sim" "$PRESET" "$PAIRS"
