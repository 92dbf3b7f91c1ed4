#!/usr/bin/env bash
# Bulk ingest: 1,000,000 event rows through Palisade's Storage COPY path (rows encoded in Swift,
# streamed over the non-blocking libpq connection) against `psql \copy` of the very same rows
# from a file, side by side in one run on one PostgreSQL, medians of ROUNDS rounds.
#
#   bash bench/ingest.sh            # ROWS=1000000 ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
ROWS=${ROWS:-1000000}
ROUNDS=${ROUNDS:-3}
bash scripts/install-deps.sh bench >/dev/null
swift build -c release --product palisade >/dev/null
swift build -c release --product ingest-bench >/dev/null
bin=$(swift build -c release --show-bin-path)

export PALISADE_TEST_PG_DIR=/tmp/palisade-bench-pg PALISADE_TEST_PG_PORT=25433
admin=$(bash scripts/test-postgres.sh start)
trap 'bash scripts/test-postgres.sh stop; rm -f "$file"' EXIT
psql "$admin" -qc "CREATE DATABASE ingest"
url=${admin/dbname=postgres/dbname=ingest}
"$bin/palisade" migrate --data-dir "$(mktemp -d)" --database-url "$url" >/dev/null

file=$(mktemp /tmp/palisade-ingest.XXXXXX)
"$bin/ingest-bench" generate --rows "$ROWS" --out "$file"
columns="occurred_at, kind, severity, enforcer_id, host_id, workload_id, group_name, peer, action, summary, detail"

psql_rates=() storage_rates=()
for round in $(seq "$ROUNDS"); do
    psql "$url" -qc "TRUNCATE events"
    t0=$(date +%s.%N)
    psql "$url" -qc "\\copy events ($columns) FROM '$file'"
    t1=$(date +%s.%N)
    count=$(psql "$url" -tAc "SELECT count(*) FROM events")
    [ "$count" = "$ROWS" ] || { echo "psql stored $count rows" >&2; exit 1; }
    psql_rates+=("$(awk -v n="$ROWS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')")

    psql "$url" -qc "TRUNCATE events"
    out=$("$bin/ingest-bench" copy --rows "$ROWS" --database-url "$url")
    count=$(psql "$url" -tAc "SELECT count(*) FROM events")
    [ "$count" = "$ROWS" ] || { echo "Storage stored $count rows" >&2; exit 1; }
    storage_rates+=("$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(round(d['rows']/d['seconds']))" "$out")")
    echo "round $round: psql ${psql_rates[-1]} rows/s, storage ${storage_rates[-1]} rows/s" >&2
done

python3 - "${psql_rates[*]}" "${storage_rates[*]}" "$ROWS" "$ROUNDS" <<'PY'
import statistics, sys
psql = statistics.median(map(int, sys.argv[1].split()))
storage = statistics.median(map(int, sys.argv[2].split()))
print(f"| path | rows/s (median of {sys.argv[4]}, {int(sys.argv[3]):,} rows) | vs psql \\copy |")
print("|---|---:|---:|")
print(f"| psql \\copy | {psql:,.0f} | 1.00x |")
print(f"| Storage COPY (Swift encoding included) | {storage:,.0f} | {storage / psql:.2f}x |")
PY
