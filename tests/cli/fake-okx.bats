#!/usr/bin/env bats
# fake-okx's contract: OKX v5 REST market endpoints (§2.1), rate limits, faults, log, signals.

bats_require_minimum_version 1.5.0
load helpers

FAKE_OKX=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx/fake-okx
BAR=60000
LAST=1699999980000        # open time of the 1m bar still forming at NOW (minute-aligned)
NOW=$((LAST + 30000))     # the server clock: 30 s into that bar
FIRST=$((LAST - 2999 * BAR)) # 3000 bars up to LAST, then 5 bars in the future

setup_file() {
    export DATA=$BATS_FILE_TMPDIR/data
    mkdir -p "$DATA"
    # 3005 1m bars of BTC-USDT: prices with one decimal, volumes with three.
    awk -v first="$FIRST" -v bar="$BAR" 'BEGIN {
        print "ts_ms,open,high,low,close,volume"
        for (i = 0; i < 3005; i++) {
            o = 30000 + i * 0.5
            printf "%.0f,%.1f,%.1f,%.1f,%.1f,%.3f\n", first + i * bar, o, o + 5, o - 5, o + 0.5, 1 + (i % 7) * 0.25
        }
    }' >"$DATA/BTC-USDT_1m.csv"
    # 10 1H bars of ETH-USDT with two price decimals.
    awk -v last="$LAST" 'BEGIN {
        print "ts_ms,open,high,low,close,volume"
        for (i = 9; i >= 0; i--) {
            o = 2000 + i * 1.25
            printf "%.0f,%.2f,%.2f,%.2f,%.2f,%.4f\n", last - 3600000 * (i + 1), o, o + 3, o - 3, o + 0.25, 10 + i
        }
    }' >"$DATA/ETH-USDT_1H.csv"
}

setup() {
    T=$BATS_TEST_TMPDIR
    : >"$T/pids"
    start_server main
}

# Stops the servers still running; each must exit 0 on SIGTERM, and no server may have
# printed a sanitizer report.
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

# Starts a server named NAME with the common options and ARGS; sets URL and PID. Its log is
# $T/NAME.log and its stderr $T/NAME.err.
start_server() { # NAME ARGS...
    local name=$1
    shift
    rm -f "$T/$name.port" # a server of that name may have run before in this test
    "$FAKE_OKX" --port 0 --port-file "$T/$name.port" --data "$DATA" --now "$NOW" \
        --log "$T/$name.log" "$@" 2>"$T/$name.err" 3>&- &
    PID=$!
    echo "$PID" >>"$T/pids"
    for _ in $(seq 200); do
        [[ -s $T/$name.port ]] && break
        kill -0 "$PID" 2>/dev/null || { cat "$T/$name.err" >&2; return 1; }
        sleep 0.05
    done
    [[ -s $T/$name.port ]] || { echo "fake-okx did not write its port file" >&2; return 1; }
    URL=http://127.0.0.1:$(cat "$T/$name.port")
}

# GET PATH: the body goes to $T/body, the HTTP status to stdout.
get() {
    curl -sS -o "$T/body" -w '%{http_code}' "$URL$1"
}

# Asserts a jq condition on $T/body, printing the body when it fails.
check() {
    if ! jq -e "$1" "$T/body" >/dev/null; then
        echo "jq condition failed: $1" >&2
        head -c 1500 "$T/body" >&2
        return 1
    fi
}

# Requests PATH N times over one keep-alive connection; prints the N statuses on one line.
burst() { # N PATH
    local args=() i
    for ((i = 0; i < $1; i++)); do
        args+=(-o /dev/null "$URL$2")
    done
    curl -s -w '%{http_code} ' "${args[@]}"
}

CANDLES="/api/v5/market/candles?instId=BTC-USDT&bar=1m"
HISTORY="/api/v5/market/history-candles?instId=BTC-USDT&bar=1m"

@test "--help lists the options and exits 0" {
    run "$FAKE_OKX" --help
    assert_success
    assert_output --partial "--port-file FILE"
    assert_output --partial "--fault-50011-every N"
    assert_output --partial "--history-limit N"
}

