#!/usr/bin/env bash
# Sets up what is missing, builds the release site and serves it, offline, on
# http://127.0.0.1:8080/ (Ctrl-C stops it). PORT=NNNN picks another port.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh build
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
trunk build --release
PORT="${PORT:-8080}"
echo "serving the release build on http://127.0.0.1:$PORT/ (Ctrl-C to stop)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist
