#!/usr/bin/env bats
# fake-okx --state FILE: a fake killed (SIGKILL) and started again on the same FILE has the
# account it had: orders, fills and their tradeIds, algo orders, balances and holds, the
# dead-man switch's deadline, the next ids and the market clock. A FILE of other data or
# another --balance, or one damaged in the middle, is refused; a last line cut by a crash is
# dropped. And execute --mode demo, run again after such a restart, adopts the fills made
# before it exactly once. Time moves only by POST /fake/clock (and one WebSocket clock).

bats_require_minimum_version 1.5.0
load helpers

FAKE_BIN=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx
FAKE_OKX=$FAKE_BIN/fake-okx
WS_PROBE=$FAKE_BIN/ws-probe
BAR=60000
LAST=1699999980000    # open time of the 1m bar forming at NOW
NOW=$((LAST + 30000)) # the market clock at the start: 30 s into that bar
DEMO_NOW=1617321600000 # 2021-04-02T00:00Z, for the samples (execute-demo.bats)
# The protocol notes' demo key (§3), which fake-okx accepts by default.
KEY=985d5b66-57ce-40fb-b714-afc0b9787083
SECRET=chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO
PASSPHRASE=1234567890

setup_file() {
    export DATA=$BATS_FILE_TMPDIR/data
    mkdir -p "$DATA"
    # 1m bars LAST-10 .. LAST+40 (tickSz 0.1): o 31500, h 31505, l 31495, c 31500, volume 2,
    # so 0.2 fills per bar (10%), except bars 3 and 6 (LAST + 3 and 6 min) whose high is 31600
    # and bars 6 and 9 whose low is 31400 (as in fake-okx-trading.bats).
    awk -v last="$LAST" -v bar="$BAR" 'BEGIN {
        print "ts_ms,open,high,low,close,volume"
        for (i = -10; i <= 40; i++) {
            h = (i == 3 || i == 6) ? 31600 : 31505
            l = (i == 6 || i == 9) ? 31400 : 31495
            printf "%.0f,31500.0,%.1f,%.1f,31500.0,2\n", last + i * bar, h, l
        }
    }' >"$DATA/BTC-USDT_1m.csv"
}

setup() {
    T=$BATS_TEST_TMPDIR
    : >"$T/pids"
    unset CLOCK
    export OKX_API_KEY=$KEY OKX_API_SECRET=$SECRET OKX_API_PASSPHRASE=$PASSPHRASE
}

