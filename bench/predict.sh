#!/usr/bin/env bash
# Prediction latency and throughput on one core (taskset): a MEMBERS-member ensemble of
# ROUNDS rounds each over FEATURES features: per-row latency percentiles of the in-place path
# predict uses per candle (target p99 < 50 us for 5 members, 215 features), the batch rate
# (target >= 100,000 rows/s), and the predict tool end to end on featurize output of the
# samples (lines/s, p10/median/p90 of 5 runs).
# Usage: bench/predict.sh [MEMBERS] [FEATURES] [ROUNDS] [ROWS] [CPU]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${OKXKIT_BUILD:-$root/build}/tools
bench=$("$here/ml_build.sh")
members=${1:-5} cols=${2:-215} rounds=${3:-200} rows=${4:-100000} cpu=${5:-0}
export OMP_NUM_THREADS=1
taskset -c "$cpu" "$bench" predict "$members" "$cols" "$rounds" "$rows"

# The tool: train on the first 20 days of the samples, predict the last 10 from featurize's
# messages (8 symbols x 2880 candles).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/okx-stream" --replay "$root"/share/okxkit/samples/*.csv --to 2021-04-21 --store "$work/s.db" >/dev/null
"$bin/train" --all --store "$work/s.db" --members "$members" --folds 1 --now 2021-04-21 >/dev/null
# The samples' models fail the skill gate; this measures cost, not skill, so every model is
# made champion by hand, and predict does the same work per row (predictions with confidence
# 0, the drift check on).
"$bin/train" --list --store "$work/s.db" | awk -F'\t' 'NR > 1 { print $1 }' |
    while read -r id; do "$bin/train" --promote "$id" --force --store "$work/s.db" >/dev/null; done
"$bin/okx-stream" --replay "$root"/share/okxkit/samples/*.csv --from 2021-04-21 | "$bin/featurize" >"$work/f.ndjson"
lines=$(wc -l <"$work/f.ndjson")
rates=()
for _ in 1 2 3 4 5; do
    start=$(date +%s.%N)
    taskset -c "$cpu" "$bin/predict" --store "$work/s.db" --max-age 30d <"$work/f.ndjson" >"$work/out" 2>/dev/null
    end=$(date +%s.%N)
    rates+=("$(awk -v n="$lines" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')")
done
preds=$(grep -c '"type":"prediction"' "$work/out")
sorted=$(printf '%s\n' "${rates[@]}" | sort -n | tr '\n' ' ')
read -r -a s <<<"$sorted"
echo "predict tool on featurize output: $lines lines, $preds predictions, lines/s p10 ${s[0]}  median ${s[2]}  p90 ${s[4]}"
