#!/usr/bin/env bash
# The benchmark (not part of the tests): builds the release site and measures it against
# TensorFlow.js in headless Chromium with WebGPU. Prints one table.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PATH"
trunk build --release --dist target/site-release
(cd bench && [[ -d node_modules/@tensorflow/tfjs ]] || npm install --no-audit --no-fund --silent)
node bench/run.mjs target/site-release