# Stops the servers still running; each must exit 0 on SIGTERM, and none may have printed a
# sanitizer report.
teardown() {
    local pid rc failed=0
    while read -r pid; do
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid"
        rc=0
        wait "$pid" || rc=$?
        if [[ $rc != 0 ]]; then
            echo "fake-okx (pid $pid) exited $rc on SIGTERM" >&2
            failed=1
        fi
    done <"$T/pids"
    if grep -l -E 'Sanitizer|runtime error' "$T"/*.err >&2; then
        cat "$T"/*.err >&2
        failed=1
    fi
    return "$failed"
}

# Starts a server on $DATA (at --now START_NOW, default NOW) with ARGS; sets PID, PORT and
# URL. Log $T/log, stderr $T/server.err (appended: a restart adds to it).
start_server() { # ARGS...
    rm -f "$T/port"
    "$FAKE_OKX" --port 0 --port-file "$T/port" --data "$DATA" --now "${START_NOW:-$NOW}" \
        --log "$T/log" "$@" 2>>"$T/server.err" 3>&- &
    PID=$!
    echo "$PID" >>"$T/pids"
    for _ in $(seq 200); do
        [[ -s $T/port ]] && break
        sleep 0.05
    done
    [[ -s $T/port ]] || { echo "fake-okx did not write its port file" >&2; cat "$T/server.err" >&2; return 1; }
    PORT=$(cat "$T/port")
    URL=http://127.0.0.1:$PORT
}

# SIGKILL to the server started last: nothing of it runs after this.
kill_server() {
    kill -KILL "$PID"
    wait "$PID" || true
}

# The OK-ACCESS-TIMESTAMP of ms ("2023-11-14T22:13:30.000Z").
access_ts() {
    printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000))
}

# The headers of a request signed here with openssl (independently of lib/okx's signer) at
# the market clock (CLOCK once a test moved it, else NOW), into the array HDRS.
sign_headers() { # METHOD PATH BODY
    local ts sign
    ts=$(access_ts "${CLOCK:-$NOW}")
    sign=$(printf '%s' "$ts$1$2$3" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64)
    HDRS=(-H "OK-ACCESS-KEY: $KEY" -H "OK-ACCESS-SIGN: $sign" -H "OK-ACCESS-TIMESTAMP: $ts"
        -H "OK-ACCESS-PASSPHRASE: $PASSPHRASE" -H "Content-Type: application/json"
        -H "x-simulated-trading: 1")
}

# A signed request; the body goes to $T/body, the HTTP status to stdout.
private() { # METHOD PATH [BODY]
    local body=${3:-}
    sign_headers "$1" "$2" "$body"
    local args=(-sS -o "$T/body" -w '%{http_code}' -X "$1" "$URL$2" "${HDRS[@]}")
    [[ -z $body ]] || args+=(--data-binary "$body")
    curl "${args[@]}"
}

post() { private POST "$1" "$2" >/dev/null; }
get() { private GET "$1" >/dev/null; }

# Asserts a jq condition on $T/body (or FILE), printing it when it fails.
check() { # JQ [FILE]
    local file=${2:-$T/body}
    jq -e "$1" "$file" >/dev/null && return 0
    echo "jq condition failed: $1" >&2
    head -c 6000 "$file" >&2
    return 1
}

# The market clock moves to MS (the bars it passed are worked); later requests sign there.
clock() { # MS
    CLOCK=$1
    curl -s -X POST "$URL/fake/clock" -d "{\"now\":$1}" >/dev/null
}

now_ms() {
    curl -s "$URL/api/v5/public/time" | jq -r '.data[0].ts'
}

limit_buy() { # CLORDID PX SZ
    printf '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"%s","side":"buy","ordType":"limit","px":"%s","sz":"%s"}' "$1" "$2" "$3"
}

# What a restart must answer exactly as before: the ledger, the private lists, the balance
# and the clock, into $T/NAME.*.
snapshot() { # NAME
    curl -s "$URL/fake/ledger" >"$T/$1.ledger"
    local what
    for what in trade/orders-pending trade/fills account/balance \
        'trade/orders-algo-pending?ordType=oco,conditional' 'trade/orders-history?instType=SPOT'; do
        get "/api/v5/$what"
        what=${what%%\?*}
        cp "$T/body" "$T/$1.${what//\//_}"
    done
    now_ms >"$T/$1.time"
}

same_snapshots() { # A B
    local f
    for f in "$T/$1".*; do
        cmp "$f" "$T/$2.${f#"$T/$1".}" || { echo "differs: ${f#"$T/$1".}" >&2; diff "$f" "$T/$2.${f#"$T/$1".}" >&2; return 1; }
    done
}

@test "--help lists --state" {
    run "$FAKE_OKX" --help
    assert_success
    assert_line --regexp '^ +--state FILE +keep the account across restarts: journal every private POST, WebSocket order op and clock move to FILE'
}

@test "SIGKILL and a restart on the same --state: the ledger, orders, fills, balance and algos answer as before, the clock stays, ids are new, the dead-man switch fires at its deadline" {
    start_server --state "$T/state" --balance USDT=100000 --no-rate-limit
    # A market buy, filled by the clock; a limit buy that fills 0.2 a bar.
    post /api/v5/trade/order '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"base","side":"buy","ordType":"market","tgtCcy":"base_ccy","sz":"0.05"}'
    check '.data[0].sCode == "0"'
    clock $((LAST + 2 * BAR))
    post /api/v5/trade/order "$(limit_buy p1 31496 0.9)"
    post /api/v5/trade/order "$(limit_buy p2 31000 0.01)"
    # One order over the private WebSocket.
    "$WS_PROBE" --login --login-ts $((CLOCK / 1000)) \
        --send "{\"id\":\"w1\",\"op\":\"order\",\"args\":[$(limit_buy w1 31001 0.01)]}" --frames 2 \
        "ws://127.0.0.1:$PORT/ws/v5/private" >"$T/p.out" 2>"$T/p.err"
    grep -q '"op":"order".*"sCode":"0"' "$T/p.out"
    clock $((CLOCK + 2 * BAR))
    get '/api/v5/trade/order?instId=BTC-USDT&clOrdId=p1'
    check '.data[0].state == "partially_filled"'
    # A live algo (neither leg is ever reached) and the dead-man switch armed for 60 s.
    post /api/v5/trade/order-algo '{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"oco","sz":"0.03","algoClOrdId":"k1","tpTriggerPx":"31700","tpOrdPx":"-1","slTriggerPx":"31300","slOrdPx":"-1"}'
    check '.data[0].sCode == "0"'
    post /api/v5/trade/cancel-all-after '{"timeOut":"60"}'
    local deadline=$((CLOCK + 60000))
    check ".data[0].triggerTime == \"$deadline\""
    snapshot before
    check '(.orders | length) == 4 and (.fills | length) >= 2 and (.algos | length) == 1' "$T/before.ledger"
    check '[.data[].clOrdId] == ["w1","p2","p1"]' "$T/before.trade_orders-pending"
    kill_server

    # Started again, with the --now of the first start: the clock does not go back.
    start_server --state "$T/state" --balance USDT=100000 --no-rate-limit
    snapshot after
    same_snapshots before after
    run cat "$T/after.time"
    assert_output "$CLOCK"
    # A new order gets an id never used before (ordIds, tradeIds and algoIds share a counter).
    post /api/v5/trade/order "$(limit_buy n1 31002 0.01)"
    local id
    id=$(jq -r '.data[0].ordId' "$T/body")
    check "[.orders[].ordId, .fills[].tradeId, .algos[].algoId] | all(. < \"$id\")" "$T/before.ledger"
    # The dead-man switch: not yet a millisecond before its deadline, then every working order.
    clock $((deadline - 1))
    get /api/v5/trade/orders-pending
    check '[.data[].clOrdId] == ["n1","w1","p2","p1"]'
    clock "$deadline"
    get /api/v5/trade/orders-pending
    check '.data == []'
    curl -s "$URL/fake/ledger" >"$T/ledger"
    check '[.orders[] | select(.clOrdId != "base") | [.clOrdId, .state, .cancelSource]] == [["p1","canceled","20"],["p2","canceled","20"],["w1","canceled","20"],["n1","canceled","20"]]' "$T/ledger"
    check '[.algos[].state] == ["live"]' "$T/ledger"
    # Once more, after a clean stop: the same account again, switch fired and all.
    snapshot fired
    kill -TERM "$PID"
    wait "$PID"
    start_server --state "$T/state" --balance USDT=100000 --no-rate-limit
    snapshot again
    same_snapshots fired again
}

@test "the clock: a restart keeps where the WebSocket clock had stepped to; a later --now moves it on, an earlier one never back" {
    start_server --state "$T/state" --ws-interval-ms 20
    "$WS_PROBE" --send '{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}' \
        --frames 6 "ws://127.0.0.1:$PORT/ws/v5/business" >"$T/ws.out" 2>"$T/ws.err"
    local t1
    t1=$(now_ms)
    [[ $t1 -ge $((NOW + 2 * BAR)) ]] || fail "the WebSocket clock did not step: $t1"
    kill_server
    # Every step is in the file; the restart (no WebSocket, so no steps) is at the last one.
    local last
    last=$(jq -s 'map(select(.op == "clock")) | last | .now' "$T/state")
    [[ $last -ge $t1 ]]
    start_server --state "$T/state"
    run now_ms
    assert_output "$last"
    kill_server
    START_NOW=$((last + 5 * BAR)) start_server --state "$T/state"
    run now_ms
    assert_output "$((last + 5 * BAR))"
    kill_server
    start_server --state "$T/state" --now "$NOW"
    run now_ms
    assert_output "$((last + 5 * BAR))"
}

@test "a FILE written with other --data or another --balance, or not a state file, is refused with exit 2, naming it; the FILE is left as it was" {
    start_server --state "$T/state"
    post /api/v5/trade/order "$(limit_buy a1 31000 0.01)"
    kill_server
    cp "$T/state" "$T/state.orig"
    # The same candles but one volume.
    mkdir "$T/data2"
    sed 's/^\(1700000040000,.*\),2$/\1,3/' "$DATA/BTC-USDT_1m.csv" >"$T/data2/BTC-USDT_1m.csv"
    run cmp -s "$DATA/BTC-USDT_1m.csv" "$T/data2/BTC-USDT_1m.csv"
    assert_failure
    run timeout 20 "$FAKE_OKX" --port 0 --data "$T/data2" --now "$NOW" --state "$T/state"
    assert_equal "$status" 2
    assert_output --partial "fake-okx: error: --state $T/state:1: written with other candles in --data"
    run timeout 20 "$FAKE_OKX" --port 0 --data "$DATA" --now "$NOW" --state "$T/state" --balance USDT=5000
    assert_equal "$status" 2
    assert_output --partial "fake-okx: error: --state $T/state:1: written with another --balance (10000.0, this run's 5000.0)"
    echo '{"orders":[]}' >"$T/other"
    run timeout 20 "$FAKE_OKX" --port 0 --data "$DATA" --now "$NOW" --state "$T/other"
    assert_equal "$status" 2
    assert_output --partial "--state $T/other:1: not a fake-okx --state file"
    cmp "$T/state" "$T/state.orig"
    # The same data in another directory is the same data; --balance USDT=10000.0 the same.
    cp -r "$DATA" "$T/data3"
    DATA=$T/data3 start_server --state "$T/state" --balance USDT=10000.0
    curl -s "$URL/fake/ledger" | jq -e '[.orders[].clOrdId] == ["a1"]' >/dev/null
}

@test "a last line cut by a crash is dropped with a warning and cut from the file; a damaged line before the last is refused, naming the line" {
    start_server --state "$T/state"
    post /api/v5/trade/order "$(limit_buy a1 31000 0.01)"
    curl -s "$URL/fake/ledger" >"$T/before"
    kill_server
    local lines
    lines=$(wc -l <"$T/state")
    # A crash in the middle of a line's write: no newline after it.
    printf '{"op":"post","src":"rest","now":%s,"path":"/api/v5/trade/order","body":"{\\"instId\\":\\"BTC-' "$NOW" >>"$T/state"
    : >"$T/server.err"
    start_server --state "$T/state"
    grep -qF "fake-okx: warning: --state $T/state:$((lines + 1)): the last line has no newline" "$T/server.err"
    curl -s "$URL/fake/ledger" | cmp - "$T/before"
    # The file is whole again, and what follows is appended on lines of its own.
    post /api/v5/trade/order "$(limit_buy a2 31001 0.01)"
    check '.data[0].sCode == "0"'
    kill_server
    [[ $(tail -c 1 "$T/state" | od -An -c | tr -d ' ') == '\n' ]]
    jq -c . "$T/state" >/dev/null
    : >"$T/server.err"
    start_server --state "$T/state"
    curl -s "$URL/fake/ledger" | jq -e '[.orders[].clOrdId] == ["a1","a2"]' >/dev/null
    run grep warning "$T/server.err"
    assert_failure
    kill_server
    # A bad line that is not the last is damage, not a crash: refused.
    sed -i '3s/.*/{"op":"post","now":1,"path":"/' "$T/state"
    run timeout 20 "$FAKE_OKX" --port 0 --data "$DATA" --now "$NOW" --state "$T/state"
    assert_equal "$status" 2
    assert_output --partial "fake-okx: error: --state $T/state:3: not a JSON object"
    sed -i '3s/.*/{"op":"post","now":1,"path":"\/api\/v5\/public\/time","body":""}/' "$T/state"
    run timeout 20 "$FAKE_OKX" --port 0 --data "$DATA" --now "$NOW" --state "$T/state"
    assert_equal "$status" 2
    assert_output --partial "--state $T/state:3: \"path\" is not a private POST endpoint"
}

# execute --mode demo against the fake on the samples, as in execute-demo.bats.
start_fake() { # NAME ARGS...
    local name=$1
    shift
    rm -f "$T/$name.port"
    "$FAKE_OKX" --port 0 --port-file "$T/$name.port" --data "$SAMPLES" --now "$DEMO_NOW" \
        --ws-interval-ms 0 --log "$T/$name.log" "$@" 2>"$T/$name.err" 3>&- &
    PID=$!
    echo "$PID" >>"$T/pids"
    for _ in $(seq 200); do
        [[ -s $T/$name.port ]] && break
        sleep 0.05
    done
    [[ -s $T/$name.port ]] || { echo "fake-okx did not write its port file" >&2; return 1; }
    URL=http://127.0.0.1:$(cat "$T/$name.port")
}

# The day's candles, then approved intents at its last bar (ARGS: JSON objects merged into
# a base intent: {"leg":"b","ord_type":"market"}).
input() {
    local last
    last=$(tail -1 "$DAY" | jq .ts)
    cat "$DAY"
    for extra in "$@"; do
        jq -nc --argjson ts "$last" --argjson x "$extra" '{type: "intent", v: 1, ts: $ts,
            inst: "BTC-USDT", strategy: "s", leg: "b", action: "place", side: "buy",
            ord_type: "market", sz: 0.01, approved: true} + $x'
    done
}

