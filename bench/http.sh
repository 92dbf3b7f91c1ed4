#!/usr/bin/env bash
# Small-response HTTP benchmark: Palisade vs nghttpd (same libraries) vs nginx, side by side in
# one run, over TLS (h2 via ALPN) and h2c, with h2load from Debian's nghttp2-client.
#
#   bash bench/http.sh            # 3 rounds per cell, medians reported
#   ROUNDS=5 bash bench/http.sh
#
# Every server gets the same 2 worker threads/processes, the same certificate and the same
# 15-byte JSON body. Reported per cell: median requests/s and median server CPU µs per request
# (utime+stime of the server's processes from /proc/<pid>/stat, over the run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-2}
OUT=${OUT:-bench/results/http-$(date +%Y%m%d-%H%M%S).md}
mkdir -p bench/results

bash scripts/install-deps.sh bench >/dev/null
swift build -c release --product palisade >/dev/null

work=$(mktemp -d /tmp/palisade-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Palisade, which also issues the certificate every server uses.
.build/release/palisade serve --data-dir "$work/palisade" --listen 127.0.0.1:19443 --http-listen 127.0.0.1:19080 \
    --event-loops "$WORKERS" --log-level error &
pids+=($!); palisade_pid=$!
for _ in $(seq 50); do curl -skf https://127.0.0.1:19443/healthz >/dev/null 2>&1 && break; sleep 0.1; done
cert=$work/palisade/tls/server.pem key=$work/palisade/tls/server.key

mkdir -p "$work/www"; printf '{"status":"ok"}' > "$work/www/healthz"
nghttpd -n "$WORKERS" -d "$work/www" 19444 "$key" "$cert" >/dev/null 2>&1 & pids+=($!); nghttpd_tls_pid=$!
nghttpd -n "$WORKERS" --no-tls -d "$work/www" 19081 >/dev/null 2>&1 & pids+=($!); nghttpd_plain_pid=$!

cat > "$work/nginx.conf" <<NGINX
worker_processes $WORKERS;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log error;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    default_type application/json;
    server {
        listen 127.0.0.1:19445 ssl http2;
        listen 127.0.0.1:19082 http2;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location = /healthz { return 200 '{"status":"ok"}'; }
    }
}
NGINX
nginx -c "$work/nginx.conf" & pids+=($!); nginx_pid=$!
sleep 1

# CPU ticks of a process and its children (nginx workers, nghttpd is threaded).
ticks() {
    local total=0 p
    for p in "$1" $(pgrep -P "$1" || true); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$total"
}

run_cell() { # server pid url clients streams requests
    local before after out rps
    before=$(ticks "$1")
    out=$(h2load -n "$5" -c "$3" -m "$4" "$2" 2>&1)
    after=$(ticks "$1")
    grep -q "succeeded, 0 failed" <<<"$out" || { echo "h2load failed for $2" >&2; echo "$out" >&2; exit 1; }
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
    # µs of server CPU per request: ticks are 1/100 s.
    echo "$rps $(awk -v t=$((after - before)) -v n="$5" 'BEGIN { printf "%.1f", t * 10000 / n }')"
}

declare -A results
servers=(palisade nghttpd nginx)
for round in $(seq "$ROUNDS"); do
    for mode in tls h2c; do
        for shape in "50 10 300000" "100 1 100000"; do
            read -r c m n <<<"$shape"
            for server in "${servers[@]}"; do
                case $server/$mode in
                palisade/tls) pid=$palisade_pid url=https://127.0.0.1:19443/healthz ;;
                palisade/h2c) pid=$palisade_pid url=http://127.0.0.1:19080/healthz ;;
                nghttpd/tls) pid=$nghttpd_tls_pid url=https://127.0.0.1:19444/healthz ;;
                nghttpd/h2c) pid=$nghttpd_plain_pid url=http://127.0.0.1:19081/healthz ;;
                nginx/tls) pid=$nginx_pid url=https://127.0.0.1:19445/healthz ;;
                nginx/h2c) pid=$nginx_pid url=http://127.0.0.1:19082/healthz ;;
                esac
                results["$mode -c$c -m$m|$server|$round"]=$(run_cell "$pid" "$url" "$c" "$m" "$n")
                echo "round $round $mode -c$c -m$m $server: ${results["$mode -c$c -m$m|$server|$round"]}" >&2
            done
        done
    done
done

python3 - "$ROUNDS" "$OUT" <<PY
import statistics, sys
rounds, out = int(sys.argv[1]), sys.argv[2]
raw = """$(for k in "${!results[@]}"; do echo "$k|${results[$k]}"; done)"""
cells = {}
for line in raw.strip().splitlines():
    cell, server, _, value = line.split("|")
    rps, cpu = map(float, value.split())
    cells.setdefault(cell, {}).setdefault(server, []).append((rps, cpu))
lines = ["| scenario | server | req/s (median of %d) | server CPU µs/req | vs nghttpd | vs nginx |" % rounds,
         "|---|---|---:|---:|---:|---:|"]
for cell in sorted(cells):
    med = {s: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for s, v in cells[cell].items()}
    for server in ("palisade", "nghttpd", "nginx"):
        rps, cpu = med[server]
        lines.append("| %s | %s | %.0f | %.1f | %.2fx | %.2fx |" % (cell, server, rps, cpu, rps / med["nghttpd"][0], rps / med["nginx"][0]))
text = "\n".join(lines)
print(text)
open(out, "w").write(text + "\n")
PY
echo "written to $OUT" >&2
