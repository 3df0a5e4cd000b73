#!/usr/bin/env bats
# execute --mode demo over OKX's private WebSocket against tests/fake-okx: orders placed as
# WebSocket ops and journaled first, their answers and fills pushed while execute runs, REST
# when the WebSocket drops mid-order or cannot be had, and nothing ever placed twice.

bats_require_minimum_version 1.5.0
load helpers

FAKE_OKX=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx/fake-okx
NOW=1617321600000 # 2021-04-02T00:00Z: the samples' first day has closed
KEY=985d5b66-57ce-40fb-b714-afc0b9787083
SECRET=chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO
PASSPHRASE=1234567890

setup_file() {
    export DAY=$BATS_FILE_TMPDIR/day.ndjson
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-02 >"$DAY"
}

setup() {
    T=$BATS_TEST_TMPDIR
    : >"$T/pids"
    export OKX_API_KEY=$KEY OKX_API_SECRET=$SECRET OKX_API_PASSPHRASE=$PASSPHRASE
    export OKXKIT_STORE=$T/s.db
}

teardown() {
    local pid
    while read -r pid; do
        kill -TERM "$pid" 2>/dev/null && wait "$pid" || true
    done <"$T/pids"
    if grep -l -E 'Sanitizer|runtime error' "$T"/*.err 2>/dev/null >&2; then
        cat "$T"/*.err >&2
        return 1
    fi
}

start_fake() { # ARGS... (the market clock moves only when a test says so)
    rm -f "$T/fake.port"
    "$FAKE_OKX" --port 0 --port-file "$T/fake.port" --data "$SAMPLES" --now "$NOW" \
        --ws-interval-ms 0 --log "$T/fake.log" "$@" 2>"$T/fake.err" 3>&- &
    echo $! >>"$T/pids"
    for _ in $(seq 200); do
        [[ -s $T/fake.port ]] && break
        sleep 0.05
    done
    URL=http://127.0.0.1:$(cat "$T/fake.port")
}

input() { # the day's candles, then approved intents at its last bar (ARGS: JSON merged in)
    local last
    last=$(tail -1 "$DAY" | jq .ts)
    cat "$DAY"
    for extra in "$@"; do
        jq -nc --argjson ts "$last" --argjson x "$extra" '{type: "intent", v: 1, ts: $ts,
            inst: "BTC-USDT", strategy: "s", leg: "b", action: "place", side: "buy",
            ord_type: "market", sz: 0.01, approved: true} + $x'
    done
}

clock() { curl -s -X POST "$URL/fake/clock" -d "{\"now\":$1}" >/dev/null; }
ledger() { curl -s "$URL/fake/ledger"; }

wait_for() { # PATTERN FILE: until FILE has a line matching PATTERN (at most 20 s)
    for _ in $(seq 400); do
        grep -q -- "$1" "$2" && return 0
        sleep 0.05
    done
    echo "no line matching $1 in $2:" >&2
    cat "$2" "$T/err" >&2
    return 1
}

@test "orders go out as WebSocket ops, journaled first; their fills are pushed while execute runs" {
    start_fake
    input '{"leg":"m"}' '{"leg":"l","ord_type":"limit","px":40000}' >"$T/in"
    mkfifo "$T/fifo"
    # No dead-man switch: the fake's clock jumps past its deadline below.
    execute --mode demo --rest-url "$URL" --run r1 -v --dead-man 0 <"$T/fifo" >"$T/out" 2>"$T/err" &
    pid=$!
    exec 4>"$T/fifo"
    cat "$T/in" >&4
    wait_for '"leg":"l".*"state":"live"' "$T/out"
    grep -q 'orders by the private WebSocket' "$T/err"
    # Both orders went over the WebSocket: REST placed none.
    ! grep -q '"method":"POST","path":"/api/v5/trade/order"' "$T/fake.log"
    [[ $(ledger | jq '.orders | length') == 2 ]]
    # The market moves on while execute waits for input: only a push can tell it of the fill.
    clock $((NOW + 900000))
    wait_for '"type":"fill"' "$T/out"
    wait_for '"leg":"m".*"state":"filled"' "$T/out"
    exec 4>&-
    wait "$pid"
    run jq -c 'select(.type == "fill") | [.leg, .sz, .liquidity, .mode]' "$T/out"
    assert_output '["m",0.01,"taker","demo"]'
    grep -q '2 orders over the WebSocket' "$T/err"
    # The account channel's cash served the reconciliations while the WebSocket was up: OKX
    # was asked for the balance only at the start and at the end (after the WebSocket closed).
    grep -Eq ' [1-9][0-9]* account pushes \([1-9][0-9]* reconciliations took their cash\)' "$T/err" || { cat "$T/err"; false; }
    [[ $(grep -c '"path":"/api/v5/account/balance"' "$T/fake.log") == 2 ]]
    # The store and the ledger agree, fill by fill; the store adds up.
    diff <(ledger | jq -r '.fills[].tradeId' | sort) \
        <(sqlite3 "$T/s.db" "SELECT trade_id FROM fills WHERE run_id = 'r1'" | sort)
    run sqlite3 "$T/s.db" "SELECT leg, state, ord_id IS NOT NULL FROM orders ORDER BY leg"
    assert_output $'l|live|1\nm|filled|1'
    audit reconcile --run r1 --store "$T/s.db"
    # A restart on the same input sends nothing again.
    execute --mode demo --rest-url "$URL" --run r1 <"$T/in" >"$T/out2" 2>"$T/err2"
    [[ $(ledger | jq '.orders | length') == 2 ]]
    run jq -c 'select(.type == "order" or .type == "fill")' "$T/out2"
    assert_output ''
}

@test "a WebSocket drop mid-order: the order OKX took is found by its client id and adopted, never sent twice" {
    start_fake --ws-drop-order-every 1
    input '{"leg":"m"}' >"$T/in"
    mkfifo "$T/fifo"
    execute --mode demo --rest-url "$URL" --run r1 <"$T/fifo" >"$T/out" 2>"$T/err" &
    pid=$!
    exec 4>"$T/fifo"
    cat "$T/in" >&4
    # The input stays open: the order's push, if it came before the drop, or the query by
    # client order id that the drop calls for tells execute the ordId.
    wait_for '"type":"order".*"ord_id":"' "$T/out"
    exec 4>&-
    wait "$pid"
    grep -q 'connection lost' "$T/err"
    # OKX has it once; the journal has it with OKX's ordId.
    [[ $(ledger | jq '.orders | length') == 1 ]]
    ord=$(ledger | jq -r '.orders[0].ordId')
    run sqlite3 "$T/s.db" "SELECT leg, ord_id FROM orders"
    assert_output "m|$ord"
    ! grep -q '"method":"POST","path":"/api/v5/trade/order"' "$T/fake.log"
}

@test "no private WebSocket to be had: a warning, and REST does the work" {
    start_fake
    input '{"leg":"m"}' >"$T/in"
    execute --mode demo --rest-url "$URL" --ws-private-url ws://127.0.0.1:1/ws/v5/private \
        --run r1 <"$T/in" >"$T/out" 2>"$T/err"
    grep -q 'warning: the private WebSocket ws://127.0.0.1:1/ws/v5/private cannot be used' "$T/err"
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/order"' "$T/fake.log") == 1 ]]
    run jq -r 'select(.type == "order") | .state' "$T/out"
    assert_output live
    # --ws-private-url off: REST without a word.
    input '{"leg":"m2"}' | execute --mode demo --rest-url "$URL" --ws-private-url off \
        --run r2 >/dev/null 2>"$T/err2"
    ! grep -q 'WebSocket' "$T/err2"
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/order"' "$T/fake.log") == 2 ]]
}

@test "an exit's algo order triggers while execute runs: the order OKX spawns for it is pushed as the exit's own" {
    start_fake
    input '{"tp":[{"px":58800,"frac":0.5},{"px":59500,"frac":0.5}],"sl":{"px":58000}}' >"$T/in"
    mkfifo "$T/fifo"
    execute --mode demo --rest-url "$URL" --run r1 --dead-man 0 <"$T/fifo" >"$T/out" 2>"$T/err" &
    pid=$!
    exec 4>"$T/fifo"
    cat "$T/in" >&4
    wait_for '"leg":"b".*"state":"live"' "$T/out"
    # The entry's fill is pushed; its exits go to OKX at once.
    clock $((NOW + 900000))
    wait_for '"leg":"b-tp2".*"state":"live"' "$T/out"
    [[ $(ledger | jq -c '[.algos[] | .state]') == '["live","live"]' ]]
    # The first rung triggers; the order OKX spawns for it has no clOrdId, only its algo's.
    clock $((NOW + 4800000))
    wait_for '"type":"fill".*"leg":"b-tp1"' "$T/out"
    wait_for '"leg":"b-tp1".*"state":"filled"' "$T/out"
    wait_for '"path":"/api/v5/trade/amend-algos"' "$T/fake.log" # its stop to break-even
    exec 4>&-
    wait "$pid"
    run jq -c 'select(.type == "fill") | [.leg, .side, .sz]' "$T/out"
    assert_output '["b","buy",0.01]
["b-tp1","sell",0.005]'
    diff <(ledger | jq -r '.fills[].tradeId' | sort) \
        <(sqlite3 "$T/s.db" "SELECT trade_id FROM fills WHERE run_id = 'r1'" | sort)
    audit reconcile --run r1 --store "$T/s.db"
}
