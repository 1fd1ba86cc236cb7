#!/usr/bin/env bash
# Builds the playground (release) and serves it on http://127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
exec trunk serve --release --address 127.0.0.1 --port "${PORT:-8080}" "$@"
