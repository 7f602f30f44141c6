#!/usr/bin/env bash
# Sets up what is missing, then runs every test: native `cargo test`, the
# wasm-bindgen-test suite in headless Chromium, and the end-to-end test of the
# built site in headless Chromium (screenshots in tests/e2e/out/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh test
export PATH="$ROOT/tools/node_modules/.bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"

step() { printf '\n== %s\n' "$*"; }

step "native tests (cargo test)"
cargo test --locked

step "browser tests (wasm-bindgen-test in headless Chromium)"
cargo test --locked --target wasm32-unknown-unknown --test web --test wasm_engine

step "end-to-end test of the built site (playwright-core + Debian Chromium)"
scripts/e2e.sh

step "all tests passed"
