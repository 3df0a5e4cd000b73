#!/usr/bin/env bats
# fake-okx's private WebSocket (/ws/v5/private, §5.3 and §5.5): the login and its refusals,
# the orders channel's pushes on every order change (WebSocket, REST, the market clock), the
# order and cancel-order ops through the REST endpoints' own code (codes, rate limit, the
# request log), and --ws-drop-order-every.

bats_require_minimum_version 1.5.0
load helpers

FAKE_BIN=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx
FAKE_OKX=$FAKE_BIN/fake-okx
WS_PROBE=$FAKE_BIN/ws-probe
BAR=60000
LAST=1699999980000    # open time of the 1m bar forming at NOW
NOW=$((LAST + 30000)) # the market clock: 30 s into that bar
NOW_S=$((NOW / 1000))
# The protocol notes' demo key (§3), which fake-okx accepts by default.
KEY=985d5b66-57ce-40fb-b714-afc0b9787083
SECRET=chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO
PASSPHRASE=1234567890

SUB_ORDERS='{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}'

setup_file() {
    export DATA=$BATS_FILE_TMPDIR/data
    mkdir -p "$DATA"
    # Flat 1m bars LAST-10 .. LAST+20: o 31500, h 31505, l 31495, c 31500, volume 2, so a limit
    # buy at 31496 fills 0.2 (10% of a bar's volume) on each bar after the one it was placed in.
    awk -v last="$LAST" -v bar="$BAR" 'BEGIN {
        print "ts_ms,open,high,low,close,volume"
        for (i = -10; i <= 20; i++) printf "%.0f,31500.0,31505.0,31495.0,31500.0,2\n", last + i * bar
    }' >"$DATA/BTC-USDT_1m.csv"
}

setup() {
    T=$BATS_TEST_TMPDIR
    : >"$T/pids"
    export OKX_API_KEY=$KEY OKX_API_SECRET=$SECRET OKX_API_PASSPHRASE=$PASSPHRASE
}

# Stops the servers and background probes; each server must exit 0 on SIGTERM, and none may
# have printed a sanitizer report.
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

# Starts a server with ARGS; sets PORT and URL. Log $T/log, stderr $T/server.err.
start_server() { # ARGS...
    "$FAKE_OKX" --port 0 --port-file "$T/port" --data "$DATA" --now "$NOW" --log "$T/log" \
        "$@" 2>"$T/server.err" 3>&- &
    echo $! >>"$T/pids"
    for _ in $(seq 200); do
        [[ -s $T/port ]] && break
        sleep 0.05
    done
    [[ -s $T/port ]] || { echo "fake-okx did not write its port file" >&2; return 1; }
    PORT=$(cat "$T/port")
    URL=http://127.0.0.1:$PORT
}

# Runs ws-probe on /ws/v5/private with ARGS; its lines go to $T/NAME.out, the JSON frames to
# $T/NAME.json (one per line). NAME defaults to "p".
probe() { # [-n NAME] ARGS...
    local name=p
    if [[ $1 == -n ]]; then
        name=$2
        shift 2
    fi
    "$WS_PROBE" "$@" "ws://127.0.0.1:$PORT/ws/v5/private" >"$T/$name.out" 2>"$T/$name.err" || true
    sed -E 's/^[0-9]+ //' "$T/$name.out" | grep -v '^#' | jq -c -R 'fromjson? // empty' >"$T/$name.json"
}

# Starts a logged-in probe subscribed to orders in the background, expecting FRAMES frames in
# all (login ack and subscribe ack included); waits for the subscribe ack. Stop: wait_bg.
probe_bg() { # FRAMES
    "$WS_PROBE" --login --login-ts "$NOW_S" --send "$SUB_ORDERS" --frames "$1" --seconds 10 \
        "ws://127.0.0.1:$PORT/ws/v5/private" >"$T/bg.out" 2>"$T/bg.err" &
    BG=$!
    for _ in $(seq 200); do
        grep -q '"event":"subscribe"' "$T/bg.out" && return 0
        sleep 0.05
    done
    echo "the background probe got no subscribe ack" >&2
    cat "$T/bg.out" >&2
    return 1
}

# Waits for the background probe to end, then puts its JSON frames in $T/bg.json.
wait_bg() {
    wait "$BG" || true
    sed -E 's/^[0-9]+ //' "$T/bg.out" | grep -v '^#' | jq -c -R 'fromjson? // empty' >"$T/bg.json"
}

