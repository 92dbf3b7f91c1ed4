#!/usr/bin/env bash
# Installs what is missing, builds Palisade (release) and runs `palisade serve` on its defaults:
# https://127.0.0.1:10443, data in ./.palisade (its own CA and server certificate on first
# start). Extra arguments go to `palisade serve`, e.g. `bash scripts/run.sh --http-listen 127.0.0.1:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh run
swift build -c release --product palisade
exec .build/release/palisade serve "$@"
