#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) this project needs on a
# fresh Debian machine that reaches only the package registries, skipping
# every piece that is already present at the right version.
#
#   scripts/setup.sh build   rust wasm32 target, trunk, wasm-bindgen-cli, wasm-opt (npm binaryen)
#   scripts/setup.sh test    all of the above + chromium, chromedriver, playwright-core, axe-core,
#                            rust nightly and cargo-fuzz
#
# Pinned versions: trunk 0.21.14 is the newest trunk rustc 1.95 can build;
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock; the npm
# tools are pinned in tools/package-lock.json. Trunk never downloads anything:
# Trunk.toml pins the tool versions installed here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE="${1:-build}"
TRUNK_VERSION="0.21.14"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: FAILED: %s\n' "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

have cargo || die "cargo is missing: install Rust with rustup first (https://rustup.rs)"
have rustup || die "rustup is missing: the wasm32 target is installed through rustup"

# 1. The wasm32 target.
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rust target wasm32-unknown-unknown: present"
else
  say "installing rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown || die "rustup target add wasm32-unknown-unknown"
fi

# 2. trunk, pinned.
if have trunk && [ "$(trunk --version 2>/dev/null)" = "trunk $TRUNK_VERSION" ]; then
  say "trunk $TRUNK_VERSION: present"
else
  say "installing trunk $TRUNK_VERSION (cargo install, takes ~7 min on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION" || die "cargo install trunk $TRUNK_VERSION"
fi

# 3. wasm-bindgen-cli at exactly the version in Cargo.lock.
cd "$ROOT"
[ -f Cargo.lock ] || cargo generate-lockfile
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
[ -n "$WB_VERSION" ] || die "could not read the wasm-bindgen version from Cargo.lock"
if have wasm-bindgen && [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WB_VERSION" ] && have wasm-bindgen-test-runner; then
  say "wasm-bindgen-cli $WB_VERSION: present"
else
  say "installing wasm-bindgen-cli $WB_VERSION (cargo install, ~2 min)"
  # Not --locked: its lockfile pins a webpki-roots release the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force || die "cargo install wasm-bindgen-cli $WB_VERSION"
fi

# 4. npm tools kept inside the project (wasm-opt from binaryen; playwright-core;
#    axe-core, which the end-to-end test reads from tools/node_modules).
have npm || die "npm is missing: install Node.js 20 and npm"
STAMP="$ROOT/tools/node_modules/.lock-stamp"
if [ -f "$STAMP" ] && cmp -s "$STAMP" "$ROOT/tools/package-lock.json"; then
  say "tools/node_modules (binaryen, playwright-core, axe-core): present"
else
  say "installing npm tools into tools/ (binaryen 132.0.0, playwright-core 1.65.1, axe-core 4.14.1)"
  (cd "$ROOT/tools" && npm ci --no-audit --no-fund) || die "npm ci in tools/"
  cp "$ROOT/tools/package-lock.json" "$STAMP"
fi
[ "$("$ROOT/tools/node_modules/.bin/wasm-opt" --version)" = "wasm-opt version 132 (version_132)" ] \
  || die "tools/node_modules/.bin/wasm-opt is not version 132"

if [ "$MODE" = "test" ]; then
  # 5. Debian's Chromium and its matching ChromeDriver (no browser download).
  if have chromium && have chromedriver; then
    say "chromium + chromedriver: present ($(chromium --version 2>/dev/null | tail -n1))"
  else
    say "installing Debian packages chromium and chromium-driver"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq || die "apt-get update"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null \
      || die "apt-get install chromium chromium-driver"
  fi
  # 6. Nightly Rust and cargo-fuzz for the fuzz targets (scripts/fuzz.sh).
  if rustup toolchain list | grep -q '^nightly'; then
    say "rust nightly: present"
  else
    say "installing rust nightly (for cargo fuzz)"
    rustup toolchain install nightly --profile minimal || die "rustup toolchain install nightly"
  fi
  if have cargo-fuzz; then
    say "cargo-fuzz: present ($(cargo fuzz --version 2>/dev/null))"
  else
    say "installing cargo-fuzz (cargo install, ~3 min)"
    cargo install cargo-fuzz --locked || die "cargo install cargo-fuzz"
  fi
  # iproute2 for the kernel differential test (present on Debian; optional).
  have ip || say "note: iproute2 'ip' is missing; the real-kernel lab comparison will be skipped"
fi
say "done ($MODE)"