# Asserts a jq condition on the slurped JSON lines of FILE, printing them if it fails.
check() { # JQ FILE
    if ! jq -e -s "$1" "$2" >/dev/null; then
        echo "jq condition failed: $1" >&2
        head -c 6000 "$2" >&2
        return 1
    fi
}

clock() { # MS: the market clock moves there; the bars it passed are worked
    curl -s -X POST "$URL/fake/clock" -d "{\"now\":$1}" >/dev/null
}

# An order op with id ID and the one arg ARG.
order_op() { # ID ARG
    printf '{"id":"%s","op":"order","args":[%s]}' "$1" "$2"
}

limit_buy() { # CLORDID SZ
    printf '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"%s","side":"buy","ordType":"limit","px":"31496","sz":"%s"}' "$1" "$2"
}

# The OK-ACCESS-TIMESTAMP of ms ("2023-11-14T22:13:30.000Z").
access_ts() {
    printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000))
}

# A signed POST (signed here with openssl) at the market clock NOW; the body goes to
# $T/body, the HTTP status to stdout.
private_post() { # PATH BODY
    local ts sign
    ts=$(access_ts "$NOW")
    sign=$(printf '%s' "${ts}POST$1$2" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64)
    curl -sS -o "$T/body" -w '%{http_code}' -X POST "$URL$1" -H "OK-ACCESS-KEY: $KEY" \
        -H "OK-ACCESS-SIGN: $sign" -H "OK-ACCESS-TIMESTAMP: $ts" \
        -H "OK-ACCESS-PASSPHRASE: $PASSPHRASE" -H "Content-Type: application/json" \
        -H "x-simulated-trading: 1" --data-binary "$2"
}

