#!/usr/bin/env bats
# fake-okx's trading endpoints beyond place and cancel (protocol §4.2, §4.4, §4.5, §6.1):
# amend-order, batch-orders and cancel-batch-orders with their rate-limit bucket, trade-fee,
# positions, and the spot algo orders (oco, conditional): placed, holding, triggered by the
# bars the market clock passes into a child order that fills by the paper rules, canceled,
# amended, listed, and left alone by cancel-all-after. Time moves only by POST /fake/clock.

bats_require_minimum_version 1.5.0
load helpers

FAKE_BIN=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx
FAKE_OKX=$FAKE_BIN/fake-okx
WS_PROBE=$FAKE_BIN/ws-probe
BAR=60000
LAST=1699999980000    # open time of the 1m bar forming at NOW
NOW=$((LAST + 30000)) # the market clock at the start: 30 s into that bar
# The protocol notes' demo key (§3), which fake-okx accepts by default.
KEY=985d5b66-57ce-40fb-b714-afc0b9787083
SECRET=chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO
PASSPHRASE=1234567890

SUB_ORDERS='{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}'

setup_file() {
    export DATA=$BATS_FILE_TMPDIR/data
    mkdir -p "$DATA"
    # 1m bars LAST-10 .. LAST+40 (tickSz 0.1): o 31500, h 31505, l 31495, c 31500, volume 2,
    # so 0.2 fills per bar (10%), except bar 3 (LAST + 3 min) whose high is 31600, bar 6
    # whose high is 31600 and low 31400, and bar 9 whose low is 31400.
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
    rm -f "$T/port"
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

# The same signed request N times over one keep-alive connection (a signature covers the
# timestamp, path and body only, so it holds for every copy); prints the N statuses.
burst() { # N METHOD PATH [BODY]
    local n=$1 body=${4:-} args=() i
    sign_headers "$2" "$3" "$body"
    for ((i = 0; i < n; i++)); do
        args+=(-o /dev/null "$URL$3")
    done
    [[ -z $body ]] || args=(--data-binary "$body" "${args[@]}")
    curl -s -w '%{http_code} ' -X "$2" "${HDRS[@]}" "${args[@]}"
}

post() { private POST "$1" "$2" >/dev/null; }
get() { private GET "$1" >/dev/null; }

# Asserts a jq condition on $T/body (or FILE, slurped), printing it when it fails.
check() { # JQ [FILE]
    if [[ $# == 1 ]]; then
        jq -e "$1" "$T/body" >/dev/null && return 0
        echo "jq condition failed: $1" >&2
        head -c 3000 "$T/body" >&2
        return 1
    fi
    jq -e -s "$1" "$2" >/dev/null && return 0
    echo "jq condition failed: $1" >&2
    head -c 6000 "$2" >&2
    return 1
}

# The market clock moves to MS (the bars it passed are worked); later requests sign there.
clock() { # MS
    CLOCK=$1
    curl -s -X POST "$URL/fake/clock" -d "{\"now\":$1}" >/dev/null
}

limit_buy() { # CLORDID PX SZ
    printf '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"%s","side":"buy","ordType":"limit","px":"%s","sz":"%s"}' "$1" "$2" "$3"
}

limit_sell() { # CLORDID PX SZ
    printf '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"%s","side":"sell","ordType":"limit","px":"%s","sz":"%s"}' "$1" "$2" "$3"
}

# Buys SZ BTC at the market now, and moves the clock to TO, past the bar it fills on.
buy_base() { # SZ TO
    post /api/v5/trade/order "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"base\",\"side\":\"buy\",\"ordType\":\"market\",\"tgtCcy\":\"base_ccy\",\"sz\":\"$1\"}"
    check '.data[0].sCode == "0"'
    clock "$2"
    get '/api/v5/trade/order?instId=BTC-USDT&clOrdId=base'
    check '.data[0].state == "filled"'
}

# POST /api/v5/trade/order-algo with a sell oco (or SIDE) of SZ, TP and SL legs.
oco() { # ALGOCLORDID SZ TP TPORD SL SLORD [SIDE]
    post /api/v5/trade/order-algo "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"side\":\"${7:-sell}\",\"ordType\":\"oco\",\"sz\":\"$2\",\"algoClOrdId\":\"$1\",\"tpTriggerPx\":\"$3\",\"tpOrdPx\":\"$4\",\"slTriggerPx\":\"$5\",\"slOrdPx\":\"$6\"}"
}

stop_sell() { # ALGOCLORDID SZ SL
    post /api/v5/trade/order-algo "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"side\":\"sell\",\"ordType\":\"conditional\",\"sz\":\"$2\",\"algoClOrdId\":\"$1\",\"slTriggerPx\":\"$3\",\"slOrdPx\":\"-1\"}"
}

# The BTC detail of the balance: "cashBal frozenBal ordFrozen availBal".
btc() {
    get '/api/v5/account/balance?ccy=BTC'
    jq -r '.data[0].details[0] | "\(.cashBal) \(.frozenBal) \(.ordFrozen) \(.availBal)"' "$T/body"
}

# A probe logged in at the market clock and subscribed to orders, in the background,
# expecting FRAMES frames in all (login and subscribe acks included); waits for the subscribe
# ack. Stop: wait_bg.
probe_bg() { # FRAMES
    "$WS_PROBE" --login --login-ts $((${CLOCK:-$NOW} / 1000)) --send "$SUB_ORDERS" --frames "$1" --seconds 10 \
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

# Waits for the background probe to end; the data rows of its orders pushes go to $T/rows.
wait_bg() {
    wait "$BG" || true
    sed -E 's/^[0-9]+ //' "$T/bg.out" | grep -v '^#' | jq -c -R 'fromjson? // empty' |
        jq -c 'select(.arg.channel == "orders" and .data) | .data[]' >"$T/rows"
}

@test "--help names the new endpoints" {
    run "$FAKE_OKX" --help
    assert_success
    assert_output --partial "/trade/amend-order"
    assert_output --partial "/trade/batch-orders"
    assert_output --partial "/trade/order-algo"
    assert_output --partial "/account/trade-fee"
}

@test "amend-order: a new price and a new size; the orders push carries amendResult 0 and the reqId; at or below the filled size the order is filled; a done order is 51503" {
    start_server --no-rate-limit
    probe_bg 4 # login, subscribe, the order live, the amended order
    post /api/v5/trade/order "$(limit_buy b1 31496 0.3)"
    local ord
    ord=$(jq -r '.data[0].ordId' "$T/body")
    post /api/v5/trade/amend-order '{"instId":"BTC-USDT","clOrdId":"b1","newPx":"31497","reqId":"r1"}'
    check ".code == \"0\" and .msg == \"\" and .data == [{\"clOrdId\":\"b1\",\"ordId\":\"$ord\",\"ts\":\"$NOW\",\"reqId\":\"r1\",\"sCode\":\"0\",\"sMsg\":\"\"}]"
    wait_bg
    check '[.[] | [.state, .px, .amendResult, .reqId]] == [["live","31496","",""],["live","31497","0","r1"]]' "$T/rows"
    check '.[1] | .ordId == "'"$ord"'" and .fillSz == "0" and .uTime == "'"$NOW"'"' "$T/rows"
    # A new size, by ordId; the price stays.
    post /api/v5/trade/amend-order "{\"instId\":\"BTC-USDT\",\"ordId\":\"$ord\",\"newSz\":\"0.31\"}"
    check '.code == "0" and .data[0].reqId == "" and .data[0].clOrdId == "b1"'
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$ord"
    check '.data[0] | .px == "31497" and .sz == "0.31" and .state == "live"'
    # The next bar fills 0.2 at the new price.
    clock $((LAST + 2 * BAR))
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$ord"
    check '.data[0] | .state == "partially_filled" and .accFillSz == "0.2" and .avgPx == "31497"'
    # A size below what filled: the order is filled there.
    probe_bg 3
    post /api/v5/trade/amend-order '{"instId":"BTC-USDT","clOrdId":"b1","newSz":"0.1","reqId":"r2"}'
    check '.code == "0" and .data[0].sCode == "0" and .data[0].reqId == "r2"'
    wait_bg
    check '[.[] | [.state, .accFillSz, .sz, .amendResult, .reqId]] == [["filled","0.2","0.1","0","r2"]]' "$T/rows"
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$ord"
    check '.data[0] | .state == "filled" and .accFillSz == "0.2"'
    clock $((LAST + 3 * BAR))
    get "/api/v5/trade/fills?ordId=$ord"
    check '[.data[].fillSz] == ["0.2"]' # nothing filled after the amend
    # A done order cannot be amended.
    post /api/v5/trade/amend-order '{"instId":"BTC-USDT","clOrdId":"b1","newPx":"31490","reqId":"r3"}'
    check ".code == \"1\" and .msg == \"Operation failed.\" and (.data[0] | .sCode == \"51503\" and .ordId == \"$ord\" and .reqId == \"r3\")"
    grep -q '"path":"/api/v5/trade/amend-order","query":"","status":200,"code":"51503"' "$T/log"
    grep -q '"path":"/api/v5/trade/amend-order","query":"","status":200,"code":"0"' "$T/log"
}

@test "amend-order: OKX's refusals, each with its code; cxlOnFail cancels the order whose amend failed" {
    start_server --no-rate-limit --balance USDT=1000
    post /api/v5/trade/order "$(limit_buy c1 31496 0.01)"
    post /api/v5/trade/order '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"m1","side":"buy","ordType":"market","tgtCcy":"base_ccy","sz":"0.001"}'
    refused() { # CODE BODY
        post /api/v5/trade/amend-order "$2"
        jq -e --arg c "$1" '.code == "1" and .data[0].sCode == $c' "$T/body" >/dev/null ||
            fail "not $1: $2 -> $(cat "$T/body")"
    }
    refused 51500 '{"instId":"BTC-USDT","clOrdId":"c1"}'
    refused 51000 '{"instId":"BTC-USDT","clOrdId":"c1","newPx":"31496.05"}'
    refused 51000 '{"instId":"BTC-USDT","clOrdId":"c1","newSz":"-1"}'
    refused 51000 '{"instId":"BTC-USDT","clOrdId":"c1","newSz":"0.02","reqId":"has-dash"}'
    refused 51121 '{"instId":"BTC-USDT","clOrdId":"c1","newSz":"0.000000001"}'
    refused 50014 '{"clOrdId":"c1","newSz":"0.02"}'
    refused 51001 '{"instId":"DOGE-USDT","clOrdId":"c1","newSz":"0.02"}'
    refused 51503 '{"instId":"BTC-USDT","clOrdId":"nope","newSz":"0.02"}'
    refused 51506 '{"instId":"BTC-USDT","clOrdId":"m1","newSz":"0.002"}'
    # 0.05 x 31496 with the fee is more than the 1000 USDT.
    refused 51008 '{"instId":"BTC-USDT","clOrdId":"c1","newSz":"0.05"}'
    check '.data[0].sMsg | test("Insufficient USDT")'
    refused 51008 '{"instId":"BTC-USDT","clOrdId":"c1","newPx":"99000"}'
    get '/api/v5/trade/order?instId=BTC-USDT&clOrdId=c1'
    check '.data[0] | .state == "live" and .sz == "0.01" and .px == "31496"'
    run private POST /api/v5/trade/amend-order 'not json'
    assert_output 400
    check '.code == "50002"'
    # With cxlOnFail the order goes when its amend fails.
    probe_bg 3
    refused 51008 '{"instId":"BTC-USDT","clOrdId":"c1","newSz":"0.05","reqId":"x1","cxlOnFail":true}'
    wait_bg
    check '[.[] | [.clOrdId, .state, .cancelSource, .amendResult, .reqId]] == [["c1","canceled","0","1","x1"]]' "$T/rows"
}

@test "batch-orders: each item placed as /trade/order places it, in order; code 2 when some fail, 1 when all do; cancel-batch-orders likewise" {
    start_server --no-rate-limit
    post /api/v5/trade/batch-orders "[$(limit_buy a1 31496 0.01),{\"instId\":\"BTC-USDT\",\"tdMode\":\"cross\",\"clOrdId\":\"a2\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":\"31496\",\"sz\":\"0.01\"},$(limit_buy a3 31490 0.02)]"
    check '.code == "2" and .msg == "Bulk operation partially succeeded." and (.data | length) == 3'
    check '[.data[] | [.clOrdId, .sCode, .sMsg, .tag, .ts]] == [["a1","0","Order placed","","'"$NOW"'"],["a2","51000","Parameter tdMode error","","'"$NOW"'"],["a3","0","Order placed","","'"$NOW"'"]]'
    check '(.data[0].ordId | test("^[0-9]{18}$")) and .data[1].ordId == "" and .data[2].ordId > .data[0].ordId'
    local a3
    a3=$(jq -r '.data[2].ordId' "$T/body")
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.orders[] | [.clOrdId, .state]]'"
    assert_output '[["a1","live"],["a3","live"]]'
    # Items are placed one after the other: the second of a clOrdId is a duplicate (51016).
    post /api/v5/trade/batch-orders "[$(limit_buy d1 31496 0.01),$(limit_buy d1 31496 0.01)]"
    check '.code == "2" and [.data[].sCode] == ["0","51016"]'
    post /api/v5/trade/batch-orders '[{"instId":"DOGE-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"1"},{"tdMode":"cash","side":"buy","ordType":"market","sz":"1"}]'
    check '.code == "1" and .msg == "Operation failed." and [.data[].sCode] == ["51001","50014"]'
    post /api/v5/trade/batch-orders "[$(limit_buy e1 31496 0.01)]"
    check '.code == "0" and .msg == "" and [.data[].sCode] == ["0"]'
    # 1 to 20 items.
    local items
    items=$(for i in $(seq 21); do limit_buy "m$i" 31496 0.001; echo; done | jq -s -c .)
    run private POST /api/v5/trade/batch-orders "$items"
    assert_output 200
    check '.code == "51111" and .msg == "Maximum 20 orders can be placed in bulk" and .data == []'
    run private POST /api/v5/trade/batch-orders '[]'
    assert_output 400
    check '.code == "51000"'
    run private POST /api/v5/trade/batch-orders "$(limit_buy o1 31496 0.01)"
    assert_output 400
    check '.code == "50002"'
    run bash -c "curl -s $URL/fake/ledger | jq '.orders | length'"
    assert_output 4
    # Cancels: by clOrdId and by ordId; a missing one fails alone.
    post /api/v5/trade/cancel-batch-orders "[{\"instId\":\"BTC-USDT\",\"clOrdId\":\"a1\"},{\"instId\":\"BTC-USDT\",\"ordId\":\"$a3\"},{\"instId\":\"BTC-USDT\",\"ordId\":\"1\"}]"
    check '.code == "2" and [.data[] | [.clOrdId, .sCode]] == [["a1","0"],["a3","0"],["","51400"]] and .data[1].ordId == "'"$a3"'"'
    get '/api/v5/trade/order?instId=BTC-USDT&clOrdId=a1'
    check '.data[0] | .state == "canceled" and .cancelSource == "1"'
    post /api/v5/trade/cancel-batch-orders '[{"instId":"BTC-USDT","clOrdId":"a1"}]'
    check '.code == "1" and [.data[].sCode] == ["51401"]'
    post /api/v5/trade/cancel-batch-orders '[{"instId":"BTC-USDT","clOrdId":"d1"},{"instId":"BTC-USDT","clOrdId":"e1"}]'
    check '.code == "0" and [.data[].sCode] == ["0","0"]'
    # The log has the batch's code.
    grep -q '"path":"/api/v5/trade/batch-orders","query":"","status":200,"code":"2"' "$T/log"
    grep -q '"path":"/api/v5/trade/cancel-batch-orders","query":"","status":200,"code":"1"' "$T/log"
}

@test "rate limits: batches count orders, 300 per 2 s per instId, apart from /trade/order's 60, except that a batch of one is in the single-order bucket; algo orders 20" {
    start_server
    local batch items one
    batch=$(for i in $(seq 20); do limit_buy "" 31496 0.0001 | jq -c 'del(.clOrdId)'; done | jq -s -c .)
    one="[$(limit_buy "" 31496 0.0001 | jq -c 'del(.clOrdId)')]"
    # 15 batches of 20 fill the bucket; the 16th is refused, and not counted.
    run burst 16 POST /api/v5/trade/batch-orders "$batch"
    assert_output "$(printf '200 %.0s' $(seq 15))429 "
    run private POST /api/v5/trade/batch-orders "[$(limit_buy b1 31496 0.0001),$(limit_buy b2 31496 0.0001)]"
    assert_output 429
    check '.code == "50011" and .msg == "Too Many Requests" and has("data") == false'
    # A batch of one goes to the single-order bucket, which has room: 1 + 59 places.
    run burst 1 POST /api/v5/trade/batch-orders "$one"
    assert_output '200 '
    run burst 60 POST /api/v5/trade/order "$(limit_buy "" 31496 0.0001 | jq -c 'del(.clOrdId)')"
    assert_output "$(printf '200 %.0s' $(seq 59))429 "
    run burst 1 POST /api/v5/trade/batch-orders "$one"
    assert_output '429 '
    run bash -c "curl -s $URL/fake/ledger | jq '.orders | length'"
    assert_output 360
    # order-algo: 20 per 2 s per instId (answered or refused by the endpoint, each counts);
    # the algo queries have their own bucket.
    run burst 21 POST /api/v5/trade/order-algo '{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"trigger","sz":"1"}'
    assert_output "$(printf '200 %.0s' $(seq 20))429 "
    run private GET '/api/v5/trade/orders-algo-pending?ordType=oco'
    assert_output 200
    # trade-fee 5 and positions 10 per 2 s.
    run burst 6 GET '/api/v5/account/trade-fee?instType=SPOT'
    assert_output '200 200 200 200 200 429 '
    run burst 11 GET /api/v5/account/positions
    assert_output "$(printf '200 %.0s' $(seq 10))429 "
}

@test "account/trade-fee: the fake's fees, negative as OKX writes a charge; account/positions: none on a spot cash account" {
    start_server --no-rate-limit
    run private GET '/api/v5/account/trade-fee?instType=SPOT'
    assert_output 200
    run cat "$T/body"
    assert_output "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"category\":\"1\",\"delivery\":\"\",\"exercise\":\"\",\"instType\":\"SPOT\",\"level\":\"Lv1\",\"maker\":\"-0.0008\",\"taker\":\"-0.001\",\"makerU\":\"\",\"takerU\":\"\",\"makerUSDC\":\"\",\"takerUSDC\":\"\",\"ts\":\"$NOW\"}]}"
    clock $((NOW + 5000))
    run private GET '/api/v5/account/trade-fee?instType=SPOT&instId=BTC-USDT'
    assert_output 200
    check '.data[0] | .maker == "-0.0008" and .taker == "-0.001" and .ts == "'$((NOW + 5000))'"'
    run private GET /api/v5/account/trade-fee
    assert_output 400
    check '.code == "50014" and .msg == "Parameter instType can not be empty"'
    run private GET '/api/v5/account/trade-fee?instType=MARGIN'
    assert_output 400
    check '.code == "51000" and .msg == "Parameter instType error"'
    run private GET '/api/v5/account/trade-fee?instType=SPOT&instId=DOGE-USDT'
    assert_output 200
    check '.code == "51001"'
    run private GET /api/v5/account/positions
    assert_output 200
    run cat "$T/body"
    assert_output '{"code":"0","msg":"","data":[]}'
    run private GET '/api/v5/account/positions?instType=SWAP&instId=BTC-USDT-SWAP'
    assert_output 200
    check '.code == "0" and .data == []'
    # Signed requests only.
    run curl -s -o /dev/null -w '%{http_code}' "$URL/api/v5/account/positions"
    assert_output 401
    run curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/v5/account/positions"
    assert_output 405
    grep -q '"path":"/api/v5/account/trade-fee","query":"instType=SPOT&instId=DOGE-USDT","status":200,"code":"51001"' "$T/log"
}

@test "algo oco: placed, it holds the base; a bar through the TP spawns a market child that fills on the next bar, pushed, listed and in the ledger" {
    start_server --no-rate-limit
    buy_base 0.05 $((LAST + 2 * BAR))
    oco oco1 0.03 31550 -1 31450 -1
    check '.code == "0" and .msg == "" and (.data | length) == 1'
    check '.data[0] | .algoClOrdId == "oco1" and .clOrdId == "" and .sCode == "0" and .sMsg == "" and .tag == "" and (.algoId | test("^[0-9]{18}$"))'
    check '.data[0] | keys_unsorted == ["algoId","algoClOrdId","clOrdId","sCode","sMsg","tag"]'
    local algo
    algo=$(jq -r '.data[0].algoId' "$T/body")
    run bash -c "curl -s $URL/fake/ledger | jq -r '[.orders[].ordId] | index(\"$algo\")'"
    assert_output null
    # The algo holds 0.03 of the 0.05 BTC, as a working sell would.
    run btc
    assert_output '0.05 0.03 0.03 0.02'
    post /api/v5/trade/order "$(limit_sell s1 40000 0.021)"
    check '.code == "1" and .data[0].sCode == "51008" and (.data[0].sMsg | test("Insufficient BTC"))'
    post /api/v5/trade/order "$(limit_sell s2 40000 0.02)"
    check '.data[0].sCode == "0"'
    post /api/v5/trade/cancel-order '{"instId":"BTC-USDT","clOrdId":"s2"}'
    get "/api/v5/trade/order-algo?algoId=$algo"
    check '.code == "0" and (.data | length) == 1'
    check ".data[0] == {\"instType\":\"SPOT\",\"instId\":\"BTC-USDT\",\"algoId\":\"$algo\",\"algoClOrdId\":\"oco1\",\"ordType\":\"oco\",\"side\":\"sell\",\"sz\":\"0.03\",\"tdMode\":\"cash\",\"state\":\"live\",\"tpTriggerPx\":\"31550\",\"tpTriggerPxType\":\"last\",\"tpOrdPx\":\"-1\",\"slTriggerPx\":\"31450\",\"slTriggerPxType\":\"last\",\"slOrdPx\":\"-1\",\"actualSz\":\"\",\"actualPx\":\"\",\"actualSide\":\"\",\"triggerTime\":\"\",\"ordId\":\"\",\"ordIdList\":[],\"failCode\":\"\",\"cTime\":\"$CLOCK\",\"uTime\":\"$CLOCK\"}"
    get '/api/v5/trade/orders-algo-pending?ordType=oco'
    check "[.data[].algoId] == [\"$algo\"]"
    # Bar 3's high (31600) reaches the TP: the algo is effective at that bar's close, and its
    # child, a market sell decided at bar 3, fills at bar 4's open less the slippage.
    probe_bg 4 # login, subscribe, the child live, the child filled
    clock $((LAST + 4 * BAR))
    get "/api/v5/trade/order-algo?algoClOrdId=oco1"
    check '.data[0] | .state == "effective" and .actualSide == "tp" and .actualSz == "0.03" and .actualPx == "31550" and .triggerTime == "'$((LAST + 4 * BAR))'" and .uTime == "'$((LAST + 4 * BAR))'" and (.ordId | test("^[0-9]{18}$")) and .ordIdList == [.ordId] and .ordId != "'"$algo"'"'
    local child
    child=$(jq -r '.data[0].ordId' "$T/body")
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$child"
    check ".data[0] | .state == \"live\" and .ordType == \"market\" and .side == \"sell\" and .sz == \"0.03\" and .clOrdId == \"\" and .algoId == \"$algo\" and .algoClOrdId == \"oco1\" and .source == \"7\" and .cTime == \"$((LAST + 4 * BAR))\""
    run btc # the hold moved from the algo to its child
    assert_output '0.05 0.03 0.03 0.02'
    get /api/v5/trade/orders-pending
    check "[.data[].ordId] == [\"$child\"]"
    clock $((LAST + 5 * BAR))
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$child"
    check '.data[0] | .state == "filled" and .accFillSz == "0.03" and .avgPx == "31484.25"'
    get "/api/v5/trade/fills?ordId=$child"
    check '[.data[] | [.clOrdId, .side, .fillSz, .fillPx, .execType]] == [["","sell","0.03","31484.25","T"]]'
    wait_bg
    check "[.[] | [.ordId, .state, .clOrdId, .algoId, .algoClOrdId, .source, .amendResult]] == [[\"$child\",\"live\",\"\",\"$algo\",\"oco1\",\"7\",\"\"],[\"$child\",\"filled\",\"\",\"$algo\",\"oco1\",\"7\",\"\"]]" "$T/rows"
    check '.[1] | .fillSz == "0.03" and .fillPx == "31484.25" and .execType == "T"' "$T/rows"
    run btc
    assert_output '0.02 0 0 0.02'
    get '/api/v5/trade/orders-algo-pending?ordType=oco,conditional'
    check '.code == "0" and .data == []'
    get '/api/v5/trade/orders-algo-history?ordType=oco&state=effective'
    check "[.data[] | [.algoId, .state, .actualSide, .ordId]] == [[\"$algo\",\"effective\",\"tp\",\"$child\"]]"
    get '/api/v5/trade/orders-algo-history?ordType=oco&state=canceled'
    check '.data == []'
    curl -s "$URL/fake/ledger" >"$T/body"
    check ".algos == [{\"algoId\":\"$algo\",\"algoClOrdId\":\"oco1\",\"instId\":\"BTC-USDT\",\"ordType\":\"oco\",\"state\":\"effective\",\"actualSide\":\"tp\",\"ordId\":\"$child\"}]"
    check "[.orders[] | [.clOrdId, .algoId, .state]] == [[\"base\",\"\",\"filled\"],[\"s2\",\"\",\"canceled\"],[\"\",\"$algo\",\"filled\"]]"
    check "[.fills[] | .ordId] | index(\"$child\") != null"
}

@test "algo oco: a bar that reaches both legs triggers the SL (a limit leg's child at its price); a buy mirrors a sell and holds USDT" {
    start_server --no-rate-limit
    buy_base 0.05 $((LAST + 4 * BAR))
    # Placed at bar 4's open: bars 5 and 6 may trigger; bar 6 reaches 31600 and 31400.
    oco both1 0.02 31550 -1 31450 31440
    check '.data[0].sCode == "0"'
    get /api/v5/account/balance
    local usdt
    usdt=$(jq -r '.data[0].details[0].frozenBal' "$T/body")
    oco buy1 0.01 31450 -1 31550 -1 buy
    check '.data[0].sCode == "0"'
    # The buy holds 0.01 at its dearer leg (31550) with the taker fee.
    get /api/v5/account/balance
    check ".data[0].details[0] | .ccy == \"USDT\" and ((((.frozenBal | tonumber) - $usdt - 315.8155) | fabs) < 1e-9)"
    clock $((LAST + 7 * BAR))
    get '/api/v5/trade/order-algo?algoClOrdId=both1'
    check '.data[0] | .state == "effective" and .actualSide == "sl" and .actualPx == "31440" and .triggerTime == "'$((LAST + 7 * BAR))'"'
    local child
    child=$(jq -r '.data[0].ordId' "$T/body")
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$child"
    check '.data[0] | .state == "live" and .ordType == "limit" and .px == "31440" and .side == "sell" and .algoClOrdId == "both1"'
    # The buy's stop is above (high >= 31550) and its take-profit below (low <= 31450): the
    # stop again.
    get '/api/v5/trade/order-algo?algoClOrdId=buy1'
    check '.data[0] | .state == "effective" and .actualSide == "sl" and .actualPx == "31550"'
    local bchild
    bchild=$(jq -r '.data[0].ordId' "$T/body")
    # Bar 7 opens at 31500: the sell limit at 31440 takes there (less the slippage), the buy
    # at the market pays the open plus it.
    clock $((LAST + 8 * BAR))
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$child"
    check '.data[0] | .state == "filled" and .avgPx == "31484.25"'
    get "/api/v5/trade/order?instId=BTC-USDT&ordId=$bchild"
    check '.data[0] | .state == "filled" and .side == "buy" and .ordType == "market" and .avgPx == "31515.75" and .tgtCcy == "base_ccy"'
    run btc
    assert_output '0.04 0 0 0.04'
}

@test "cancel-algos: a live algo is canceled and its hold released; a done or unknown one is 51400; by algoClOrdId too" {
    start_server --no-rate-limit
    buy_base 0.05 $((LAST + 2 * BAR))
    oco x1 0.03 31700 -1 31300 -1
    local a1
    a1=$(jq -r '.data[0].algoId' "$T/body")
    stop_sell c2 0.01 31300
    local a2
    a2=$(jq -r '.data[0].algoId' "$T/body")
    run btc
    assert_output '0.05 0.04 0.04 0.01'
    post /api/v5/trade/cancel-algos "[{\"instId\":\"BTC-USDT\",\"algoId\":\"$a1\"}]"
    check ".code == \"0\" and .msg == \"\" and .data == [{\"algoId\":\"$a1\",\"algoClOrdId\":\"x1\",\"sCode\":\"0\",\"sMsg\":\"\"}]"
    run btc
    assert_output '0.05 0.01 0.01 0.04'
    post /api/v5/trade/cancel-algos "[{\"instId\":\"BTC-USDT\",\"algoId\":\"$a1\"}]"
    check '.code == "1" and .msg == "Operation failed." and .data[0].sCode == "51400"'
    post /api/v5/trade/cancel-algos "[{\"instId\":\"BTC-USDT\",\"algoClOrdId\":\"c2\"},{\"instId\":\"BTC-USDT\",\"algoId\":\"123\"},{\"instId\":\"ETH-USDT\",\"algoId\":\"$a1\"}]"
    check "[.data[] | [.algoId, .algoClOrdId, .sCode]] == [[\"$a2\",\"c2\",\"0\"],[\"123\",\"\",\"51400\"],[\"$a1\",\"\",\"51400\"]] and .code == \"2\""
    run btc
    assert_output '0.05 0 0 0.05'
    get "/api/v5/trade/order-algo?algoId=$a1"
    check '.data[0] | .state == "canceled" and .uTime == "'"$CLOCK"'" and .actualSide == "" and .ordId == ""'
    get '/api/v5/trade/orders-algo-history?ordType=oco,conditional&state=canceled'
    check "[.data[].algoId] == [\"$a2\",\"$a1\"]"
    get '/api/v5/trade/orders-algo-pending?ordType=oco,conditional'
    check '.data == []'
    # What the algos held is all free again.
    post /api/v5/trade/order "$(limit_sell all 40000 0.05)"
    check '.data[0].sCode == "0"'
    # 1 to 10 items.
    local items
    items=$(for i in $(seq 11); do printf '{"instId":"BTC-USDT","algoId":"%s"}\n' "$i"; done | jq -s -c .)
    run private POST /api/v5/trade/cancel-algos "$items"
    assert_output 200
    check '.code == "51406" and .data == []'
    run private POST /api/v5/trade/cancel-algos '[]'
    assert_output 400
    check '.code == "51000"'
    grep -q '"path":"/api/v5/trade/cancel-algos","query":"","status":200,"code":"2"' "$T/log"
}

@test "amend-algos: the SL moves, so a bar that did not reach it now does; sizes, legs and done algos are checked" {
    start_server --no-rate-limit
    buy_base 0.05 $((LAST + 2 * BAR))
    stop_sell s1 0.02 31300
    local a1
    a1=$(jq -r '.data[0].algoId' "$T/body")
    stop_sell s2 0.02 31300
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s1","newSlTriggerPx":"31450","reqId":"m1"}'
    check ".code == \"0\" and .msg == \"\" and .data == [{\"algoId\":\"$a1\",\"algoClOrdId\":\"s1\",\"reqId\":\"m1\",\"sCode\":\"0\",\"sMsg\":\"\"}]"
    get '/api/v5/trade/order-algo?algoClOrdId=s1'
    check '.data[0] | .slTriggerPx == "31450" and .slOrdPx == "-1" and .tpTriggerPx == "" and .state == "live"'
    # s2 may grow by what is free (0.01) and no more.
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s2","newSz":"0.04"}'
    check '.code == "1" and .data[0].sCode == "51008"'
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s2","newSz":"0.03"}'
    check '.code == "0"'
    run btc
    assert_output '0.05 0.05 0.05 0'
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s1","newTpTriggerPx":"31600"}'
    check '.code == "1" and .data[0].sCode == "51000" and .data[0].sMsg == "Parameter newTpTriggerPx error"'
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s1"}'
    check '.data[0].sCode == "51500"'
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s1","newSlTriggerPx":"31450.05"}'
    check '.data[0].sCode == "51000"'
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s1","newSlTriggerPxType":"mark","newSlTriggerPx":"31450"}'
    check '.data[0].sCode == "51415"'
    # Bar 6's low (31400) reaches the amended stop, not the other.
    clock $((LAST + 7 * BAR))
    get '/api/v5/trade/order-algo?algoClOrdId=s1'
    check '.data[0] | .state == "effective" and .actualSide == "sl" and .actualPx == "31450" and .triggerTime == "'$((LAST + 7 * BAR))'"'
    get '/api/v5/trade/order-algo?algoClOrdId=s2'
    check '.data[0] | .state == "live" and .sz == "0.03"'
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoClOrdId":"s1","newSlTriggerPx":"31300"}'
    check '.code == "1" and .data[0].sCode == "51503"'
    post /api/v5/trade/amend-algos '{"instId":"BTC-USDT","algoId":"1","newSz":"0.01"}'
    check '.data[0].sCode == "51503"'
}

@test "order-algo: OKX's refusals; a conditional with both legs keeps the SL only; the lists, newest first, and their parameters" {
    start_server --no-rate-limit
    buy_base 0.05 $((LAST + 2 * BAR))
    local base='"instId":"BTC-USDT","tdMode":"cash","side":"sell","sz":"0.01"'
    refused() { # CODE BODY
        post /api/v5/trade/order-algo "$2"
        jq -e --arg c "$1" '.code == "1" and .data[0].sCode == $c and .data[0].algoId == ""' "$T/body" >/dev/null ||
            fail "not $1: $2 -> $(cat "$T/body")"
    }
    refused 51000 "{$base,\"ordType\":\"trigger\",\"triggerPx\":\"31000\",\"orderPx\":\"-1\"}"
    check '.data[0].sMsg == "Parameter ordType error"'
    refused 50014 "{$base,\"ordType\":\"oco\",\"tpTriggerPx\":\"31600\",\"tpOrdPx\":\"-1\"}"
    refused 50015 "{$base,\"ordType\":\"conditional\"}"
    refused 51000 "{$base,\"ordType\":\"conditional\",\"slTriggerPx\":\"31300.05\",\"slOrdPx\":\"-1\"}"
    refused 51000 "{$base,\"ordType\":\"conditional\",\"slTriggerPx\":\"31300\",\"slOrdPx\":\"31290.55\"}"
    refused 50014 "{$base,\"ordType\":\"conditional\",\"slTriggerPx\":\"31300\"}"
    refused 51415 "{$base,\"ordType\":\"conditional\",\"slTriggerPx\":\"31300\",\"slOrdPx\":\"-1\",\"slTriggerPxType\":\"index\"}"
    refused 51000 '{"instId":"BTC-USDT","tdMode":"cross","side":"sell","sz":"0.01","ordType":"conditional","slTriggerPx":"31300","slOrdPx":"-1"}'
    refused 51001 '{"instId":"DOGE-USDT","tdMode":"cash","side":"sell","sz":"0.01","ordType":"conditional","slTriggerPx":"31300","slOrdPx":"-1"}'
    refused 51020 '{"instId":"BTC-USDT","tdMode":"cash","side":"sell","sz":"0.000001","ordType":"conditional","slTriggerPx":"31300","slOrdPx":"-1"}'
    refused 51121 '{"instId":"BTC-USDT","tdMode":"cash","side":"sell","sz":"0.010000001","ordType":"conditional","slTriggerPx":"31300","slOrdPx":"-1"}'
    refused 51008 '{"instId":"BTC-USDT","tdMode":"cash","side":"sell","sz":"0.06","ordType":"conditional","slTriggerPx":"31300","slOrdPx":"-1"}'
    refused 51000 "{$base,\"ordType\":\"conditional\",\"slTriggerPx\":\"31300\",\"slOrdPx\":\"-1\",\"algoClOrdId\":\"has-dash\"}"
    oco L1 0.01 31700 -1 31300 -1
    local a1 a2 a3
    a1=$(jq -r '.data[0].algoId' "$T/body")
    post /api/v5/trade/order-algo "{$base,\"ordType\":\"conditional\",\"algoClOrdId\":\"L2\",\"tpTriggerPx\":\"31700\",\"tpOrdPx\":\"-1\",\"slTriggerPx\":\"31300\",\"slOrdPx\":\"31290\"}"
    a2=$(jq -r '.data[0].algoId' "$T/body")
    post /api/v5/trade/order-algo "{$base,\"ordType\":\"conditional\",\"algoClOrdId\":\"L3\",\"tpTriggerPx\":\"31700\",\"tpOrdPx\":\"31710\"}"
    a3=$(jq -r '.data[0].algoId' "$T/body")
    # An algoClOrdId is unique among the live algos.
    refused 51065 "{$base,\"ordType\":\"conditional\",\"algoClOrdId\":\"L1\",\"slTriggerPx\":\"31300\",\"slOrdPx\":\"-1\"}"
    get '/api/v5/trade/order-algo?algoClOrdId=L2'
    check '.data[0] | .ordType == "conditional" and .tpTriggerPx == "" and .tpOrdPx == "" and .tpTriggerPxType == "" and .slTriggerPx == "31300" and .slOrdPx == "31290" and .slTriggerPxType == "last"'
    get '/api/v5/trade/orders-algo-pending?ordType=oco,conditional'
    check "[.data[].algoId] == [\"$a3\",\"$a2\",\"$a1\"] and [.data[].algoClOrdId] == [\"L3\",\"L2\",\"L1\"]"
    # The comma percent-encoded, as a strict client sends and signs it, passes as well.
    run private GET '/api/v5/trade/orders-algo-pending?ordType=oco%2Cconditional'
    assert_output 200
    check "[.data[].algoId] == [\"$a3\",\"$a2\",\"$a1\"]"
    get '/api/v5/trade/orders-algo-pending?ordType=conditional&instId=BTC-USDT'
    check "[.data[].algoId] == [\"$a3\",\"$a2\"]"
    get "/api/v5/trade/orders-algo-pending?ordType=oco&algoId=$a2"
    check '.data == []'
    run private GET /api/v5/trade/orders-algo-pending
    assert_output 400
    check '.code == "50014"'
    run private GET '/api/v5/trade/orders-algo-pending?ordType=oco,bogus'
    assert_output 400
    check '.code == "51000"'
    run private GET '/api/v5/trade/order-algo?algoId=1'
    assert_output 200
    check '.code == "51603" and .data == []'
    run private GET /api/v5/trade/order-algo
    assert_output 400
    check '.code == "50015"'
    run private GET '/api/v5/trade/orders-algo-history?ordType=oco'
    assert_output 400
    check '.code == "50015"'
    run private GET '/api/v5/trade/orders-algo-history?ordType=oco&state=live'
    assert_output 400
    check '.code == "51000"'
    get "/api/v5/trade/orders-algo-history?ordType=oco&algoId=$a1"
    check '.code == "0" and .data == []' # still live
    # order-algo takes GET and POST; cancel-algos POST only.
    run curl -s -o /dev/null -w '%{http_code}' "$URL/api/v5/trade/cancel-algos"
    assert_output 405
}

@test "cancel-all-after cancels the regular orders and leaves the algo orders live" {
    start_server --no-rate-limit
    buy_base 0.05 $((LAST + 2 * BAR))
    oco k1 0.03 31700 -1 31300 -1
    local algo
    algo=$(jq -r '.data[0].algoId' "$T/body")
    post /api/v5/trade/order "$(limit_buy k2 31000 0.01)"
    post /api/v5/trade/cancel-all-after '{"timeOut":"10"}'
    check '.data[0].triggerTime == "'$((CLOCK + 10000))'"'
    clock $((CLOCK + BAR))
    get '/api/v5/trade/order?instId=BTC-USDT&clOrdId=k2'
    check '.data[0] | .state == "canceled" and .cancelSource == "20"'
    get '/api/v5/trade/orders-algo-pending?ordType=oco'
    check "[.data[] | [.algoId, .state]] == [[\"$algo\",\"live\"]]"
    run btc
    assert_output '0.05 0.03 0.03 0.02'
}

@test "orders-history: the orders that ended, filled or canceled, newest first; instType is required" {
    start_server --no-rate-limit
    post /api/v5/trade/order "$(limit_buy h1 31000 0.01)"
    post /api/v5/trade/order "$(limit_buy h2 31001 0.01)"
    post /api/v5/trade/cancel-order '{"instId":"BTC-USDT","clOrdId":"h1"}'
    buy_base 0.01 $((LAST + 2 * BAR)) # "base": a market buy, filled
    get '/api/v5/trade/orders-history?instType=SPOT'
    check '.code == "0" and [.data[] | [.clOrdId, .state]] == [["base","filled"],["h1","canceled"]]'
    get '/api/v5/trade/orders-history?instType=SPOT&state=canceled'
    check '[.data[].clOrdId] == ["h1"]'
    get '/api/v5/trade/orders-history?instType=SPOT&instId=ETH-USDT'
    check '.data == []'
    private GET '/api/v5/trade/orders-history' >"$T/status"
    [[ $(cat "$T/status") == 400 ]]
    check '.code == "50014"'
}