@test "the port file holds the bound port; SIGINT and SIGTERM stop the server with exit 0" {
    run cat "$T/main.port"
    assert_output --regexp '^[0-9]+$'
    [[ ! -e $T/main.port.tmp ]]
    run get /api/v5/public/time
    assert_output 200
    local rc=0
    kill -INT "$PID"
    wait "$PID" || rc=$?
    assert_equal "$rc" 0
    start_server other
    kill -TERM "$PID"
    wait "$PID" || rc=$?
    assert_equal "$rc" 0
}

@test "bad options and data: usage errors exit 2, a malformed CSV exits 1 naming FILE:LINE" {
    run "$FAKE_OKX" --data "$T/nope"
    assert_failure 2
    assert_output --partial "not a directory"
    run "$FAKE_OKX" --port 70000
    assert_failure 2
    mkdir "$T/bad"
    printf 'ts_ms,open,high,low,close,volume\n1,2,3,1,2,5\nx,2,3,1,2,5\n' >"$T/bad/BTC-USDT_1m.csv"
    run "$FAKE_OKX" --data "$T/bad"
    assert_failure 1
    assert_output --partial "BTC-USDT_1m.csv:3: ts_ms is not an integer"
}

@test "a port in use fails with exit 1" {
    run "$FAKE_OKX" --port "${URL##*:}"
    assert_failure 1
    assert_output --partial "cannot listen on 127.0.0.1:${URL##*:}"
}

@test "public/time: the envelope, with ts = --now as a string" {
    run get /api/v5/public/time
    assert_output 200
    run cat "$T/body"
    assert_output "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":\"$NOW\"}]}"
}

@test "public/instruments: one SPOT entry per instrument, string fields, tickSz from the data" {
    run get "/api/v5/public/instruments?instType=SPOT"
    assert_output 200
    check '.code == "0" and .msg == "" and (.data | length) == 2'
    check '[.data[].instId] == ["BTC-USDT", "ETH-USDT"]'
    check '.data[0] | .instType == "SPOT" and .baseCcy == "BTC" and .quoteCcy == "USDT" and .state == "live"'
    check '.data[0] | .lotSz == "0.00000001" and .minSz == "0.00001" and .tickSz == "0.1"'
    check '.data[1].tickSz == "0.01"'
    check ".data[0].listTime == \"$FIRST\""
    check '[.data[0] | to_entries[] | select(.key != "futureSettlement" and .key != "instIdCode" and .key != "tradeQuoteCcyList") | .value | type] | unique == ["string"]'
    run get "/api/v5/public/instruments?instType=SPOT&instId=ETH-USDT"
    check '[.data[].instId] == ["ETH-USDT"]'
    run get "/api/v5/public/instruments?instType=SWAP"
    check '.code == "0" and .data == []'
}

@test "public/instruments: missing instType is 50014 (HTTP 400), unknown instId 51001" {
    run get /api/v5/public/instruments
    assert_output 400
    check '.code == "50014" and .msg == "Parameter instType can not be empty" and .data == []'
    run get "/api/v5/public/instruments?instType=SPOT&instId=DOGE-USDT"
    assert_output 200
    check '.code == "51001"'
}

@test "candles: 100 rows by default, newest first, 9 strings each, numbers as OKX writes them" {
    run get "$CANDLES"
    assert_output 200
    check '.code == "0" and .msg == "" and (.data | length) == 100'
    check 'all(.data[]; length == 9 and all(.[]; type == "string"))'
    check '[.data[][0] | tonumber] as $t | $t == ($t | sort | reverse)'
    check "[.data[][0] | tonumber] as \$t | all(range(1; 100); \$t[. - 1] - \$t[.] == $BAR)"
    # Bar 2999: o 31499.5, c 31500.0, vol 1.750; volCcy = volCcyQuote = vol × close.
    check ".data[0] == [\"$LAST\", \"31499.5\", \"31504.5\", \"31494.5\", \"31500.0\", \"1.750\", \"55125\", \"55125\", \"0\"]"
}

@test "candles: bars after --now are not served; the forming bar has confirm 0, closed ones 1" {
    run get "$CANDLES&limit=300"
    check ".data[0][0] == \"$LAST\" and .data[0][8] == \"0\""
    check '[.data[1:][][8]] | unique == ["1"]'
    run get "$HISTORY&before=$((LAST - 1))"
    check ".data == [.data[0]] and .data[0][0] == \"$LAST\""
}

