#!/usr/bin/env bash
# Replay throughput: okx-stream --replay of the bundled samples -> /dev/null, in candles per
# second, next to the same CSV -> NDJSON conversion by a plain awk script (the yardstick).
# The 8 sample files (30 days of 5m bars) are laid end to end COPIES times (time-shifted,
# so every candle is valid and distinct) to give each run enough work to time.
# Usage: bench/replay.sh [RUNS] [COPIES]    (defaults 15 and 10; set OKXKIT_BIN to the tools)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OKXKIT_BIN:-$root/build/tools}
runs=${1:-15}
copies=${2:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

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
candles=$(( $(cat "$work"/*.csv | wc -l) - $(ls "$work"/*.csv | wc -l) ))

# One file at a time, like the tool's CSV path (no merge), as a plain awk conversion.
cat > "$work/conv.awk" <<'AWK'
FNR == 1 { n = split(FILENAME, p, "/"); split(p[n], q, "_"); inst = q[1]; bar = q[2]; sub(/\.csv$/, "", bar); next }
{ printf "{\"type\":\"candle\",\"v\":1,\"ts\":%s,\"inst\":\"%s\",\"bar\":\"%s\",\"o\":%s,\"h\":%s,\"l\":%s,\"c\":%s,\"vol\":%s,\"confirm\":true}\n", $1, inst, bar, $2, $3, $4, $5, $6 }
AWK

# Prints the time of one run in nanoseconds.
time_ns() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" > /dev/null
    t1=$(date +%s%N)
    echo $((t1 - t0))
}

report() { # NAME then one time per line on stdin
    sort -n | awk -v name="$1" -v n="$candles" '
        { t[NR] = $1 }
        END {
            i50 = int((NR + 1) * 0.5); i10 = int((NR + 1) * 0.1); i90 = int((NR + 1) * 0.9)
            if (i10 < 1) i10 = 1; if (i90 > NR) i90 = NR
            printf "%-28s %12.0f %12.0f %12.0f   (%d runs, %d candles each)\n", name,
                n / (t[i90] / 1e9), n / (t[i50] / 1e9), n / (t[i10] / 1e9), NR, n
        }'
}

echo "okx-stream replay benchmark: $(nproc) cores, pinned to one: ${pin[*]:-no}"
printf "%-28s %12s %12s %12s\n" "candles/s" "p90 (slow)" "median" "p10 (fast)"
for _ in $(seq "$runs"); do
    time_ns "${pin[@]}" "$bin/okx-stream" --replay "$work"/*.csv
done | report "okx-stream (8-way merge)"
for awk in gawk mawk; do
    command -v "$awk" >/dev/null || continue
    for _ in $(seq "$runs"); do
        time_ns "${pin[@]}" "$awk" -F, -f "$work/conv.awk" "$work"/*.csv
    done | report "$awk (no checks, no merge)"
done