demo() { # (stdin: the input)
    execute --mode demo --rest-url "$URL" --run r1
}

@test "execute --mode demo, the fake restarted with its --state between two runs: the fills made before the restart are adopted exactly once" {
    DAY=$T/day.ndjson
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-02 >"$DAY"
    export OKXKIT_STORE=$T/s.db OKX_WS_PRIVATE_URL=off
    start_fake one --state "$T/state"
    input '{"leg":"m"}' '{"leg":"l","ord_type":"limit","px":40000}' >"$T/in"
    demo <"$T/in" >"$T/out1" 2>"$T/err1" || { cat "$T/err1"; false; }
    # Three bars: the market buy fills at the next open, on the fake, while execute is away.
    CLOCK=$((DEMO_NOW + 900000))
    clock "$CLOCK"
    curl -s "$URL/fake/ledger" >"$T/before"
    check '(.fills | length) == 1 and [.orders[].state] == ["filled","live"]' "$T/before"
    kill_server
    start_fake two --state "$T/state"
    curl -s "$URL/fake/ledger" | cmp - "$T/before"
    demo <"$T/in" >"$T/out2" 2>"$T/err2" || { cat "$T/err2"; false; }
    demo <"$T/in" >"$T/out3" 2>"$T/err3" || { cat "$T/err3"; false; }
    # Nothing placed twice: the two orders went out once, to the first fake.
    [[ $(cat "$T/one.log" "$T/two.log" | grep -c '"method":"POST","path":"/api/v5/trade/order"') == 2 ]]
    run jq -c 'select(.type == "fill") | [.leg, .sz, .liquidity, .mode]' "$T/out2"
    assert_output '["m",0.01,"taker","demo"]'
    run jq -c 'select(.type == "order" or .type == "fill")' "$T/out3"
    assert_output ''
    # The store's fills are the ledger's, tradeId for tradeId, each once.
    diff <(jq -r '.fills[].tradeId' "$T/before") \
        <(sqlite3 "$T/s.db" "SELECT trade_id FROM fills WHERE run_id = 'r1' ORDER BY trade_id")
    curl -s "$URL/fake/ledger" | cmp - "$T/before"
    audit reconcile --run r1 --store "$T/s.db"
}