@test "candles: after is exclusive, the bar exactly at after is not returned" {
    local after=$((LAST - 10 * BAR))
    run get "$CANDLES&after=$after&limit=5"
    check "(.data | length) == 5 and .data[0][0] == \"$((after - BAR))\""
    check "all(.data[]; (.[0] | tonumber) < $after)"
}

@test "candles: with after and before, the open interval between them, newest first" {
    local before=$((LAST - 20 * BAR)) after=$((LAST - 10 * BAR))
    run get "$CANDLES&before=$before&after=$after"
    check "(.data | length) == 9"
    check ".data[0][0] == \"$((after - BAR))\" and .data[8][0] == \"$((before + BAR))\""
    # ccxt's forward walk: before = since - 1 and after = since + limit × bar gives limit bars.
    local since=$((LAST - 50 * BAR))
    run get "$CANDLES&before=$((since - 1))&after=$((since + 10 * BAR))&limit=10"
    check "(.data | length) == 10 and .data[9][0] == \"$since\""
}

@test "candles: before alone returns the latest bars, not the ones just after before" {
    local before=$((LAST - 500 * BAR))
    run get "$CANDLES&before=$before&limit=3"
    check "[.data[][0]] == [\"$LAST\", \"$((LAST - BAR))\", \"$((LAST - 2 * BAR))\"]"
    run get "$CANDLES&before=$((LAST - 2 * BAR))"
    check "(.data | length) == 2"
}

@test "candles: limit is clamped to 300, history-candles to --history-limit" {
    run get "$CANDLES&limit=1000"
    check '(.data | length) == 300'
    run get "$CANDLES&limit=7"
    check '(.data | length) == 7'
    run get "$HISTORY&limit=1000"
    check '(.data | length) == 300'
    start_server short --history-limit 100
    run get "$HISTORY&limit=300"
    check '(.data | length) == 100'
    run get "$CANDLES&limit=300"
    check '(.data | length) == 300'
    run get "$CANDLES&limit=0"
    assert_output 400
    check '.code == "51000" and .msg == "Parameter limit error"'
}

@test "candles serves the last 1440 bars only; history-candles serves all of them" {
    local oldest=$((LAST - 1439 * BAR))
    run get "$CANDLES&after=$((oldest + 1))"
    check "[.data[][0]] == [\"$oldest\"]"
    run get "$CANDLES&after=$oldest"
    assert_output 200
    check '.code == "0" and .data == []'
    run get "$HISTORY&after=$oldest&limit=300"
    check "(.data | length) == 300 and .data[0][0] == \"$((oldest - BAR))\""
    run get "$HISTORY&after=$((FIRST + 1))"
    check "[.data[][0]] == [\"$FIRST\"] and .data[0][8] == \"1\""
}

@test "candles: bar names are case-sensitive (51000, HTTP 400); a bar without data is empty" {
    run get "/api/v5/market/candles?instId=BTC-USDT&bar=1h"
    assert_output 400
    check '.code == "51000" and .msg == "Parameter bar error" and .data == []'
    run get "/api/v5/market/candles?instId=BTC-USDT&bar=1s"
    assert_output 400
    run get "/api/v5/market/history-candles?instId=BTC-USDT&bar=1s"
    assert_output 200
    run get "/api/v5/market/candles?instId=BTC-USDT&bar=1H"
    check '.code == "0" and .data == []'
    run get "/api/v5/market/candles?instId=ETH-USDT&bar=1H&limit=3"
    check ".data[0] == [\"$((LAST - 3600000))\", \"2000.00\", \"2003.00\", \"1997.00\", \"2000.25\", \"10.0000\", \"20002.5\", \"20002.5\", \"1\"]"
}

@test "candles: unknown instId is 51001, missing instId 50014 (HTTP 400)" {
    run get "/api/v5/market/candles?instId=DOGE-USDT&bar=1m"
    assert_output 200
    check '.code == "51001" and .msg == "Instrument ID does not exist" and .data == []'
    run get "/api/v5/market/candles?bar=1m"
    assert_output 400
    check '.code == "50014"'
}

