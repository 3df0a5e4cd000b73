#!/usr/bin/env bash
# featurize benchmarks, each against its target (bench/README.md), pinned to one core:
#   (a) the kernel: the full default set per candle (Google Benchmark, CPU time);
#   (b) the tool: NDJSON candles in -> features out, featurize < FILE > /dev/null, in
#       candles/s over the 8 samples laid end to end COPIES times (wall time, like replay.sh);
#   (c) the cost of one new candle after 1,000 and after 1,000,000 candles of history.
# Prints median, p10 and p90 over RUNS runs (p90 = slow runs), never an average alone.
# Usage: bench/featurize.sh [RUNS] [COPIES]   (defaults 15 and 3; OKXKIT_BUILD = build folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
bin=$build/tools
kernel=$build/bench/featurize_kernel_bench
runs=${1:-15}
copies=${2:-3}
pin=()
command -v taskset >/dev/null && pin=(taskset -c 1)
[[ -x $kernel ]] || { echo "featurize.sh: no $kernel (install libbenchmark-dev and rebuild)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "featurize benchmarks: $(nproc) cores, pinned to one: ${pin[*]:-no}"

# (a) and (c): Google Benchmark with repetitions; items/s are candles/s of CPU time.
# (c) builds a million candles of history per measurement and times 1,000 candles after it:
# 15 repetitions, whatever RUNS says (about 20 s).
"${pin[@]}" "$kernel" --benchmark_filter=kernel_full_set --benchmark_repetitions="$runs" \
    --benchmark_report_aggregates_only=true --benchmark_format=json > "$work/a.json" 2>/dev/null
hruns=15
"${pin[@]}" "$kernel" --benchmark_filter=new_candle_after_history --benchmark_repetitions="$hruns" \
    --benchmark_report_aggregates_only=true --benchmark_format=json > "$work/c.json" 2>/dev/null
jq -s '{benchmarks: (.[0].benchmarks + .[1].benchmarks)}' "$work/a.json" "$work/c.json" > "$work/kernel.json"
jq -r --arg runs "$runs" --arg hruns "$hruns" '
    def stat($name; $agg): [.benchmarks[] | select(.run_name == $name and .aggregate_name == $agg)][0];
    def rate($name; $agg): stat($name; $agg).items_per_second;
    def ns($name; $agg): 1e9 / rate($name; $agg);
    def hist($agg): [.benchmarks[] | select(.run_name == "new_candle_after_history/iterations:1/manual_time" and .aggregate_name == $agg)][0];
    "(a) kernel, full default set (\(.benchmarks[0].features // 218) features), candles/s, target >= 1,000,000",
    "    p90 (slow) \(rate("kernel_full_set/min_time:0.500"; "p10") | floor)   median \(rate("kernel_full_set/min_time:0.500"; "median") | floor)   p10 (fast) \(rate("kernel_full_set/min_time:0.500"; "p90") | floor)   (\($runs) runs)",
    "(c) one new candle after N candles of history, ns per candle (\($hruns) runs, each timing 1,000 candles of both in turns of 100), target: within 10%",
    "    after 1,000:     median \(hist("median").after_1k * 10 | round / 10) ns (p10 \(hist("p10").after_1k * 10 | round / 10), p90 \(hist("p90").after_1k * 10 | round / 10))",
    "    after 1,000,000: median \(hist("median").after_1m * 10 | round / 10) ns (p10 \(hist("p10").after_1m * 10 | round / 10), p90 \(hist("p90").after_1m * 10 | round / 10))",
    "    ratio (1,000,000 / 1,000, per run): median \(hist("median").ratio * 1000 | round / 1000) (p10 \(hist("p10").ratio * 1000 | round / 1000), p90 \(hist("p90").ratio * 1000 | round / 1000))"
' "$work/kernel.json"

# (b) the whole tool on NDJSON: the samples, time-shifted copies laid end to end.
for f in "$root"/share/okxkit/samples/*.csv; do
    awk -F, -v copies="$copies" -v span=2592000000 '
        NR == 1 { print; next }
        { rows[NR] = $0 }
        END {
            for (k = 0; k < copies; ++k)
                for (i = 2; i <= NR; ++i) {
                    split(rows[i], f, ",")
                    printf "%d,%s,%s,%s,%s,%s\n", f[1] + k * span, f[2], f[3], f[4], f[5], f[6]
                }
        }' "$f" > "$work/$(basename "$f")"
done
"$bin/okx-stream" --replay "$work"/*.csv > "$work/candles.ndjson"
candles=$(wc -l < "$work/candles.ndjson")
# One run: "wall_ns cpu_ns" (CPU = user + system of featurize, which other processes on a
# shared core do not inflate).
time_run() {
    local t0 t1 cpu
    TIMEFORMAT='%3U %3S'
    t0=$(date +%s%N)
    cpu=$({ time "$@" < "$work/candles.ndjson" > /dev/null; } 2>&1)
    t1=$(date +%s%N)
    echo "$((t1 - t0)) $(awk '{ printf "%d", ($1 + $2) * 1e9 }' <<<"$cpu")"
}
for _ in $(seq "$runs"); do
    time_run "${pin[@]}" "$bin/featurize"
done > "$work/times"
echo "(b) featurize < candles.ndjson > /dev/null, candles/s, target >= 100,000"
for col in 1 2; do
    cut -d' ' -f$col "$work/times" | sort -n | awk -v n="$candles" -v runs="$runs" -v col="$col" '
        { t[NR] = $1 }
        END {
            i50 = int((NR + 1) * 0.5); i10 = int((NR + 1) * 0.1); i90 = int((NR + 1) * 0.9)
            if (i10 < 1) i10 = 1; if (i90 > NR) i90 = NR
            printf "    %-9s p90 (slow) %d   median %d   p10 (fast) %d   (%d runs, %d candles each)\n",
                col == 1 ? "wall:" : "CPU time:", n / (t[i90] / 1e9), n / (t[i50] / 1e9),
                n / (t[i10] / 1e9), runs, n
        }'
done