@test "login: a signed login is acknowledged; each fault gets OKX's code and close 4001; no secret reaches the log" {
    start_server --ws-interval-ms 10
    probe --login --login-ts "$NOW_S" --send ping --frames 2
    check '.[0] | .event == "login" and .code == "0" and .msg == "" and (.connId | test("^[0-9a-f]{8}$"))' "$T/p.json"
    grep -qx '[0-9]* pong' "$T/p.out"
    # A private connection does not start the market clock (it moves every 10 ms once a
    # public one connects).
    run curl -s "$URL/api/v5/public/time"
    assert_output "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":\"$NOW\"}]}"
    # Each refusal: the error, then close 4001, and nothing sent after the login is answered.
    local fault
    for fault in "60024 env OKX_API_PASSPHRASE=123456789" "60007 --login-sign ENpPNQ8mQv8YzDMPhBsB4SrjaKK+FaEh2nozTRW6KU0=" \
        "60006 --login-ts $((NOW_S - 40))" "60006 --login-ts $((NOW_S + 40))" \
        "60005 env OKX_API_KEY=00000000-57ce-40fb-b714-afc0b9787083" "60004 --login-ts 1700000010.5"; do
        local code=${fault%% *} how=${fault#* }
        if [[ $how == env* ]]; then
            # shellcheck disable=SC2086
            env ${how#env } "$WS_PROBE" --login --login-ts "$NOW_S" --send "$SUB_ORDERS" \
                "ws://127.0.0.1:$PORT/ws/v5/private" >"$T/p.out" 2>&1 || true
        else
            # shellcheck disable=SC2086
            "$WS_PROBE" --login --login-ts "$NOW_S" $how --send "$SUB_ORDERS" \
                "ws://127.0.0.1:$PORT/ws/v5/private" >"$T/p.out" 2>&1 || true
        fi
        sed -E 's/^[0-9]+ //' "$T/p.out" | grep -v '^#' >"$T/p.json" || true
        check "length == 1 and (.[0] | .event == \"error\" and .code == \"$code\" and (.connId | length) == 8)" "$T/p.json"
        grep -q '^[0-9]* #close 4001 Login failed\.$' "$T/p.out" || fail "no close 4001 for $code: $(cat "$T/p.out")"
    done
    # 29 s away is still fresh.
    probe --login --login-ts $((NOW_S - 29)) --frames 1
    check '.[0].code == "0"' "$T/p.json"
    # A second login is refused, without a close.
    probe --login --login-ts "$NOW_S" --send "$(jq -cn --arg k "$KEY" --arg p "$PASSPHRASE" --arg t "$NOW_S" \
        --arg s "$(printf '%sGET/users/self/verify' "$NOW_S" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64)" \
        '{op: "login", args: [{apiKey: $k, passphrase: $p, timestamp: $t, sign: $s}]}')" --send ping --frames 3
    check '.[1] | .event == "error" and .code == "60031"' "$T/p.json"
    grep -qx '[0-9]* pong' "$T/p.out"
    # Before a login: subscribe and order get 60011.
    probe --send "$SUB_ORDERS" --send "$(order_op o1 "$(limit_buy b1 0.01)")" --frames 2
    check '.[0] | .event == "error" and .code == "60011" and .msg == "Please log in"' "$T/p.json"
    check '.[1] | .id == "o1" and .op == "order" and .code == "60011" and .data == []' "$T/p.json"
    run curl -s "$URL/fake/ledger"
    assert_output '{"orders":[],"fills":[]}'
    # The login frame reaches the log masked.
    ! grep -F -e "$SECRET" -e "$PASSPHRASE" -e "$KEY" "$T/log" "$T"/*.err || fail "a credential reached a log"
    grep -q '"apiKey\\":\\"\*\*\*\\"' "$T/log"
}

@test "orders channel: unknown channels and instTypes get 60018; the account channel of one currency is not served" {
    start_server
    probe --login --login-ts "$NOW_S" --send '{"op":"subscribe","args":[{"channel":"account","ccy":"USDT"},{"channel":"orders","instType":"BOGUS"},{"channel":"orders","instType":"ANY","instId":"NOPE-USDT"},{"channel":"orders","instType":"ANY","instId":"BTC-USDT"}]}' --frames 5
    check '[.[1:4][] | .code] == ["60018","60018","60018"]' "$T/p.json"
    check '.[4] | .event == "subscribe" and .arg == {"channel":"orders","instType":"ANY","instId":"BTC-USDT"}' "$T/p.json"
}

@test "account channel: a snapshot after the subscribe, then the balance after every change of the orders, after their orders push" {
    start_server
    probe --login --login-ts "$NOW_S" --send "$SUB_ORDERS" --send '{"op":"subscribe","args":[{"channel":"account"}]}' \
        --send "$(order_op o1 "$(limit_buy b1 0.01)")" --frames 7
    check '.[2] | .event == "subscribe" and .arg == {"channel":"account"}' "$T/p.json"
    check '.[3] | .arg.channel == "account" and .eventType == "snapshot" and (.data[0].details | map([.ccy, .cashBal, .frozenBal]) == [["USDT","10000","0"]])' "$T/p.json"
    # The order placed: its answer, its orders push, then the account with its hold.
    check '[.[4:7][] | .op // .arg.channel] == ["order","orders","account"]' "$T/p.json"
    check '.[6] | .eventType == "event_update" and (.data[0].details[0] | .ccy == "USDT" and .cashBal == "10000" and (.frozenBal | tonumber) > 0)' "$T/p.json"
}

@test "order over the WebSocket: sCode 0 with an ordId, in the ledger once, and a live push" {
    start_server
    probe --login --login-ts "$NOW_S" --send "$SUB_ORDERS" --send "$(order_op 1512 "$(limit_buy a1 0.01)")" --frames 4
    check '.[2] | .id == "1512" and .op == "order" and .code == "0" and .msg == "" and (.data | length) == 1 and
        (.data[0] | .clOrdId == "a1" and (.ordId | test("^[0-9]{18}$")) and .tag == "" and .sCode == "0" and .ts == "'"$NOW"'") and
        .inTime == "'"$NOW"'000" and .outTime == "'"$NOW"'000"' "$T/p.json"
    local ord
    ord=$(jq -r 'select(.op == "order") | .data[0].ordId' "$T/p.json")
    check '.[3] | .arg == {"channel":"orders","instType":"SPOT","uid":"614488474791936"} and (.data | length) == 1 and
        (.data[0] | .instType == "SPOT" and .instId == "BTC-USDT" and .ordId == "'"$ord"'" and .clOrdId == "a1" and
         .state == "live" and .px == "31496" and .sz == "0.01" and .side == "buy" and .ordType == "limit" and
         .tdMode == "cash" and .accFillSz == "0" and .fillSz == "0" and .tradeId == "" and .fillPx == "" and
         .execType == "" and .fee == "0" and .cTime == "'"$NOW"'" and .uTime == "'"$NOW"'")' "$T/p.json"
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.orders[] | [.ordId, .clOrdId, .state]]'"
    assert_output "[[\"$ord\",\"a1\",\"live\"]]"
}

@test "fills as the clock passes the bars: partially_filled, then filled, with the ledger's tradeIds and each fill's fee" {
    start_server
    # login ack, subscribe ack, the op's answer, live, partially_filled, filled.
    probe_bg 6
    probe -n op --login --login-ts "$NOW_S" --send "$(order_op 7 "$(limit_buy f1 0.3)")" --frames 2
    check '.[1].data[0].sCode == "0"' "$T/op.json"
    clock $((LAST + 3 * BAR))
    wait_bg
    jq -c 'select(.arg.channel == "orders" and .data) | .data[0]' "$T/bg.json" >"$T/rows"
    check '[.[] | .state] == ["live", "partially_filled", "filled"]' "$T/rows"
    check '[.[] | .accFillSz] == ["0", "0.2", "0.3"] and [.[] | .fillSz] == ["0", "0.2", "0.1"]' "$T/rows"
    check '.[1:] | all(.fillPx == "31496" and .execType == "M" and .fillFeeCcy == "USDT" and (.fillTime | test("^[0-9]{13}$")))' "$T/rows"
    # fillFee is the fill's own (maker 0.08%), fee the order's so far.
    check '[.[1:][] | .fillFee | tonumber] as $f | ($f[0] + 0.2 * 31496 * 0.0008 | fabs) < 1e-9 and ($f[1] + 0.1 * 31496 * 0.0008 | fabs) < 1e-9' "$T/rows"
    check '(.[2].fee | tonumber) - (.[1].fillFee | tonumber) - (.[2].fillFee | tonumber) | fabs < 1e-9' "$T/rows"
    # The tradeIds, sizes and prices of the pushes are the ledger's fills.
    curl -s "$URL/fake/ledger" >"$T/ledger"
    diff <(jq -c '.fills[] | [.tradeId, .fillSz, .fillPx]' "$T/ledger") \
        <(jq -c 'select(.tradeId != "") | [.tradeId, .fillSz, .fillPx]' "$T/rows")
    run jq -r '.fills | length' "$T/ledger"
    assert_output 2
}

@test "order refused: code 1 and the REST endpoint's sCode (51008, 51000, 51016); nothing new in the ledger" {
    start_server
    probe --login --login-ts "$NOW_S" --send "$(order_op 1 "$(limit_buy big 1000)")" \
        --send "$(order_op 2 '{"instId":"BTC-USDT","tdMode":"cross","side":"buy","ordType":"limit","px":"31496","sz":"0.01"}')" \
        --send "$(order_op 3 "$(limit_buy d1 0.01)")" --send "$(order_op 4 "$(limit_buy d1 0.01)")" --frames 5
    check '.[1] | .id == "1" and .code == "1" and .data[0].sCode == "51008" and .data[0].clOrdId == "big" and .data[0].ordId == "" and (.data[0].sMsg | test("Insufficient USDT"))' "$T/p.json"
    check '.[2] | .code == "1" and .data[0].sCode == "51000" and .data[0].sMsg == "Parameter tdMode error"' "$T/p.json"
    check '.[3].code == "0" and .[4].code == "1" and .[4].data[0].sCode == "51016"' "$T/p.json"
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.orders[].clOrdId]'"
    assert_output '["d1"]'
}

@test "invalid op args: 60013 with an empty data" {
    start_server
    probe --login --login-ts "$NOW_S" --send "{\"op\":\"order\",\"args\":[$(limit_buy x1 0.01)]}" \
        --send "{\"id\":\"2\",\"op\":\"order\",\"args\":[$(limit_buy x2 0.01),$(limit_buy x3 0.01)]}" \
        --send '{"id":"3","op":"order","args":["x"]}' --send '{"id":"4","op":"cancel-order"}' \
        --send '{"id":"has-dash","op":"order","args":[{}]}' --frames 6
    check '[.[1:][] | [.id, .op, .code, .msg, .data]] == [["","order","60013","Invalid args",[]],
        ["2","order","60013","Invalid args",[]], ["3","order","60013","Invalid args",[]],
        ["4","cancel-order","60013","Invalid args",[]], ["has-dash","order","60013","Invalid args",[]]]' "$T/p.json"
    run bash -c "curl -s $URL/fake/ledger | jq -c '.orders'"
    assert_output '[]'
}

@test "an order placed and canceled over REST is pushed to a subscribed connection" {
    start_server
    probe_bg 4
    run private_post /api/v5/trade/order "$(limit_buy r1 0.01)"
    assert_output 200
    local ord
    ord=$(jq -r '.data[0].ordId' "$T/body")
    run private_post /api/v5/trade/cancel-order '{"instId":"BTC-USDT","clOrdId":"r1"}'
    assert_output 200
    wait_bg
    check '[.[] | select(.arg.channel == "orders" and .data) | .data[0] | [.ordId, .clOrdId, .state, .cancelSource]] ==
        [["'"$ord"'","r1","live",""], ["'"$ord"'","r1","canceled","1"]]' "$T/bg.json"
}

@test "--ws-drop-order-every 2: the second order is placed, and the connection drops without its answer" {
    start_server --ws-drop-order-every 2
    probe --login --login-ts "$NOW_S" --send "$(order_op 1 "$(limit_buy w1 0.01)")" \
        --send "$(order_op 2 "$(limit_buy w2 0.01)")" --send ping --frames 9
    # The first is answered; the second is placed, then the connection ends without a close
    # frame and without its answer.
    check 'length == 2 and .[1].id == "1" and .[1].data[0].sCode == "0"' "$T/p.json"
    grep -qx '[0-9]* #closed' "$T/p.out"
    ! grep -q '#close ' "$T/p.out"
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.orders[] | [.clOrdId, .state]]'"
    assert_output '[["w1","live"],["w2","live"]]'
    check '[.[] | select(.event == "drop")] | length == 1' "$T/log"
}

@test "cancel-order over the WebSocket: sCode 0 and a canceled push; again: 51401; unknown: 51400" {
    start_server
    probe --login --login-ts "$NOW_S" --send "$SUB_ORDERS" --send "$(order_op 1 "$(limit_buy c1 0.01)")" \
        --send '{"id":"2","op":"cancel-order","args":[{"instId":"BTC-USDT","clOrdId":"c1"}]}' \
        --send '{"id":"3","op":"cancel-order","args":[{"instId":"BTC-USDT","clOrdId":"c1"}]}' \
        --send '{"id":"4","op":"cancel-order","args":[{"instId":"BTC-USDT","ordId":"123"}]}' --frames 8
    local ord
    ord=$(jq -r 'select(.id == "1") | .data[0].ordId' "$T/p.json")
    check '[.[] | select(.id == "2")][0] | .op == "cancel-order" and .code == "0" and .data[0].sCode == "0" and .data[0].ordId == "'"$ord"'" and .data[0].clOrdId == "c1"' "$T/p.json"
    check '[.[] | select(.arg.channel == "orders" and .data) | .data[0] | [.state, .cancelSource]] == [["live",""],["canceled","1"]]' "$T/p.json"
    check '[.[] | select(.id == "3")][0] | .code == "1" and .data[0].sCode == "51401"' "$T/p.json"
    check '[.[] | select(.id == "4")][0] | .code == "1" and .data[0].sCode == "51400" and .data[0].ordId == "123"' "$T/p.json"
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.orders[] | [.clOrdId, .state, .cancelSource]]'"
    assert_output '[["c1","canceled","1"]]'
}

@test "the request log has a line per op; WebSocket and REST places share the 60 per 2 s bucket of their instId" {
    start_server
    local i
    for i in $(seq 61); do
        printf -- '--send\n%s\n' "$(order_op "$i" "$(limit_buy "l$i" 0.001)")"
    done >"$T/args"
    mapfile -t args <"$T/args"
    probe --login --login-ts "$NOW_S" "${args[@]}" --frames 62
    check '[.[1:][] | .data[0].sCode] == ([range(60)] | map("0")) + ["50011"]' "$T/p.json"
    check '.[61] | .code == "1" and .data[0].clOrdId == "l61" and .data[0].sMsg == "Too Many Requests"' "$T/p.json"
    # REST's place of the same instrument is in the same bucket.
    run private_post /api/v5/trade/order "$(limit_buy r1 0.001)"
    assert_output 429
    check '.[0].code == "50011"' "$T/body"
    run bash -c "curl -s $URL/fake/ledger | jq '.orders | length'"
    assert_output 60
    # One line per op, in the request lines' format.
    jq -c 'select(.method == "WS")' "$T/log" >"$T/ops"
    check 'length == 61 and all(keys_unsorted == ["t_ms","method","path","query","status","code","mono_us"])' "$T/ops"
    check '[.[] | .path] | unique == ["order"]' "$T/ops"
    check '.[0].query | test("^id=1&connId=[0-9a-f]{8}$")' "$T/ops"
    check '[.[] | [.status, .code]] == ([range(60)] | map([200, "0"])) + [[429, "50011"]]' "$T/ops"
}