@test "unknown paths are 404 and other methods 405, and the connection is kept alive" {
    run get /api/v5/market/nope
    assert_output 404
    run curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$URL$CANDLES"
    assert_output 405
    run curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
        "$URL/api/v5/public/time" "$URL$CANDLES" "$URL/api/v5/market/nope"
    assert_output "1 0 0 "
}

@test "rate limit: 40 candles requests in 2 s pass, the 41st gets 429 with code 50011" {
    run burst 40 "$CANDLES&limit=1"
    assert_output "$(printf '200 %.0s' $(seq 40))"
    run get "$CANDLES&limit=1"
    assert_output 429
    run cat "$T/body"
    assert_output '{"msg":"Too Many Requests","code":"50011"}'
    # The limit is per endpoint.
    run get /api/v5/public/time
    assert_output 200
}

@test "rate limit: the 2 s window slides, and refused requests do not count in it" {
    run burst 40 "$CANDLES&limit=1"
    assert_output "$(printf '200 %.0s' $(seq 40))"
    sleep 1.5
    run burst 10 "$CANDLES&limit=1"
    assert_output "$(printf '429 %.0s' $(seq 10))"
    # The 40 admitted requests are now over 2 s old; the 10 refused ones are not.
    sleep 0.7
    run burst 40 "$CANDLES&limit=1"
    assert_output "$(printf '200 %.0s' $(seq 40))"
}

@test "rate limit: history-candles allows 20 per 2 s; --no-rate-limit lifts the limits" {
    run burst 21 "$HISTORY&limit=1"
    assert_output "$(printf '200 %.0s' $(seq 20))429 "
    start_server free --no-rate-limit
    run burst 60 "$CANDLES&limit=1"
    assert_output "$(printf '200 %.0s' $(seq 60))"
}

@test "--fault-50011-every N answers every Nth request with 429 and code 50011" {
    start_server faulty --fault-50011-every 3
    run burst 6 /api/v5/public/time
    assert_output "200 200 429 200 200 429 "
    run get /api/v5/public/time
    run get /api/v5/public/time
    run get /api/v5/public/time
    assert_output 429
    check '.code == "50011" and .msg == "Too Many Requests" and (has("data") | not)'
}

@test "--fault-500-every N answers every Nth request with 500 and code 50026" {
    start_server faulty --fault-500-every 2
    run burst 4 "$CANDLES&limit=1"
    assert_output "200 500 200 500 "
    run get "$CANDLES&limit=1"
    run get "$CANDLES&limit=1"
    assert_output 500
    run cat "$T/body"
    assert_output '{"code":"50026","msg":"System error","data":[]}'
}

@test "--fault-delay-ms delays every answer" {
    start_server slow --fault-delay-ms 400
    run curl -s -o /dev/null -w '%{http_code} %{time_total}' "$URL/api/v5/public/time"
    assert_output --regexp '^200 '
    [[ $(awk '{ print ($2 >= 0.4) }' <<<"$output") == 1 ]]
}

@test "--log writes one JSON line per request: t_ms, method, path, query, status, code, mono_us" {
    run get "$CANDLES&limit=2"
    run get "/api/v5/market/candles?instId=BTC-USDT&bar=1d"
    run get /api/v5/nope
    run wc -l <"$T/main.log"
    assert_output 3
    run jq -c 'keys_unsorted' "$T/main.log"
    assert_output "$(printf '["t_ms","method","path","query","status","code","mono_us"]\n%.0s' 1 2 3)"
    # mono_us: the arrival on CLOCK_MONOTONIC, which other processes read too.
    run jq -s '.[0].mono_us > 0 and .[0].mono_us <= .[2].mono_us' "$T/main.log"
    assert_output true
    run jq -c '[.method, .path, .query, .status, .code]' "$T/main.log"
    assert_line --index 0 '["GET","/api/v5/market/candles","instId=BTC-USDT&bar=1m&limit=2",200,"0"]'
    assert_line --index 1 '["GET","/api/v5/market/candles","instId=BTC-USDT&bar=1d",400,"51000"]'
    assert_line --index 2 '["GET","/api/v5/nope","",404,"50000"]'
    run jq -s -e '[.[].t_ms] | all(type == "number") and . == sort' "$T/main.log"
    assert_success
}

# --- the private side: OKX's signature, checked for real (protocol §3) ----------------------

KEY=985d5b66-57ce-40fb-b714-afc0b9787083
SECRET=chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO
PASSPHRASE=1234567890

