#!/usr/bin/env bash
# Builds the release site, serves dist/ on loopback under a subpath (as a
# postmortem's host would: /its-not-dns/) with a locked-down
# Content-Security-Policy (tests/e2e/serve.mjs), and runs the end-to-end test
# in headless Chromium (tests/e2e/e2e.mjs). Screenshots: tests/e2e/out/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
PORT="${E2E_PORT:-8181}"
trunk build --release
node tests/e2e/serve.mjs "$ROOT/dist" "$PORT" /its-not-dns/ &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
node tests/e2e/e2e.mjs "http://127.0.0.1:$PORT/its-not-dns/"
