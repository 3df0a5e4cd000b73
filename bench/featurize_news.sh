#!/usr/bin/env bash
# featurize with and without the news group, pinned to one core: the 8 samples (April 2021)
# merged, with a headline every 20 minutes (2,160 items, seen 1 minute after publication)
# merged in by news --merge; candles/s of wall and CPU time, median, p10 and p90 over RUNS runs.
#   default       the default set, candles only
#   default+lines the default set, news lines in the input (passed through, not read)
#   default+news  the default set and the news group (groups = ["news"]), news lines in
#   news only     the 14 news features alone (default = false), news lines in
# Usage: bench/featurize_news.sh [RUNS]   (default 9; OKXKIT_BUILD = build folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
bin=$build/tools
runs=${1:-9}
pin=()
command -v taskset >/dev/null && pin=(taskset -c 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin/okx-stream" --replay "$root"/share/okxkit/samples/*.csv > "$work/candles.ndjson"
awk 'BEGIN {
    split("Bitcoin price surges past resistance|Ethereum slumps as traders panic|Regulators meet on crypto rules|Cardano and Polkadot rally|Chainlink oracle update ships|Exchange hacked: bitcoin withdrawals halted|Litecoin steady in quiet trade|XRP lawsuit news weighs on ripple|Binance coin hits record", h, "|")
    print "published,headline"
    for (i = 0; i < 2160; ++i) {
        t = 1617235380 + i * 1200 # 2021-04-01T00:03:00Z, then every 20 minutes
        printf "%s,%s %d\n", strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), h[i % 9 + 1], i
    }
}' > "$work/headlines.csv"
"$bin/news" --replay "$work/headlines.csv" --merge --assume-delay 1m \
    < "$work/candles.ndjson" > "$work/merged.ndjson"
printf 'groups = ["news"]\n' > "$work/default-news.toml"
printf 'default = false\ngroups = ["news"]\n' > "$work/news.toml"
candles=$(grep -c '"type":"candle"' "$work/candles.ndjson")
items=$(grep -c '"type":"news"' "$work/merged.ndjson")
echo "featurize with and without the news group: $candles candles, $items news items, $(nproc) cores, pinned: ${pin[*]:-no}"

time_run() { # input command...
    local input=$1 t0 t1 cpu
    shift
    TIMEFORMAT='%3U %3S'
    t0=$(date +%s%N)
    cpu=$({ time "$@" < "$input" > /dev/null; } 2>&1)
    t1=$(date +%s%N)
    echo "$((t1 - t0)) $(awk '{ printf "%d", ($1 + $2) * 1e9 }' <<<"$cpu")"
}
report() { # label input command...
    local label=$1 input=$2
    shift 2
    for _ in $(seq "$runs"); do
        time_run "$input" "${pin[@]}" "$@"
    done > "$work/times"
    for col in 1 2; do
        cut -d' ' -f$col "$work/times" | sort -n | awk -v n="$candles" -v label="$label" -v col="$col" '
            { t[NR] = $1 }
            END {
                i50 = int((NR + 1) * 0.5); i10 = int((NR + 1) * 0.1); i90 = int((NR + 1) * 0.9)
                if (i10 < 1) i10 = 1; if (i90 > NR) i90 = NR
                printf "%-14s %-5s p90 (slow) %7d   median %7d   p10 (fast) %7d candles/s\n",
                    col == 1 ? label : "", col == 1 ? "wall" : "CPU",
                    n / (t[i90] / 1e9), n / (t[i50] / 1e9), n / (t[i10] / 1e9)
            }'
    done
}
report default "$work/candles.ndjson" "$bin/featurize"
report default+lines "$work/merged.ndjson" "$bin/featurize"
report default+news "$work/merged.ndjson" "$bin/featurize" --set "$work/default-news.toml"
report "news only" "$work/merged.ndjson" "$bin/featurize" --set "$work/news.toml"
echo "($runs runs each)"
