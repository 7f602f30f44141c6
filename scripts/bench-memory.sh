#!/usr/bin/env bash
# The tab's memory over one run, in headless Chromium: builds the site,
# serves it on loopback, loads the page at QUERY (default: the incident;
# e.g. '?set=clients:3000,replicas:133,service_nodes:64' for the ranges'
# extremes; a long run's go-ahead is clicked) RUNS times and prints, per
# load, the renderer's peak and settled resident memory (this browser's
# renderer only, page and workers) and the run's time.
#   scripts/bench-memory.sh [QUERY] [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
QUERY="${1:-?preset=incident}"
RUNS="${2:-3}"
PORT="${BENCH_PORT:-8184}"
trunk build --release >/dev/null 2>&1
node tests/e2e/serve.mjs dist "$PORT" / >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
for _ in $(seq 1 "$RUNS"); do
  node tests/e2e/mem.mjs "http://127.0.0.1:$PORT/" "$QUERY" 900
done
