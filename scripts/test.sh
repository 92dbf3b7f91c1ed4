#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite:
#   1. swift format lint (style),
#   2. swift test: unit tests, C wrappers against the real libraries, in-process servers, the
#      storage layer against a real PostgreSQL (scripts/test-postgres.sh starts a throwaway one),
#   3. pytest Tests/protocol: the built binaries over real sockets, TLS, HTTP/2 and HTTP/1.1,
#      including abuse, shutdown-under-load and fd-leak tests (loopback only, bounded in time),
#   4. pytest Tests/api: the REST API of a running server on real PostgreSQL: authorization
#      matrix, SOAR scenario, bad input, audit, schemathesis fuzzing from /v1/openapi.json,
#   5. pytest Tests/console: the web console in Debian's headless Chromium (selenium and
#      chromedriver) against a running server fed by palisade-enforcer --simulate,
#   6. the README's run command itself, end to end (scripts/smoke-run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh test

echo "== swift format lint"
swift format lint --strict -r Sources Tests bench/IngestBench Package.swift

echo "== test PostgreSQL"
PALISADE_TEST_DATABASE_URL=$(bash scripts/test-postgres.sh start)
export PALISADE_TEST_DATABASE_URL
trap 'bash scripts/test-postgres.sh stop' EXIT

echo "== swift build"
swift build --build-tests

echo "== swift test"
swift test --skip-build

echo "== README run command"
bash scripts/smoke-run.sh

echo "== protocol tests"
PALISADE_BIN_DIR=$(swift build --show-bin-path) .venv/bin/pytest -q Tests/protocol

echo "== API tests"
PALISADE_BIN_DIR=$(swift build --show-bin-path) .venv/bin/pytest -q Tests/api

echo "== console tests (headless Chromium)"
PALISADE_BIN_DIR=$(swift build --show-bin-path) .venv/bin/pytest -q Tests/console