# The OK-ACCESS-TIMESTAMP of ms ("2023-11-14T22:13:30.000Z").
access_ts() {
    printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000))
}

# private METHOD PATH [BODY] [header overrides as NAME=VALUE...]: a request signed here with
# openssl (independently of lib/okx's signer), at the server's clock (CLOCK once a test moved
# it, else NOW); the body goes to $T/body, the HTTP status to stdout.
private() {
    local method=$1 path=$2 body=${3:-}
    shift 3 || shift $#
    local ts key=$KEY pass=$PASSPHRASE secret=$SECRET sim=1 sign=
    ts=$(access_ts "${CLOCK:-$NOW}")
    for kv in "$@"; do
        case $kv in
        ts=*) ts=${kv#ts=} ;;
        key=*) key=${kv#key=} ;;
        pass=*) pass=${kv#pass=} ;;
        secret=*) secret=${kv#secret=} ;;
        sim=*) sim=${kv#sim=} ;;
        sign=*) sign=${kv#sign=} ;;
        esac
    done
    [[ -n $sign ]] || sign=$(printf '%s' "$ts$method$path$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64)
    local sign_header="OK-ACCESS-SIGN: $sign"
    [[ $sign != EMPTY ]] || sign_header="OK-ACCESS-SIGN;" # curl's form of an empty header
    local args=(-sS -o "$T/body" -w '%{http_code}' -X "$method" "$URL$path"
        -H "OK-ACCESS-KEY: $key" -H "$sign_header" -H "OK-ACCESS-TIMESTAMP: $ts"
        -H "OK-ACCESS-PASSPHRASE: $pass" -H "Content-Type: application/json")
    [[ $sim == none ]] || args+=(-H "x-simulated-trading: $sim")
    [[ -z $body ]] || args+=(--data-binary "$body")
    curl "${args[@]}"
}

@test "account/balance: a request signed as OKX signs it gets the balances, ccy= keeps some" {
    kill -TERM "$PID"
    wait "$PID"
    start_server bal --balance USDT=2500.5
    run private GET /api/v5/account/balance
    assert_output 200
    check '.code == "0" and (.data | length) == 1'
    check '[.data[0].details[] | [.ccy, .availBal, .cashBal, .eq, .frozenBal]] == [["USDT","2500.5","2500.5","2500.5","0"]]'
    check ".data[0].uTime == \"$NOW\""
    run private GET '/api/v5/account/balance?ccy=BTC'
    assert_output 200
    check '.data[0].details == []'
    # The protocol notes' vector V1, at its own time: the signature lib/okx and OKX agree on.
    kill -TERM "$PID"
    wait "$PID"
    NOW=1607418537715 start_server v1
    run private GET /api/v5/account/balance '' ts=2020-12-08T09:08:57.715Z sign=PJ61e1nb2F2Qd7D8SPiaIcx2gjdELc+o0ygzre9z33k=
    assert_output 200
}

@test "private requests: each fault of the headers gets OKX's code, with HTTP 401, and secrets stay out of the log" {
    kill -TERM "$PID"
    wait "$PID"
    start_server main --no-rate-limit
    run private GET /api/v5/account/balance '' key=
    assert_output 401
    check '.code == "50103" and .data == []'
    run private GET /api/v5/account/balance '' pass=
    check '.code == "50104"'
    run private GET /api/v5/account/balance '' sign=EMPTY
    check '.code == "50106"'
    run private GET /api/v5/account/balance '' ts=
    assert_output 401
    check '.code == "50107"'
    run private GET /api/v5/account/balance '' ts=1607418537715
    check '.code == "50112"'
    run private GET /api/v5/account/balance '' ts=2023-11-14T22:13:30Z
    check '.code == "50112"'
    # 31 s from the server's clock either way is stale; 29 s is not.
    run private GET /api/v5/account/balance '' "ts=$(access_ts $((NOW - 31000)))"
    assert_output 401
    check '.code == "50102" and .msg == "Timestamp request expired"'
    run private GET /api/v5/account/balance '' "ts=$(access_ts $((NOW + 31000)))"
    check '.code == "50102"'
    run private GET /api/v5/account/balance '' "ts=$(access_ts $((NOW - 29000)))"
    assert_output 200
    run private GET /api/v5/account/balance '' key=00000000-57ce-40fb-b714-afc0b9787083
    check '.code == "50111"'
    run private GET /api/v5/account/balance '' sim=none
    assert_output 401
    check '.code == "50101"'
    run private GET /api/v5/account/balance '' pass=123456789
    check '.code == "50105"'
    run private GET /api/v5/account/balance '' secret=not-the-secret
    assert_output 401
    check '.code == "50113"'
    # The query is signed too: a signature of the path alone does not pass with a query.
    run private GET '/api/v5/account/balance?ccy=BTC' '' "sign=$(printf '%s' "$(access_ts "$NOW")GET/api/v5/account/balance" |
        openssl dgst -sha256 -hmac "$SECRET" -binary | base64)"
    check '.code == "50113"'
    # A live key refuses the demo header.
    kill -TERM "$PID"
    wait "$PID"
    start_server live --live-key --no-rate-limit
    run private GET /api/v5/account/balance '' sim=none
    assert_output 200
    run private GET /api/v5/account/balance
    check '.code == "50101"'
    ! grep -F -e "$SECRET" -e "$PASSPHRASE" -e "$KEY" "$T"/*.log "$T"/*.err || fail "a credential reached a log"
    grep -q '"path":"/api/v5/account/balance"' "$T/main.log"
}

# place BODY: a signed POST /api/v5/trade/order; the answer in $T/body.
place() {
    private POST /api/v5/trade/order "$1" >/dev/null
}

@test "trade: orders fill by execute's paper rules as the clock passes the bars; details, fills and balance follow" {
    kill -TERM "$PID"
    wait "$PID"
    start_server trade --no-rate-limit
    # The bar after NOW opens at LAST + 1 min: o 31500, h 31505, l 31495, volume 2.
    place '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"b1","side":"buy","ordType":"limit","px":"31496","sz":"0.01"}'
    check '.code == "0" and .data[0].sCode == "0" and .data[0].clOrdId == "b1" and (.data[0].ordId | test("^[0-9]{18}$"))'
    local b1
    b1=$(jq -r '.data[0].ordId' "$T/body")
    place '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"m1","side":"buy","ordType":"market","tgtCcy":"base_ccy","sz":"0.002"}'
    check '.data[0].sCode == "0"'
    place '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"far","side":"buy","ordType":"limit","px":"20000","sz":"0.01"}'
    # Nothing fills before the bar after the decision has closed.
    private GET "/api/v5/trade/order?instId=BTC-USDT&ordId=$b1" >/dev/null
    check '.data[0] | .state == "live" and .accFillSz == "0" and .avgPx == "" and .px == "31496" and .sz == "0.01"'
    private GET /api/v5/trade/orders-pending >/dev/null
    check '[.data[].clOrdId] == ["far","m1","b1"]' # a market order too waits for the next bar
    # USDT held for the open buys: 0.01 x 31496, 0.002 at the last close (31499.5) and 0.01 x
    # 20000, with the taker fee (0.1%).
    private GET /api/v5/account/balance >/dev/null
    check '.data[0].details[0] | .cashBal == "10000" and (.frozenBal | tonumber | . > 578.53 and . < 578.54)'
    CLOCK=$((LAST + 120000))
    run curl -sS -X POST "$URL/fake/clock" --data "{\"now\": $CLOCK}"
    [[ $output == *'"code":"0"'* ]] || fail "$output"
    # The limit traded through by more than a tick: a maker fill at its price; the market
    # order took at the open plus the slippage (0.05%).
    private GET "/api/v5/trade/order?instId=BTC-USDT&clOrdId=b1" >/dev/null
    check '.data[0] | .state == "filled" and .accFillSz == "0.01" and .avgPx == "31496" and .fee == "-0.251968" and .feeCcy == "USDT"'
    private GET '/api/v5/trade/fills?instId=BTC-USDT' >/dev/null
    # Newest first: the market order took at the open, then the limit filled.
    check '[.data[] | [.clOrdId, .execType, .fillPx, .fillSz, .side]] == [["b1","M","31496","0.01","buy"],["m1","T","31515.75","0.002","buy"]]'
    private GET /api/v5/account/balance >/dev/null
    check '[.data[0].details[] | .ccy] == ["USDT","BTC"]'
    check '.data[0].details[1] | .cashBal == "0.012" and .availBal == "0.012"'
    # 10000 - 314.96 - 0.251968 (maker fee) - 63.0315 - 0.0630315 (taker fee)
    check '.data[0].details[0].cashBal | tonumber | . > 9621.69 and . < 9621.70'
    # Cancels: the working one goes, a filled one and a canceled one are refused by their codes.
    private POST /api/v5/trade/cancel-order '{"instId":"BTC-USDT","clOrdId":"far"}' >/dev/null
    check '.code == "0" and .data[0].sCode == "0"'
    private GET "/api/v5/trade/order?instId=BTC-USDT&clOrdId=far" >/dev/null
    check '.data[0].state == "canceled"'
    private POST /api/v5/trade/cancel-order '{"instId":"BTC-USDT","clOrdId":"far"}' >/dev/null
    check '.code == "1" and .data[0].sCode == "51401"'
    private POST /api/v5/trade/cancel-order "{\"instId\":\"BTC-USDT\",\"ordId\":\"$b1\"}" >/dev/null
    check '.data[0].sCode == "51402"'
    private POST /api/v5/trade/cancel-order '{"instId":"BTC-USDT","ordId":"1"}' >/dev/null
    check '.data[0].sCode == "51400"'
    private GET /api/v5/trade/orders-pending >/dev/null
    check '.data == []'
    private GET "/api/v5/trade/order?instId=BTC-USDT&clOrdId=nothing" >/dev/null
    check '.code == "51603"'
    # A sell of what was bought: held until it fills.
    place '{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"s1","side":"sell","ordType":"limit","px":"40000","sz":"0.012"}'
    check '.data[0].sCode == "0"'
    private GET /api/v5/account/balance >/dev/null
    check '.data[0].details[1] | .frozenBal == "0.012" and .availBal == "0"'
}

@test "trade: OKX's rejections of bad orders, each with its code" {
    kill -TERM "$PID"
    wait "$PID"
    start_server rej --no-rate-limit --balance USDT=1000
    local base='"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"31496"'
    rejects() { # CODE BODY
        place "$2"
        jq -e --arg c "$1" '.code == "1" and .data[0].sCode == $c and .data[0].ordId == ""' "$T/body" >/dev/null ||
            fail "not $1: $2 -> $(cat "$T/body")"
    }
    rejects 50014 '{"tdMode":"cash","side":"buy","ordType":"market","sz":"1"}'
    rejects 51001 '{"instId":"DOGE-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"1"}'
    rejects 51000 "{$base,\"sz\":\"0.01\",\"tdMode\":\"cross\"}"
    rejects 51000 "{$base,\"sz\":\"0.01\",\"clOrdId\":\"has-hyphen\"}"
    rejects 51000 "{$base,\"sz\":\"0.01\",\"clOrdId\":\"a23456789012345678901234567890123\"}"
    rejects 51000 "{$base,\"sz\":\"-1\"}"
    rejects 51000 '{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"31496.05","sz":"0.01"}'
    rejects 51000 '{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"0.01"}'
    rejects 51020 "{$base,\"sz\":\"0.000001\"}"
    rejects 51121 "{$base,\"sz\":\"0.000010001\"}"
    rejects 51008 "{$base,\"sz\":\"0.1\"}"
    rejects 51008 '{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"limit","px":"31496","sz":"0.01"}'
    place "{$base,\"sz\":\"0.01\",\"clOrdId\":\"dup\"}"
    check '.data[0].sCode == "0"'
    rejects 51016 "{$base,\"sz\":\"0.01\",\"clOrdId\":\"dup\"}"
    run private POST /api/v5/trade/order 'not json'
    assert_output 400
    check '.code == "50002"'
    # A signature over another body does not pass.
    run private POST /api/v5/trade/order "{$base,\"sz\":\"0.01\"}" "sign=$(printf '%s' "$(access_ts "$NOW")POST/api/v5/trade/order{}" |
        openssl dgst -sha256 -hmac "$SECRET" -binary | base64)"
    assert_output 401
    check '.code == "50113"'
    # The clock only moves forward.
    run curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/fake/clock" --data "{\"now\": $((NOW - 1))}"
    assert_output 400
}
