#!/usr/bin/env bash
# Tape normalisation throughput: records a live okx-stream run against tests/fake-okx
# (8 instruments, candle1m + tickers + trades), then times `okx-stream --replay TAPE` to
# /dev/null: WebSocket frames normalised per second, p90/median/p10 over RUNS replays.
# Usage: bench/live_tape.sh [RUNS] [BARS]    (defaults 15 and 2000; OKXKIT_BUILD = build dir)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
runs=${1:-15}
bars=${2:-2000}
work=$(mktemp -d)
trap 'kill $fake 2>/dev/null || true; [ -n "${KEEP_TAPE:-}" ] && cp "$work/tape" "$KEEP_TAPE"; rm -rf "$work"' EXIT
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
t0=1617321600000
mkdir "$work/data"
for f in "$root"/share/okxkit/samples/*_5m.csv; do
    inst=$(basename "$f" _5m.csv)
    # The sample's 5m rows restamped as consecutive 1m bars: real prices, a fast clock.
    awk -F, -v t0=$t0 -v n="$bars" 'NR == 1 { print; next } NR - 2 < n {
        printf "%d,%s,%s,%s,%s,%s\n", t0 + (NR - 2) * 60000, $2, $3, $4, $5, $6 }' "$f" \
        > "$work/data/${inst}_1m.csv"
done
insts=$(ls "$work/data" | sed 's/_1m.csv//' | paste -sd,)
"$build/tests/fake-okx/fake-okx" --data "$work/data" --now $t0 --ws-interval-ms 1 \
    --port-file "$work/port" 2> "$work/fake.err" &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
"$build/tools/okx-stream" --symbols "$insts" --channels candle1m,tickers,trades \
    --rest-url "http://127.0.0.1:$port" --ws-public-url "ws://127.0.0.1:$port/ws/v5/public" \
    --ws-business-url "ws://127.0.0.1:$port/ws/v5/business" \
    --until $((t0 + (bars - 1) * 60000)) --record "$work/tape" > "$work/live.ndjson"
frames=$(grep -c '"tape":"ws"' "$work/tape")
"$build/tools/okx-stream" --replay "$work/tape" | cmp - "$work/live.ndjson"
echo "tape: $frames WebSocket frames, $(wc -l < "$work/live.ndjson") output lines; replay output = live output"
for _ in $(seq "$runs"); do
    s=$(date +%s%N)
    "${pin[@]}" "$build/tools/okx-stream" --replay "$work/tape" > /dev/null
    echo $(( $(date +%s%N) - s ))
done | sort -n | awk -v n="$frames" '{ t[NR] = $1 } END {
    i10 = int((NR + 1) * 0.1); i50 = int((NR + 1) * 0.5); i90 = int((NR + 1) * 0.9)
    if (i10 < 1) i10 = 1; if (i90 > NR) i90 = NR
    printf "frames/s  p90 (slow) %.0f  median %.0f  p10 (fast) %.0f  (%d replays)\n",
        n / (t[i90] / 1e9), n / (t[i50] / 1e9), n / (t[i10] / 1e9), NR }'
