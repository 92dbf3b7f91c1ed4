#!/usr/bin/env bash
# The enforcer channel under load, side by side in one run (medians of ROUNDS for ingest):
#   (a) 1,000,000 connection reports (distinct keys, so 1,000,000 conversation rows) through
#       POST /v1/enforcer/reports from 4 enforcers in 10,000-report batches, against psql \copy
#       of the very same rows into the same table;
#   (b) STREAMS policy streams held open at once (100 enforcer identities), one policy change,
#       and how long it takes to reach 99 % of them; server RSS per idle stream.
#
#   bash bench/enforcers.sh      # REPORTS=1000000 ROUNDS=3 STREAMS=10000 by default
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
REPORTS=${REPORTS:-1000000}
ROUNDS=${ROUNDS:-3}
STREAMS=${STREAMS:-10000}
bash scripts/install-deps.sh bench >/dev/null
swift build -c release --product palisade >/dev/null
bin=$(swift build -c release --show-bin-path)
# Each side holds STREAMS sockets: raise the soft limit as far as the hard one allows.
ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) > STREAMS + 1000 )) || { echo "enforcers.sh: ulimit -n $(ulimit -n) is too low for $STREAMS streams" >&2; exit 1; }

export PALISADE_TEST_PG_DIR=/tmp/palisade-bench-pg PALISADE_TEST_PG_PORT=25433
admin=$(bash scripts/test-postgres.sh start)
data=$(mktemp -d /tmp/palisade-bench-data.XXXXXX)
file=$(mktemp /tmp/palisade-bench-rows.XXXXXX)
cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    bash scripts/test-postgres.sh stop
    rm -rf "$data" "$file"
}
trap cleanup EXIT
psql "$admin" -qc "CREATE DATABASE bench"
url=${admin/dbname=postgres/dbname=bench}

PALISADE_ADMIN_PASSWORD=bench-admin-password "$bin/palisade" serve --data-dir "$data" --database-url "$url" \
    --listen 127.0.0.1:19543 --enforcer-listen 127.0.0.1:19500 --log-level warning >"$data/out" 2>"$data/log" &
server=$!
for _ in $(seq 100); do grep -q serving "$data/out" 2>/dev/null && break; sleep 0.2; done
ca="$data/tls/ca.pem"
api=https://127.0.0.1:19543
token=$(curl -s --cacert "$ca" $api/v1/auth/login -d '{"username":"admin","password":"bench-admin-password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
join() {
    curl -s --cacert "$ca" $api/v1/enforcer-tokens -H "authorization: Bearer $token" \
        -d "{\"ttl_seconds\": 3600, \"max_uses\": $1}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
py=.venv/bin/python
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$py" bench/enforcer_bench.py copy-file --reports "$REPORTS" --time "$stamp" --out "$file"
columns="source_id, destination_id, port, protocol, application, bytes, sessions, last_action, first_seen_at, last_seen_at"

psql_rates=() channel_rates=()
for round in $(seq "$ROUNDS"); do
    psql "$url" -qc "TRUNCATE conversations"
    t0=$(date +%s.%N)
    psql "$url" -qc "\\copy conversations ($columns) FROM '$file'"
    t1=$(date +%s.%N)
    [ "$(psql "$url" -tAc 'SELECT count(*) FROM conversations')" = "$REPORTS" ] || { echo "psql row count" >&2; exit 1; }
    psql_rates+=("$(awk -v n="$REPORTS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')")

    psql "$url" -qc "TRUNCATE conversations"
    out=$("$py" bench/enforcer_bench.py ingest --port 19500 --ca "$ca" --token "$(join 4)" --reports "$REPORTS" \
        --clients 4 --round "$round" --time "$stamp")
    [ "$(psql "$url" -tAc 'SELECT count(*) FROM conversations')" = "$REPORTS" ] || { echo "channel row count" >&2; exit 1; }
    channel_rates+=("$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(round(d['reports']/d['seconds']))" "$out")")
    echo "round $round: psql \\copy ${psql_rates[-1]} rows/s, channel ${channel_rates[-1]} reports/s" >&2
done

streams=$("$py" bench/enforcer_bench.py streams --port 19500 --ca "$ca" --token "$(join 100)" --count "$STREAMS" \
    --identities 100 --pid "$server" --api "$api" --admin-token "$token")
echo "streams: $streams" >&2

python3 - "${psql_rates[*]}" "${channel_rates[*]}" "$REPORTS" "$ROUNDS" "$streams" <<'PY'
import json, statistics, sys
psql = statistics.median(map(int, sys.argv[1].split()))
channel = statistics.median(map(int, sys.argv[2].split()))
s = json.loads(sys.argv[5])
print(f"| ingest path | rows/s (median of {sys.argv[4]}, {int(sys.argv[3]):,} rows) | vs psql \\copy |")
print("|---|---:|---:|")
print(f"| psql \\copy into conversations | {psql:,.0f} | 1.00x |")
print(f"| POST /v1/enforcer/reports (4 enforcers, 10,000-report batches) | {channel:,.0f} | {channel / psql:.2f}x |")
print()
print("| streams | opened in | reached | p50 | p99 | RSS per idle stream |")
print("|---:|---:|---:|---:|---:|---:|")
print(f"| {s['streams']:,} | {s['opened_seconds']:.1f} s | {s['reached']:,} | {s['p50']*1000:.0f} ms | "
      f"{s['p99']*1000:.0f} ms | {s['kib_per_stream']:.1f} KiB |")
PY
