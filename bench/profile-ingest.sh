#!/usr/bin/env bash
# Where an ingested report's CPU goes: REPORTS connection reports through the enforcer channel
# (release build, its own throwaway PostgreSQL), then the server's and PostgreSQL's CPU seconds.
# With PERF=1 the server runs under `perf record -g` (perf.data in the current directory):
#   PERF=1 bash bench/profile-ingest.sh && perf report --children --sort symbol -g none
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/env.sh
REPORTS=${REPORTS:-200000}
bash scripts/install-deps.sh bench >/dev/null
swift build -c release --product palisade >/dev/null
bin=$(swift build -c release --show-bin-path)
export PALISADE_TEST_PG_DIR=/tmp/palisade-profile-pg PALISADE_TEST_PG_PORT=25477
admin=$(bash scripts/test-postgres.sh start)
data=$(mktemp -d /tmp/palisade-profile-data.XXXXXX)
psql "$admin" -qc "CREATE DATABASE bench"
url=${admin/dbname=postgres/dbname=bench}
PALISADE_ADMIN_PASSWORD=bench-admin-password "$bin/palisade" serve --data-dir "$data" --database-url "$url" \
    --listen 127.0.0.1:19643 --enforcer-listen 127.0.0.1:19600 --log-level warning >"$data/out" 2>"$data/log" &
server=$!
cleanup() { kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; bash scripts/test-postgres.sh stop; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 100); do grep -q serving "$data/out" 2>/dev/null && break; sleep 0.2; done
ca="$data/tls/ca.pem"
api=https://127.0.0.1:19643
token=$(curl -s --cacert "$ca" $api/v1/auth/login -d '{"username":"admin","password":"bench-admin-password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
join=$(curl -s --cacert "$ca" $api/v1/enforcer-tokens -H "authorization: Bearer $token" \
    -d '{"ttl_seconds": 3600, "max_uses": 4}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
cpu() { awk '{ s += $14 + $15 } END { print s / 100 }' "$@" 2>/dev/null; }
postgres_cpu() { cpu $(pgrep -u postgres | sed 's|.*|/proc/&/stat|'); }
if [ -n "${PERF:-}" ]; then
    perf record -F 499 -g -p "$server" -o perf.data 2>/dev/null &
    recorder=$!
fi
pg_before=$(postgres_cpu)
server_before=$(cpu /proc/$server/stat)
.venv/bin/python bench/enforcer_bench.py ingest --port 19600 --ca "$ca" --token "$join" --reports "$REPORTS" \
    --clients 4 --round 1 --time "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
if [ -n "${PERF:-}" ]; then kill -INT "$recorder"; wait "$recorder" || true; fi
python3 - "$REPORTS" "$(cpu /proc/$server/stat)" "$server_before" "$(postgres_cpu)" "$pg_before" <<'PY'
import sys
n, s1, s0, p1, p0 = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"server {1e6 * (s1 - s0) / n:.1f} µs/report, PostgreSQL {1e6 * (p1 - p0) / n:.1f} µs/report")
PY
