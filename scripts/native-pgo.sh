#!/usr/bin/env bash
# Builds the native `incident-sim` with profile-guided optimisation (PGO):
# an instrumented build runs a set of training scenarios, llvm-profdata merges
# what they recorded, and the release build is compiled again with that
# profile, so that LLVM lays out and inlines the event loop's hot paths by how
# often they really run. The engine's code and results are the same as the
# plain release build's (the test command checks that the trace digests
# agree); only the machine code differs, and `bench` says "build
# profile-guided". See docs/performance.md.
#
#   scripts/native-pgo.sh        builds target/pgo/release/incident-sim
#
# The training runs are other seeds and presets than the one `bench` times
# (incident, seed 1), so the profile is of the engine's work in general, not
# of the benchmarked run. llvm-profdata must read the raw profiles of rustc's
# own LLVM: the script uses $LLVM_PROFDATA if set, else rustup's llvm-tools
# (added with rustup when missing), else Debian's llvm-N for rustc's LLVM
# major version N (installed with apt-get when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'native-pgo: %s\n' "$*"; }
die() { printf 'native-pgo: FAILED: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

LLVM_MAJOR="$(rustc -vV | sed -n 's/^LLVM version: \([0-9][0-9]*\).*/\1/p')"
[ -n "$LLVM_MAJOR" ] || die "could not read rustc's LLVM version from 'rustc -vV'"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
RUSTUP_PROFDATA="$(rustc --print sysroot)/lib/rustlib/$HOST/bin/llvm-profdata"

profdata=""
for c in "${LLVM_PROFDATA:-}" "$RUSTUP_PROFDATA" "llvm-profdata-$LLVM_MAJOR"; do
  if [ -n "$c" ] && have "$c"; then profdata="$c"; break; fi
done
# rustup's component is LLVM's own build for this rustc; bounded in time in
# case its download server is out of reach.
if [ -z "$profdata" ] && timeout 300 rustup component add llvm-tools >/dev/null 2>&1 \
  && have "$RUSTUP_PROFDATA"; then
  profdata="$RUSTUP_PROFDATA"
fi
if [ -z "$profdata" ]; then
  say "installing Debian package llvm-$LLVM_MAJOR (llvm-profdata for rustc's LLVM $LLVM_MAJOR)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || die "apt-get update"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "llvm-$LLVM_MAJOR" >/dev/null \
    || die "apt-get install llvm-$LLVM_MAJOR (set LLVM_PROFDATA to an llvm-profdata of LLVM $LLVM_MAJOR instead)"
  profdata="llvm-profdata-$LLVM_MAJOR"
fi
say "llvm-profdata: $profdata"

PROFILES="$ROOT/target/pgo-profiles"
rm -rf "$PROFILES"
mkdir -p "$PROFILES"

say "1/3 instrumented build (target/pgo-instrumented)"
INCIDENT_SIM_BUILD=pgo-instrumented RUSTFLAGS="-Cprofile-generate=$PROFILES" \
  cargo build --locked --release --bin incident-sim --target-dir target/pgo-instrumented
# Build scripts and proc-macros of dependencies ran instrumented too.
rm -f "$PROFILES"/*.profraw

say "2/3 training runs"
TRAIN=target/pgo-instrumented/release/incident-sim
for args in "--preset incident --seed 7" "--preset pick-first --seed 3" \
  "--preset ens6-address --seed 2" "--preset fix-default-backoff --seed 4" \
  "--preset cilium-unreachable-route --seed 5"; do
  say "  run $args"
  # shellcheck disable=SC2086 # the arguments are meant to split
  "$TRAIN" run $args >/dev/null
done
"$profdata" merge -o "$PROFILES/merged.profdata" "$PROFILES"/*.profraw \
  || die "$profdata could not merge the profiles (it must be LLVM $LLVM_MAJOR's)"

say "3/3 optimised build (target/pgo)"
INCIDENT_SIM_BUILD=profile-guided RUSTFLAGS="-Cprofile-use=$PROFILES/merged.profdata" \
  cargo build --locked --release --bin incident-sim --target-dir target/pgo
say "built target/pgo/release/incident-sim"
