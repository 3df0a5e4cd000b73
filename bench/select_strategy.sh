#!/usr/bin/env bash
# select-strategy throughput on one core (taskset): the 8 sample symbols' candles (5m, 30 days)
# replayed to a file, then select-strategy with the four built-in candidates over it, 5 runs:
# input messages per second, p10/median/p90 (target >= 500,000/s). Then the cost of one
# evaluation of all 8 symbols: the same input with --eval-every 5m (an evaluation per symbol
# at every candle) against the default 6h, the extra time divided by the extra evaluation
# rounds. The store is written in both: a temporary file, created and migrated once
# beforehand (as a store in use is), copied afresh for every run.
# Last, the same with the rules template (share/okxkit/strategies/rules.toml) alone.
# Usage: bench/select_strategy.sh [CPU]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${OKXKIT_BUILD:-$root/build}/tools
cpu=${1:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/okx-stream" --replay "$root"/share/okxkit/samples/*-USDT_5m.csv >"$work/in.ndjson"
lines=$(wc -l <"$work/in.ndjson")
"$bin/select-strategy" --store "$work/empty.db" </dev/null >/dev/null

# Seconds of CPU (user + system, to the millisecond) of one run of select-strategy with the
# options given.
cpu_seconds() {
    rm -f "$work"/s.db*
    cp "$work/empty.db" "$work/s.db"
    local TIMEFORMAT='%3U %3S'
    { time taskset -c "$cpu" "$bin/select-strategy" --store "$work/s.db" "$@" \
        <"$work/in.ndjson" >"$work/out"; } 2>"$work/time"
    awk '{ printf "%.4f", $1 + $2 }' "$work/time"
}

rates=() times=()
for _ in 1 2 3 4 5; do
    t=$(cpu_seconds)
    times+=("$t")
    rates+=("$(awk -v n="$lines" -v t="$t" 'BEGIN { printf "%.0f", n / t }')")
done
read -r -a s <<<"$(printf '%s\n' "${rates[@]}" | sort -n | tr '\n' ' ')"
out_lines=$(wc -l <"$work/out")
evals=$(sqlite3 "$work/s.db" 'SELECT count(*) FROM strategy_evaluations')
echo "select-strategy: $lines input messages ($out_lines out, $evals evaluations) per second: p10 ${s[0]}  median ${s[2]}  p90 ${s[4]}"

base=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
every=()
for _ in 1 2 3; do every+=("$(cpu_seconds --eval-every 5m)"); done
every_t=$(printf '%s\n' "${every[@]}" | sort -n | sed -n 2p)
evals_every=$(sqlite3 "$work/s.db" 'SELECT count(*) FROM strategy_evaluations')
awk -v a="$base" -v b="$every_t" -v e0="$evals" -v e1="$evals_every" 'BEGIN {
    per = (b - a) / (e1 - e0) * 8
    printf "one evaluation of all 8 symbols (store row included): %.1f us (%d evaluations in %.3f s against %d in %.3f s)\n", per * 1e6, e1, b, e0, a
}'

# The rules kind: the ema_cross template alone as the candidate (its graph evaluated on every
# candle of every symbol), 5 runs.
rates=()
for _ in 1 2 3 4 5; do
    t=$(cpu_seconds --strategies "$root/share/okxkit/strategies/rules.toml")
    rates+=("$(awk -v n="$lines" -v t="$t" 'BEGIN { printf "%.0f", n / t }')")
done
read -r -a s <<<"$(printf '%s\n' "${rates[@]}" | sort -n | tr '\n' ' ')"
echo "select-strategy --strategies rules.toml: input messages per second: p10 ${s[0]}  median ${s[2]}  p90 ${s[4]}"
