#!/usr/bin/env bash
# Acceptance of execute --mode demo against a crash at any moment (issue 16): RUNS times,
# execute is started on the same input (a day of BTC-USDT and ETH-USDT 5m candles with an
# approved intent every 30 minutes of each, market and limit, buys and sells, half of the buys
# with a take-profit and stop ladder that execute holds at OKX as algo orders) and killed by
# SIGKILL after a random delay; between runs tests/fake-okx's market clock moves on by a
# minute, so orders fill or rest while execute is down (its dead-man switch, 120 s, cancels
# them when a run died before it could arm it again). Two last runs
# go to the end. Then fake-okx's own ledger is checked against execute's store:
#   - no client order id was placed twice (zero duplicate orders);
#   - every fill of the ledger is in the store, once, and the store has no fill the ledger does
#     not (zero lost fills, none invented);
#   - every order of the ledger is in the store's journal;
#   - the fake's request log has no 50011 (OKX's rate limits never exceeded);
#   - the test key's secret and passphrase appear nowhere: output, stderr, store, log.
# Usage: tests/acceptance/execute-sigkill.sh [RUNS] [MAX_DELAY_S] [MIN_DELAY_S] (50, 1.5, 0.2):
# each kill comes after a delay drawn uniformly between the two. Restarts faster than about
# five a second can exceed OKX's per-account limits on public/time and account/balance, which
# every start asks once (each process paces only its own requests). Exit 0 when every
# check holds; prints one line per check. tests/cli/execute-demo.bats runs a short version.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
runs=${1:-50}
max_delay=${2:-1.5}
min_delay=${3:-0.2}
work=$(mktemp -d)
fake=
trap 'kill $fake 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export PATH=$build/tools:$PATH
export XDG_CONFIG_HOME=$work/xdg XDG_DATA_HOME=$work/xdg
unset OKXKIT_CONFIG OKXKIT_STORE OKXKIT_RUN
# The protocol notes' demo key: fake-okx accepts it by default.
export OKX_API_KEY=985d5b66-57ce-40fb-b714-afc0b9787083
export OKX_API_SECRET=chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO
export OKX_API_PASSPHRASE=1234567890
now=1617321600000 # 2021-04-02T00:00Z: the input's day has closed

# The fake's market: the samples' 5m rows of BTC-USDT and ETH-USDT from NOW on, restamped as
# 1m bars, so that an order fills within a minute or two of the fake's clock.
mkdir "$work/data"
for inst in BTC-USDT ETH-USDT; do
    awk -F, -v now=$now 'NR > 1 && $1 >= now { printf "%d,%s,%s,%s,%s,%s\n", now + (n++) * 60000, $2, $3, $4, $5, $6 }
        BEGIN { print "ts_ms,open,high,low,close,volume" }' \
        "$root/share/okxkit/samples/${inst}_5m.csv" >"$work/data/${inst}_1m.csv"
done
"$build/tests/fake-okx/fake-okx" --port 0 --port-file "$work/port" --data "$work/data" \
    --now $now --ws-interval-ms 0 --log "$work/fake.log" 2>"$work/fake.err" &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$work/port")

