#!/usr/bin/env bash
# Installs what Palisade needs on Debian 12, and nothing that is already there.
#   bash scripts/install-deps.sh run     build + run (libraries, PostgreSQL)
#   bash scripts/install-deps.sh test    run + test tools (curl, h2load, Python venv with h2/pytest)
#   bash scripts/install-deps.sh bench   test + peers for benchmarks (nghttpd, nginx)
# Needs root for apt-get (as on a fresh Debian 12 machine); the Swift 6 toolchain must be present.
set -euo pipefail
profile=${1:-run}
cd "$(dirname "$0")/.."

packages=(pkg-config libpq-dev libssl-dev libnghttp2-dev openssl ca-certificates postgresql libjs-chart.js libjs-d3)
case $profile in
run) ;;
test) packages+=(curl nghttp2-client python3 python3-venv procps iproute2 chromium chromium-driver) ;;
bench) packages+=(curl nghttp2-client nghttp2-server nginx-light python3 python3-venv procps) ;;
*) echo "install-deps: unknown profile '$profile' (run|test|bench)" >&2; exit 64 ;;
esac

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "install-deps: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "install-deps: the Swift 6 toolchain is required (swift not found on PATH)" >&2
    fi
    exit 1
fi

if [ "$profile" != run ]; then
    # Test and benchmark clients only; never part of the product.
    # Reinstalled whenever Tests/requirements.txt changes (its hash is kept in the venv).
    wanted=$(sha256sum Tests/requirements.txt | cut -d' ' -f1)
    if [ ! -x .venv/bin/pytest ] || [ "$(cat .venv/.requirements-sha256 2>/dev/null)" != "$wanted" ]; then
        [ -x .venv/bin/python ] || python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
        echo "$wanted" >.venv/.requirements-sha256
    fi
fi
