#!/usr/bin/env bash
# The whole paper backtest in candles per second of wall time, on all the machine's cores, as
# the demo runs it: okx-stream --replay of the 8 sample symbols (5m, 30 days: 68,432 candles) |
# featurize | predict --drop-features | select-strategy | risk-guard | execute, with
# risk-guard syncing with execute through the store; 3 runs, median (target >= 50,000
# candles/s on 2 cores). predict looks its champions up in a store without any, as in the
# demo, where no model of the samples passes the skill gate: it reads every features line and
# predicts nothing (bench/predict.sh measures predictions).
# Usage: bench/pipeline.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${OKXKIT_BUILD:-$root/build}/tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=("$root"/share/okxkit/samples/*-USDT_5m.csv)
candles=$("$bin/okx-stream" --replay "${samples[@]}" | grep -c '"type":"candle"')
"$bin/okx-stream" --replay "${samples[0]}" --to 2021-04-02 --store "$work/models.db" >/dev/null
secs=()
for i in 1 2 3; do
    rm -f "$work"/s.db*
    TIMEFORMAT='%3R'
    { time "$bin/okx-stream" --replay "${samples[@]}" | "$bin/featurize" |
        "$bin/predict" --drop-features --store "$work/models.db" 2>/dev/null |
        "$bin/select-strategy" |
        "$bin/risk-guard" --store "$work/s.db" --run "b$i" |
        "$bin/execute" --store "$work/s.db" --run "b$i" >"$work/out"; } 2>"$work/time"
    secs+=("$(cat "$work/time")")
done
read -r -a s <<<"$(printf '%s\n' "${secs[@]}" | sort -n | tr '\n' ' ')"
fills=$(grep -c '"type":"fill"' "$work/out")
awk -v n="$candles" -v t="${s[1]}" -v f="$fills" -v c="$(nproc)" 'BEGIN {
    printf "pipeline: %d candles in %.2f s (median of 3) on %d cores: %.0f candles/s; %d fills\n", n, t, c, n / t, f }'
