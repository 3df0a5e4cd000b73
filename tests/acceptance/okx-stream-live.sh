#!/usr/bin/env bash
# Acceptance of okx-stream's live mode at full scale (issue 3): 8 instruments x BARS 1m candles
# streamed from tests/fake-okx with a fault every N pushes - a dropped connection, a stalled
# one (silent, no pong), a 64008 service-upgrade notice. For each: every candle exactly once,
# in order per instrument, equal to the source; a gap message with the fault's cause before the
# backfilled candles of every hole; the fake's request log within OKX's limits in every 2 s
# window. Too slow for the test suite (about two minutes per fault); run by hand after
# scripts/build. Usage: tests/acceptance/okx-stream-live.sh [BARS] [EVERY] [INTERVAL_MS]
# (20000, 500, 5: the fake's clock steps one bar every INTERVAL_MS of wall time).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
bars=${1:-20000}
every=${2:-500}
interval=${3:-5}
work=$(mktemp -d)
fake=
trap 'kill $fake 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
t0=1617321600000
mkdir "$work/data"
# Real prices: the samples' 5m rows restamped as consecutive 1m bars, laid end to end as often
# as needed. The data runs on past BARS so that the fake's clock, which does not wait for a
# reconnecting client, still has bars to push after the stop mark.
for f in "$root"/share/okxkit/samples/*_5m.csv; do
    inst=$(basename "$f" _5m.csv)
    awk -F, -v t0=$t0 -v n=$((bars * 2)) 'NR == FNR && FNR > 1 { row[++m] = $2 "," $3 "," $4 "," $5 "," $6 }
        END { print "ts_ms,open,high,low,close,volume"
              for (i = 0; i < n; i++) printf "%d,%s\n", t0 + i * 60000, row[i % m + 1] }' "$f" \
        > "$work/data/${inst}_1m.csv"
done
insts=$(ls "$work/data" | sed 's/_1m.csv//' | paste -sd,)
until_ts=$((t0 + bars * 60000))
status=0

check() { # NAME CAUSE
    local name=$1 cause=$2 bad=0
    for f in "$work"/data/*_1m.csv; do
        inst=$(basename "$f" _1m.csv)
        jq -r --arg i "$inst" 'select(.type == "candle" and .inst == $i) | "\(.ts) \(.o) \(.h) \(.l) \(.c) \(.vol)"' \
            "$work/out" > "$work/got"
        # A live stream starts with the first bar pushed after it subscribed.
        first=$(head -1 "$work/got" | cut -d' ' -f1)
        awk -F, -v from="${first:-0}" -v to="$until_ts" 'NR > 1 && $1 >= from && $1 < to {
            printf "%s %s %s %s %s %s\n", $1, $2, $3, $4, $5, $6 }' "$f" > "$work/want"
        # Numbers compared as numbers: the CSV's "0.50" is the message's 0.5.
        if ! awk 'NR == FNR { w[FNR] = $0; n = FNR; next }
                  { split(w[FNR], a, " "); for (k = 1; k <= 6; k++) if (a[k] + 0 != $k + 0) { print "line " FNR ": " $0 " != " w[FNR]; exit 1 } }
                  END { if (FNR != n) { print FNR " candles, want " n; exit 1 } }' "$work/want" "$work/got"; then
            echo "  $inst: candles differ from the source"; bad=1
        fi
    done
    local gaps wrong
    gaps=$(grep -c '"type":"gap"' "$work/out" || true)
    wrong=$(jq -r --arg c "$cause" 'select(.type == "gap" and .cause != $c) | .cause' "$work/out" | sort | uniq -c | tr '\n' ' ')
    # Every gap is followed, for its instrument, by the candle of its first missing bar.
    jq -c 'select(.type == "gap" or .type == "candle") | [.type, .inst, .ts]' "$work/out" |
        awk -F'[],[]' '$2 == "\"gap\"" { want[$3] = $4; next }
            ($3 in want) { if ($4 != want[$3]) { print "  after a gap of " $3 " came " $4 ", not " want[$3]; exit 1 } delete want[$3] }' ||
        bad=1
    local faults
    faults=$(jq -c --arg c "$cause" 'select(.type == "health" and .event == "disconnect" and (.detail | startswith($c)))' "$work/out" | wc -l)
    local pacing
    pacing=$(jq -r 'select(.path) | [.path, .t_ms] | @tsv' "$work/requests.log" | awk -F'\t' '
        { n[$1]++; t[$1, n[$1]] = $2 }
        END { for (p in n) { j = 1; for (i = 1; i <= n[p]; i++) {
                  while (t[p, i] - t[p, j] >= 2000) j++
                  if (i - j + 1 > m[p]) m[p] = i - j + 1 }
              printf "%s max %d/2s; ", p, m[p] } }')
    echo "$name: $(grep -c '"type":"candle"' "$work/out") candles, $faults disconnects ($cause), $gaps gaps${wrong:+ (other causes: $wrong)}, requests: $pacing"
    if [ "$faults" -lt 1 ] || [ -n "$wrong" ]; then bad=1; fi
    if echo "$pacing" | awk -v RS='; ' '/market\/candles max/ { split($0, a, " max "); if (a[2] + 0 > 40) exit 1 }
                                         /history-candles max/ { split($0, a, " max "); if (a[2] + 0 > 20) exit 1 }'; then :; else bad=1; fi
    if [ "$bad" -ne 0 ]; then echo "$name: FAILED"; status=1; else echo "$name: ok"; fi
}

run() { # NAME CAUSE FAKE-FAULT...
    local name=$1 cause=$2
    shift 2
    rm -f "$work/port" "$work/requests.log"
    "$build/tests/fake-okx/fake-okx" --data "$work/data" --now $t0 --ws-interval-ms "$interval" \
        --port-file "$work/port" --log "$work/requests.log" "$@" 2> "$work/fake.err" &
    fake=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    port=$(cat "$work/port")
    local s
    s=$(date +%s)
    "$build/tools/okx-stream" --symbols "$insts" --channels candle1m --health \
        --rest-url "http://127.0.0.1:$port" --ws-public-url "ws://127.0.0.1:$port/ws/v5/public" \
        --ws-business-url "ws://127.0.0.1:$port/ws/v5/business" --ping-after 50ms --pong-timeout 50ms \
        --until "$until_ts" > "$work/out" 2> "$work/err" || { echo "$name: okx-stream exit $?"; tail -3 "$work/err"; status=1; }
    kill "$fake"; wait "$fake" 2>/dev/null || true
    echo "$name: $(($(date +%s) - s)) s"
    check "$name" "$cause"
}

run "drop every $every pushes" reconnect --ws-drop-every "$every"
[ -n "${ONLY_DROP:-}" ] && exit $status
run "stall every $every pushes" stall --ws-stall-every "$every"
run "notice 64008 every $every pushes" notice --ws-notice-every "$every"
exit $status
