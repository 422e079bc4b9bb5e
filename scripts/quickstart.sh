#!/usr/bin/env bash
# quickstart.sh [--once]: two local Kafka clusters and kmirror between them.
#
#   1. installs the dependencies and builds kmirror;
#   2. starts cluster "primary" on 127.0.0.1:19092 and "dr" on 127.0.0.1:29092;
#   3. starts kmirror with examples/quickstart.yaml;
#   4. writes sample records to "orders" on primary and shows them arriving on
#      dr as "primary.orders";
#   5. keeps mirroring until Ctrl-C (--once: stops after the demonstration).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
once=false
[[ "${1:-}" == "--once" ]] && once=true
kafka=tests/harness/kafka.sh
kmirror_pid=""

cleanup() {
    trap - EXIT INT TERM
    if [[ -n "$kmirror_pid" ]] && kill -0 "$kmirror_pid" 2>/dev/null; then
        echo "== stopping kmirror (SIGTERM: drains and commits)"
        kill -TERM "$kmirror_pid" 2>/dev/null || true
        wait "$kmirror_pid" 2>/dev/null || true
    fi
    echo "== stopping the clusters"
    "$kafka" down primary >/dev/null 2>&1 || true
    "$kafka" down dr >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

echo "== installing dependencies and building"
scripts/install-deps.sh
scripts/build.sh release

echo "== starting Kafka clusters 'primary' (127.0.0.1:19092) and 'dr' (127.0.0.1:29092)"
"$kafka" down primary >/dev/null 2>&1 || true
"$kafka" down dr >/dev/null 2>&1 || true
"$kafka" up primary 19092 >/dev/null
"$kafka" up dr 29092 >/dev/null
"$kafka" topics primary --create --topic orders --partitions 3 >/dev/null

echo "== starting kmirror (examples/quickstart.yaml); its log: .kmirror/kmirror.log"
mkdir -p .kmirror
build/release/kmirror run -c examples/quickstart.yaml >.kmirror/kmirror.log 2>&1 &
kmirror_pid=$!
for _ in $(seq 1 300); do
    grep -q "kmirror ready" .kmirror/kmirror.log && break
    kill -0 "$kmirror_pid" 2>/dev/null || { cat .kmirror/kmirror.log; exit 1; }
    sleep 0.1
done

echo "== producing 10 records to 'orders' on primary"
for i in $(seq 1 10); do echo "order-$i:{\"id\":$i,\"amount\":$((i * 10))}"; done |
    kcat -b 127.0.0.1:19092 -t orders -P -K: -H source=quickstart

echo "== reading 'primary.orders' on dr (waits until all 10 arrived)"
timeout 60 kcat -b 127.0.0.1:29092 -t primary.orders -C -o beginning -c 10 -q \
    -f 'partition %p offset %o  key %k  value %s  headers %h\n'
echo "== kmirror's view: http://127.0.0.1:9464/status"
curl -s http://127.0.0.1:9464/status | head -c 600; echo

if $once; then
    echo "== done (--once)"
    exit 0
fi
echo "== kmirror keeps mirroring primary -> dr. Try:"
echo "   echo hello | kcat -b 127.0.0.1:19092 -t orders -P"
echo "   kcat -b 127.0.0.1:29092 -t primary.orders -C"
echo "   Ctrl-C stops kmirror and both clusters."
wait "$kmirror_pid"
