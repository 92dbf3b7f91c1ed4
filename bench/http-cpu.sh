#!/usr/bin/env bash
# Palisade's own server CPU per request, for A/B comparisons of a change to the request path
# (docs/PERFORMANCE.md, "What moved the numbers"): release build, TLS, h2load -c 50 -m 10 on
# /healthz, ROUNDS rounds of REQUESTS requests after a warm-up. For the side-by-side figures
# against nghttpd and nginx, use bench/http.sh.
#   bash bench/http-cpu.sh        # ROUNDS=3 REQUESTS=300000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-300000}
bash scripts/install-deps.sh bench >/dev/null
swift build -c release --product palisade >/dev/null
work=$(mktemp -d /tmp/palisade-cpu.XXXXXX)
.build/release/palisade serve --data-dir "$work/data" --listen 127.0.0.1:19643 --log-level error >"$work/out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q serving "$work/out" 2>/dev/null && break; sleep 0.2; done
url=https://127.0.0.1:19643/healthz
h2load -n 50000 -c 50 -m 10 "$url" >/dev/null
cpu() { awk '{ print $14 + $15 }' /proc/$pid/stat; }
for round in $(seq "$ROUNDS"); do
    before=$(cpu)
    rate=$(h2load -n "$REQUESTS" -c 50 -m 10 "$url" | awk '/^finished/ { print $4 }')
    after=$(cpu)
    awk -v r="$round" -v rate="$rate" -v a="$before" -v b="$after" -v n="$REQUESTS" \
        'BEGIN { printf "round %d: %s req/s, server CPU %.2f µs/req\n", r, rate, (b - a) * 10000 / n }'
done
