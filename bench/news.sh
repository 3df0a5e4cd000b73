#!/usr/bin/env bash
# news on one core (taskset). First the sentiment kernel (bench/news_bench): the 711 real
# headlines of tests/cli/data/crypto_headlines.csv, scored over and over, headlines per second
# (target >= 200,000/s). Then the whole tool: 200,000 distinct rows (those headlines and their
# descriptions, each copy made distinct by a number) read, sorted, checked for repeats,
# tagged and scored by `news --replay`, 5 runs: rows per second of CPU, p10/median/p90.
# Usage: bench/news.sh [CPU]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
cpu=${1:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$root/tests/cli/data/crypto_headlines.csv
/usr/bin/python3 - "$data" "$work" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2] + "/headlines.txt", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(" ".join(r["headline"].split()) + "\n")
texts = [r["headline"] for r in rows] + [r["description"] for r in rows if r["description"].strip()]
with open(sys.argv[2] + "/big.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["published", "headline"])
    for n in range(200000):
        w.writerow([1617235200000 + n * 1000, f"{texts[n % len(texts)]} ({n})"])
PY
taskset -c "$cpu" "$build/bench/news_bench" "$work/headlines.txt"

rates=()
for _ in 1 2 3 4 5; do
    TIMEFORMAT='%3U %3S'
    { time taskset -c "$cpu" "$build/tools/news" --replay "$work/big.csv" >"$work/out"; } 2>"$work/time"
    rates+=("$(awk -v n=200000 '{ printf "%.0f", n / ($1 + $2) }' "$work/time")")
done
[[ $(wc -l <"$work/out") -eq 200000 ]] || { echo "news wrote $(wc -l <"$work/out") of 200000 items" >&2; exit 1; }
sorted=$(printf '%s\n' "${rates[@]}" | sort -n)
echo "news --replay: 200000 rows, rows/s of CPU p10 $(sed -n 1p <<<"$sorted") median $(sed -n 3p <<<"$sorted") p90 $(sed -n 5p <<<"$sorted")"
