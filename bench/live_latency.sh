#!/usr/bin/env bash
# Receive-to-line-written latency of okx-stream's live path against tests/fake-okx: from the
# moment libwebsockets hands over a complete WebSocket frame to the return of the write(2)
# that put its lines on stdout (okx-stream measures it with the monotonic clock and reports it
# at -vv), with stdout a pipe to a reader on another core, as in real use. 8 instruments, candle1m + tickers + trades; fake-okx pushes one market step (8
# candles, 8 tickers, 8 trade pushes) every INTERVAL ms. Prints p50/p99/max per run.
# Usage: bench/live_latency.sh [RUNS] [BARS] [INTERVAL_MS]   (defaults 3, 1000, 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
runs=${1:-3}
bars=${2:-1000}
interval=${3:-5}
work=$(mktemp -d)
fake=
trap 'kill $fake 2>/dev/null || true; rm -rf "$work"' EXIT
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
t0=1617321600000
mkdir "$work/data"
for f in "$root"/share/okxkit/samples/*_5m.csv; do
    inst=$(basename "$f" _5m.csv)
    awk -F, -v t0=$t0 -v n="$bars" 'NR == 1 { print; next } NR - 2 < n {
        printf "%d,%s,%s,%s,%s,%s\n", t0 + (NR - 2) * 60000, $2, $3, $4, $5, $6 }' "$f" \
        > "$work/data/${inst}_1m.csv"
done
insts=$(ls "$work/data" | sed 's/_1m.csv//' | paste -sd,)
for run in $(seq "$runs"); do
    rm -f "$work/port"
    taskset -c 1 "$build/tests/fake-okx/fake-okx" --data "$work/data" --now $t0 \
        --ws-interval-ms "$interval" --port-file "$work/port" 2> "$work/fake.err" &
    fake=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    port=$(cat "$work/port")
    "${pin[@]}" "$build/tools/okx-stream" -vv --symbols "$insts" --channels candle1m,tickers,trades \
        --rest-url "http://127.0.0.1:$port" --ws-public-url "ws://127.0.0.1:$port/ws/v5/public" \
        --ws-business-url "ws://127.0.0.1:$port/ws/v5/business" \
        --until $((t0 + (bars - 1) * 60000)) 2> "$work/err" | taskset -c 1 cat > "$work/out"
    kill "$fake"; wait "$fake" 2>/dev/null || true
    echo "run $run: $(wc -l < "$work/out") lines; $(grep -o 'receive-to-write latency: .*' "$work/err")"
done
