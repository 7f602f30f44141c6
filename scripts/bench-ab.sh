#!/usr/bin/env bash
# Compares the engine's speed in two builds of `incident-sim`: runs
# `bench --runs 1` of each in turn, PAIRS times, and prints each one's median
# and minimum wall time and the median of the per-pair ratios B/A with its
# quartiles. On some machines the speed drifts by a factor of up to two
# within minutes (the share of the shared L3 they get; docs/performance.md),
# so only interleaved pairs compare two builds fairly, and a
# difference of a few percent needs dozens of them.
#
#   scripts/bench-ab.sh OLD_BINARY NEW_BINARY [PAIRS] [bench options...]
#   e.g. scripts/bench-ab.sh /tmp/incident-sim-old target/release/incident-sim 30 --preset no-rollout
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
A="$1"; B="$2"; shift 2
PAIRS=20
if [ $# -gt 0 ] && [[ "$1" =~ ^[1-9][0-9]*$ ]]; then PAIRS="$1"; shift; fi
for bin in "$A" "$B"; do
  [ -x "$bin" ] || { echo "bench-ab: $bin is not an executable" >&2; exit 2; }
done
OUT="$(mktemp)"
trap 'rm -f "$OUT" "$OUT.host"' EXIT
# One run's wall time, and the kind of build (`bench` says: release,
# profile-guided, dev); the machine it names goes to $OUT.host.
wall() { "$1" bench --runs 1 --json "${@:2}" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["wall_s_median"], d.get("build", "unlabelled")); open(sys.argv[1], "w").write(d.get("host", "unknown"))' "$OUT.host"; }
for _ in $(seq 1 "$PAIRS"); do
  echo "$(wall "$A" "$@") $(wall "$B" "$@")" >> "$OUT"
done
python3 - "$OUT" "$A" "$B" <<'PY'
import statistics as st, sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
rows = [(float(l[0]), float(l[2])) for l in lines]
kind_a, kind_b = lines[0][1], lines[0][3]
a, b = [r[0] for r in rows], [r[1] for r in rows]
ratios = [y / x for x, y in rows]
q = st.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
print(f"host: {open(sys.argv[1] + '.host').read()}")
print(f"A {sys.argv[2]} ({kind_a} build): median {st.median(a):.3f} s, min {min(a):.3f} s")
print(f"B {sys.argv[3]} ({kind_b} build): median {st.median(b):.3f} s, min {min(b):.3f} s")
print(f"B/A over {len(rows)} pairs: median {st.median(ratios):.3f} (quartiles {q[0]:.3f}, {q[2]:.3f})")
PY
