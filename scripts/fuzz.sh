#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets: the URL decoder, the scenario
# JSON import, `--set` values, the lab's parser) for SECONDS each, starting
# from the seed corpus in fuzz/corpus/<target> (left as it is: new inputs go
# to a scratch directory). Needs nightly Rust and cargo-fuzz
# (`scripts/setup.sh test` installs them). Fails on the first crash, hang
# (an input over 10 s) or out-of-memory; the input is saved under
# fuzz/artifacts/<target>/ and `cargo +nightly fuzz run <target> <file>`
# replays it.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default 20 s, every target)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECS="${1:-20}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(url_decode scenario_json set_values lab_script)
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
cargo +nightly fuzz build >/dev/null 2>&1 || cargo +nightly fuzz build
for t in "${TARGETS[@]}"; do
  mkdir -p "$SCRATCH/$t"
  printf 'fuzz: %s for %s s\n' "$t" "$SECS"
  rc=0
  cargo +nightly fuzz run "$t" "$SCRATCH/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$SCRATCH/$t.log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "$SCRATCH/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$SCRATCH/$t.log" >&2
    echo "fuzz: $t failed (the input is in fuzz/artifacts/$t)" >&2
    exit 1
  fi
done
