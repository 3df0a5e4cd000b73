#!/usr/bin/env bash
# execute throughput on one core (taskset): the 8 sample symbols' candles (5m, 30 days) with
# approved intents made from them (after every candle of every symbol, every 15 minutes, a buy
# or a sell, at market or as a limit 0.2% away, some buys with a take-profit ladder and a stop),
# through execute --mode paper with the store written; 5 runs: input messages (candles and
# intents) per second of CPU, p10/median/p90 (target >= 200,000/s), and the fills they made.
# Usage: bench/execute.sh [CPU]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${OKXKIT_BUILD:-$root/build}/tools
cpu=${1:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/okx-stream" --replay "$root"/share/okxkit/samples/*-USDT_5m.csv |
    jq -c 'if .type == "candle" then
        (.ts / 300000 | floor) as $n | .c as $c
        | ., (select($n % 3 == 0)
            | {type: "intent", v: 1, ts, inst, strategy: "bench", leg: ("l" + ($n % 6 | tostring)),
               action: "place", side: (if $n % 6 == 0 then "buy" else "sell" end),
               ord_type: (if $n % 4 == 0 then "market" else "limit" end),
               px: (if $n % 6 == 0 then $c * 0.998 else $c * 1.002 end),
               sz: (300 / $c), approved: true}
            | if .ord_type == "market" then del(.px) else . end
            | if .side == "buy" and $n % 5 == 0 then
                  .tp = [{px: ($c * 1.01), frac: 0.5}, {px: ($c * 1.02), frac: 0.5}]
                  | .sl = {px: ($c * 0.98)}
              else . end)
      else . end' >"$work/in.ndjson"
lines=$(wc -l <"$work/in.ndjson")
"$bin/execute" --store "$work/empty.db" </dev/null >/dev/null

cpu_seconds() {
    rm -f "$work"/s.db*
    cp "$work/empty.db" "$work/s.db"
    local TIMEFORMAT='%3U %3S'
    { time taskset -c "$cpu" "$bin/execute" --store "$work/s.db" --cash 100000 \
        <"$work/in.ndjson" >"$work/out"; } 2>"$work/time"
    awk '{ printf "%.4f", $1 + $2 }' "$work/time"
}

rates=()
for _ in 1 2 3 4 5; do
    t=$(cpu_seconds)
    rates+=("$(awk -v n="$lines" -v t="$t" 'BEGIN { printf "%.0f", n / t }')")
done
read -r -a s <<<"$(printf '%s\n' "${rates[@]}" | sort -n | tr '\n' ' ')"
fills=$(grep -c '"type":"fill"' "$work/out")
intents=$(grep -c '"type":"intent"' "$work/in.ndjson")
echo "execute: $lines input messages ($intents intents, $fills fills, $(wc -l <"$work/out") lines out) per second: p10 ${s[0]}  median ${s[2]}  p90 ${s[4]}"
