#!/usr/bin/env bash
# risk-guard throughput on one core (taskset): the 8 sample symbols' candles (5m, 30 days), each
# followed by three intents of its symbol (a limit buy sized by equity_frac 0.5% below the
# close, a limit sell of a fixed size 0.5% above it, a cancel of another leg): 205,296 intents
# among 273,728 messages, decided with --sync none (the decisions alone, no execute to wait
# for) and the rejections written to the store; 5 runs: input messages and intents per second
# of CPU, p10/median/p90 (target >= 200,000 intents/s).
# Then the barrier: risk-guard | execute with --sync store over select-strategy's output of the
# same samples, wall time, the barriers it took and their cost each.
# Usage: bench/risk_guard.sh [CPU]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${OKXKIT_BUILD:-$root/build}/tools
cpu=${1:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/okx-stream" --replay "$root"/share/okxkit/samples/*-USDT_5m.csv |
    jq -c 'if .type == "candle" then (.ts / 300000 | floor) as $n | .c as $c | .,
        {type: "intent", v: 1, ts, inst, strategy: "bench", leg: ("b" + ($n % 4 | tostring)),
         action: "place", side: "buy", ord_type: "limit", px: ($c * 0.995), equity_frac: 0.01},
        {type: "intent", v: 1, ts, inst, strategy: "bench", leg: ("s" + ($n % 4 | tostring)),
         action: "place", side: "sell", ord_type: "limit", px: ($c * 1.005), sz: (20 / $c)},
        {type: "intent", v: 1, ts, inst, strategy: "bench", leg: ("b" + (($n + 2) % 4 | tostring)),
         action: "cancel"}
      else . end' >"$work/in.ndjson"
lines=$(wc -l <"$work/in.ndjson")
intents=$(grep -c '"type":"intent"' "$work/in.ndjson")
"$bin/risk-guard" --sync none --store "$work/empty.db" </dev/null >/dev/null

cpu_seconds() {
    rm -f "$work"/s.db*
    cp "$work/empty.db" "$work/s.db"
    local TIMEFORMAT='%3U %3S'
    { time taskset -c "$cpu" "$bin/risk-guard" --sync none --store "$work/s.db" \
        <"$work/in.ndjson" >"$work/out"; } 2>"$work/time"
    awk '{ printf "%.4f", $1 + $2 }' "$work/time"
}

rates=()
for _ in 1 2 3 4 5; do
    t=$(cpu_seconds)
    rates+=("$(awk -v n="$intents" -v t="$t" 'BEGIN { printf "%.0f", n / t }')")
done
read -r -a s <<<"$(printf '%s\n' "${rates[@]}" | sort -n | tr '\n' ' ')"
approved=$(grep -c '"type":"intent"' "$work/out")
echo "risk-guard --sync none: $intents intents ($lines messages; $approved approved) per second of CPU: p10 ${s[0]}  median ${s[2]}  p90 ${s[4]}"

"$bin/okx-stream" --replay "$root"/share/okxkit/samples/*-USDT_5m.csv | "$bin/select-strategy" \
    >"$work/ss.ndjson"
rm -f "$work"/s.db*
TIMEFORMAT='%3R'
{ time "$bin/risk-guard" --store "$work/s.db" --run b <"$work/ss.ndjson" |
    "$bin/execute" --store "$work/s.db" --run b >"$work/out2"; } 2>"$work/time2"
rm -f "$work"/n.db*
{ time "$bin/risk-guard" --store "$work/n.db" --run b --sync none <"$work/ss.ndjson" |
    "$bin/execute" --store "$work/n.db" --run b >/dev/null; } 2>"$work/time3"
barriers=$(grep -c '"type":"sync"' "$work/out2")
awk -v b="$barriers" -v with="$(cat "$work/time2")" -v without="$(cat "$work/time3")" 'BEGIN {
    printf "risk-guard | execute over select-strategy'\''s output: %.2f s with %d barriers, %.2f s with --sync none: %.0f us per barrier\n",
           with, b, without, 1e6 * (with - without) / b }'