okx-stream --replay "$root/share/okxkit/samples/BTC-USDT_5m.csv" \
    "$root/share/okxkit/samples/ETH-USDT_5m.csv" --to 2021-04-02 |
    jq -c 'if .type == "candle" then
        (.ts / 300000 | floor) as $n | .c as $c
        | ., (select($n % 6 == 0)
              | {type: "intent", v: 1, ts, inst, strategy: "k", leg: ("l" + ($n | tostring)),
                 action: "place", side: (if $n % 24 < 12 then "buy" else "sell" end),
                 ord_type: (if $n % 18 == 0 then "market" else "limit" end),
                 px: (if $n % 24 < 12 then .c * 1.001 else .c * 0.999 end),
                 sz: (if .inst == "BTC-USDT" then 0.002 else 0.03 end), approved: true}
              | if .ord_type == "market" then del(.px) else . end
              | if .side == "buy" and $n % 12 < 6 then
                    . + {tp: [{px: ((.px // $c) * 1.003), frac: 0.5},
                              {px: ((.px // $c) * 1.006), frac: 0.5}],
                         sl: {px: ((.px // $c) * 0.996)}}
                else . end)
      else . end' >"$work/in"

run_execute() { # [timeout args...]
    "$@" execute --mode demo --rest-url "$url" --store "$work/s.db" --run sigkill --dead-man 120 \
        <"$work/in" >>"$work/out" 2>>"$work/err"
}

clock=$now
killed=0
for i in $(seq "$runs"); do
    delay=$(awk -v s="$RANDOM" -v lo="$min_delay" -v hi="$max_delay" 'BEGIN { srand(s); printf "%.3f", lo + rand() * (hi - lo) }')
    rc=0
    run_execute timeout -s KILL "$delay" || rc=$?
    [ $rc -eq 137 ] && killed=$((killed + 1))
    clock=$((clock + 60000))
    curl -s -X POST "$url/fake/clock" -d "{\"now\":$clock}" >/dev/null
done
# To the end, twice: the second after two more bars, so that what the last run placed has
# filled by then whatever moments the kills hit (a slow machine may kill every run early).
run_execute
clock=$((clock + 180000))
curl -s -X POST "$url/fake/clock" -d "{\"now\":$clock}" >/dev/null
run_execute
curl -s "$url/fake/ledger" >"$work/ledger.json"

status=0
check() { # NAME CONDITION-RESULT(0 ok)
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; status=1; fi
}
orders=$(jq '.orders | length' "$work/ledger.json")
fills=$(jq '.fills | length' "$work/ledger.json")
echo "$runs runs, $killed killed by SIGKILL; the ledger: $orders orders, $fills fills, $(jq '.algos // [] | length' "$work/ledger.json") exits"
dups=$(jq -r '.orders[].clOrdId | select(. != "")' "$work/ledger.json" | sort | uniq -d | wc -l)
check "no client order id placed twice ($dups duplicated)" "$dups"
algos=$(jq '.algos // [] | length' "$work/ledger.json")
adups=$(jq -r '(.algos // [])[].algoClOrdId' "$work/ledger.json" | sort | uniq -d | wc -l)
check "no exit (algo order) placed twice ($adups duplicated, of $algos)" "$adups"
jq -r '.fills[].tradeId' "$work/ledger.json" | sort >"$work/ledger-fills"
sqlite3 "$work/s.db" "SELECT trade_id FROM fills WHERE run_id = 'sigkill'" | sort >"$work/store-fills"
lost=$(comm -23 "$work/ledger-fills" "$work/store-fills" | wc -l)
extra=$(comm -13 "$work/ledger-fills" "$work/store-fills" | wc -l)
check "every fill of the ledger in the store ($lost lost)" "$lost"
check "no fill in the store that the ledger has not ($extra invented)" "$extra"
# An order the ledger has is the journal's by its client order id, or, when an exit's algo
# order spawned it (no clOrdId), as the ordId of that exit; every algo order is an exit's.
jq -r '.orders[] | if .clOrdId != "" then .clOrdId else "ord:" + .ordId end' "$work/ledger.json" |
    sort >"$work/ledger-orders"
jq -r '(.algos // [])[].algoClOrdId' "$work/ledger.json" >>"$work/ledger-orders"
sort -o "$work/ledger-orders" "$work/ledger-orders"
sqlite3 "$work/s.db" "SELECT cl_ord_id FROM orders WHERE run_id = 'sigkill' AND ord_id IS NOT NULL
    UNION SELECT 'ord:' || ord_id FROM orders WHERE run_id = 'sigkill' AND ord_id IS NOT NULL
    UNION SELECT cl_ord_id FROM order_exits WHERE run_id = 'sigkill'" | sort >"$work/store-orders"
unjournaled=$(comm -23 "$work/ledger-orders" "$work/store-orders" | wc -l)
check "every order and exit of the ledger in the journal ($unjournaled not)" "$unjournaled"
limited=$(grep -c '"code":"50011"' "$work/fake.log" || true)
check "the fake's rate limits never hit ($limited answers 50011)" "$limited"
sqlite3 "$work/s.db" .dump >"$work/store.sql"
leaks=$(cat "$work/out" "$work/err" "$work/store.sql" "$work/fake.log" "$work/fake.err" |
    grep -c -e "$OKX_API_SECRET" -e "$OKX_API_PASSPHRASE" -e "$OKX_API_KEY" || true)
check "the key, secret and passphrase nowhere in output, stderr, store or log ($leaks lines)" "$leaks"
[ "$fills" -gt 0 ] || { echo "FAIL nothing filled: the check proves nothing"; status=1; }
exit $status
