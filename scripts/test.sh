#!/usr/bin/env bash
# Runs every test: native unit and integration tests on the CPU backend, then the page in
# headless Chromium, with WebGPU (SwiftShader) and without it (CPU fallback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PATH"

echo "== native tests (CPU backend) =="
cargo test
# The benchmark prints figures and is no test; only make sure it still compiles.
cargo bench --no-run --profile dev

echo "== building the site for the browser tests =="
# The dev profile optimises dependencies (see Cargo.toml), so the page trains at near-release
# speed while a rebuild of our crate stays quick.
trunk build --dist target/site-test

echo "== browser tests (headless Chromium) =="
node tests/browser/e2e.mjs target/site-test
