#!/usr/bin/env bash
# Proves the README's run command end to end: `bash scripts/run.sh` from an empty data
# directory brings up a server whose /readyz is 200, with PostgreSQL running unprivileged, and
# SIGTERM stops both. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d /tmp/palisade-smoke.XXXXXX)
log=$data.log
bash scripts/run.sh --data-dir "$data/data" --listen 127.0.0.1:0 >"$log" 2>&1 &
runner=$!
cleanup() { kill -TERM "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true; rm -rf "$data" "$log"; }
trap cleanup EXIT

for _ in $(seq 900); do grep -q "palisade: serving" "$log" && break; sleep 1; done
url=$(sed -n 's|^palisade: serving \(https://[0-9.:]*\).*|\1|p' "$log")
[ -n "$url" ] || { echo "smoke: server did not start"; cat "$log"; exit 1; }
status=$(curl -sk -o /dev/null -w '%{http_code}' "$url/readyz")
[ "$status" = 200 ] || { echo "smoke: /readyz answered $status"; exit 1; }
grep -q "created user 'admin' with password" "$log" || { echo "smoke: no admin password shown"; exit 1; }
pid=$(sed -n 's/.*started embedded PostgreSQL.*"pid":"\([0-9]*\)".*/\1/p' "$log" | tail -n 1)
user=$(ps -o user= -p "$pid")
[ "$user" != root ] || { echo "smoke: PostgreSQL runs as root"; exit 1; }
kill -TERM "$runner"
wait "$runner" || { echo "smoke: palisade did not exit 0"; exit 1; }
! kill -0 "$pid" 2>/dev/null || { echo "smoke: PostgreSQL still running after palisade stopped"; exit 1; }
echo "smoke: README run command OK ($url/readyz 200, PostgreSQL as $user, clean stop)"
