#!/usr/bin/env bash
# Installs what building and testing need, only where missing: the wasm32 target, trunk,
# wasm-bindgen-cli (exactly the Cargo.lock version), and with --browser Debian's chromium and
# chromium-driver plus playwright-core for the browser tests. Never downloads a prebuilt tool.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14   # the newest trunk that builds on stable 1.95 (0.22 needs rustc >= 1.96)
WBG_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
export PATH="$HOME/.cargo/bin:$PATH"

if ! grep -q "wasm_bindgen = \"$WBG_VERSION\"" Trunk.toml; then
  echo "Trunk.toml's [tools] wasm_bindgen must equal Cargo.lock's wasm-bindgen ($WBG_VERSION)" >&2
  exit 1
fi

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --no-default-features --features rustls
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WBG_VERSION"; then
  say "installing wasm-bindgen-cli $WBG_VERSION (matches Cargo.lock)"
  cargo install wasm-bindgen-cli --version "$WBG_VERSION" --force
fi

# Trunk runs offline: make sure every crate is already in the local registry.
cargo fetch --quiet

if [[ "${1:-}" == "--browser" ]]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
    say "installing playwright-core (drives the system chromium; downloads no browser)"
    (cd tests/browser && npm install --no-audit --no-fund --silent)
  fi
fi
