#!/usr/bin/env bash
# Old against new: the same whole-tool runs (replay, featurize, predict) with two builds of the
# tools, taken in turns (A, B, A, B, ...) on one pinned core, so that whatever else the machine
# does falls on both alike. Prints per tool and build the median and p10/p90 of the rate in
# CPU time (user + system of the tool, which other processes do not inflate) and wall time,
# and the ratio of the medians (B / A; above 1: B is faster).
# Usage: bench/ab.sh OLD_BIN NEW_BIN [ROUNDS]   (bin = a folder with okx-stream, featurize,
#        train and predict; ROUNDS default 9)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
a=${1:?usage: bench/ab.sh OLD_BIN NEW_BIN [ROUNDS]}
b=${2:?usage: bench/ab.sh OLD_BIN NEW_BIN [ROUNDS]}
rounds=${3:-9}
pin=()
command -v taskset >/dev/null && pin=(taskset -c "${OKXKIT_BENCH_CPU:-1}")
# One core: XGBoost's OpenMP workers would only spin on it beside the tool (as in predict.sh).
export OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=$root/share/okxkit/samples

# Inputs, made once with the new build: the samples three times over, time-shifted.
mkdir "$work/csv"
for f in "$samples"/*.csv; do
    awk -F, -v copies=3 -v span=2592000000 '
        NR == 1 { print; next }
        { rows[NR] = $0 }
        END { for (k = 0; k < copies; ++k) for (i = 2; i <= NR; ++i) {
                  split(rows[i], f, ","); printf "%d,%s,%s,%s,%s,%s\n", f[1] + k * span, f[2], f[3], f[4], f[5], f[6] } }' \
        "$f" > "$work/csv/$(basename "$f")"
done
"$b/okx-stream" --replay "$work"/csv/*.csv > "$work/candles.ndjson"
candles=$(wc -l < "$work/candles.ndjson")
"$b/featurize" < "$work/candles.ndjson" > "$work/features.ndjson"
# predict: each build trains its own models on the first 20 days (the model files are each
# build's own format) and predicts the last 10 days' features.
"$b/okx-stream" --replay "$samples"/*.csv --from 2021-04-21 | "$b/featurize" > "$work/predict-in.ndjson"
for side in a b; do
    bin=${!side}
    "$bin/okx-stream" --replay "$samples"/*.csv --to 2021-04-21 --store "$work/$side/s.db" > /dev/null
    "$bin/train" --all --store "$work/$side/s.db" --members 5 --folds 1 --now 2021-04-21 \
        > /dev/null 2>&1 || true
    # Models that did not pass a build's gate are promoted by hand: both builds predict alike.
    for id in $(sqlite3 "$work/$side/s.db" "SELECT id FROM models WHERE status != 'champion'" 2>/dev/null); do
        "$bin/train" --promote "$id" --force --store "$work/$side/s.db" > /dev/null 2>&1 ||
            "$bin/train" --promote "$id" --store "$work/$side/s.db" > /dev/null 2>&1 || true
    done
done
predict_lines=$(wc -l < "$work/predict-in.ndjson")

# One run of TOOL...: "wall_ns cpu_ns".
time_run() { # INPUT TOOL ARGS...
    local input=$1 t0 t1 cpu
    shift
    TIMEFORMAT='%3U %3S'
    t0=$(date +%s%N)
    cpu=$({ time "${pin[@]}" "$@" < "$input" > /dev/null 2>&1; } 2>&1)
    t1=$(date +%s%N)
    echo "$((t1 - t0)) $(awk '{ printf "%d", ($1 + $2) * 1e9 }' <<<"$cpu")"
}

for ((r = 0; r < rounds; ++r)); do
    for side in a b; do
        bin=${!side}
        echo "replay $side $(time_run /dev/null "$bin/okx-stream" --replay "$work"/csv/*.csv)"
        echo "featurize $side $(time_run "$work/candles.ndjson" "$bin/featurize")"
        echo "predict $side $(time_run "$work/predict-in.ndjson" "$bin/predict" --store "$work/$side/s.db" --max-age 30d -q)"
    done
done > "$work/times"

echo "old: $a"
echo "new: $b"
echo "$rounds rounds in turns, pinned: ${pin[*]:-no}; rates in items/s (p90 = slow runs)"
for tool in replay featurize predict; do
    case $tool in
    replay) n=$candles unit=candles ;;
    featurize) n=$candles unit=candles ;;
    predict) n=$predict_lines unit=lines ;;
    esac
    for col in 4 3; do
        for side in a b; do
            awk -v t="$tool" -v s="$side" -v c="$col" '$1 == t && $2 == s { print $c }' "$work/times" |
                sort -n | awk -v n="$n" '{ x[NR] = $1 } END {
                    i50 = int((NR + 1) / 2); i10 = int((NR + 1) * 0.1); i90 = int((NR + 1) * 0.9)
                    if (i10 < 1) i10 = 1; if (i90 > NR) i90 = NR
                    printf "%d %d %d\n", n / (x[i50] / 1e9), n / (x[i90] / 1e9), n / (x[i10] / 1e9) }'
        done | paste -sd' ' | awk -v t="$tool" -v u="$unit" -v c="$col" '{
            printf "%-9s %-4s old median %9d (p90 %9d, p10 %9d)  new median %9d (p90 %9d, p10 %9d)  new/old %.3f  [%s/s]\n",
                t, c == 4 ? "CPU" : "wall", $1, $2, $3, $4, $5, $6, $4 / $1, u }'
    done
done
