#!/usr/bin/env bats
# execute --mode demo and live against tests/fake-okx: orders journaled before they are sent,
# sized and priced by OKX's rules; restarts that never place twice and never lose a fill;
# reconciliation; the dead-man switch; the gates of live mode; keys kept out of everything.

bats_require_minimum_version 1.5.0
load helpers

FAKE_OKX=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx/fake-okx
NOW=1617321600000 # 2021-04-02T00:00Z: the samples' first day has closed
# The protocol notes' demo key, which fake-okx accepts by default.
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
    # The REST path: orders placed and polled by REST (tests/cli/execute-ws.bats has the
    # private WebSocket's; the pipeline test and the key test below use both).
    export OKX_WS_PRIVATE_URL=off
    start_fake main
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

start_fake() { # NAME ARGS...
    local name=$1
    shift
    rm -f "$T/$name.port"
    "$FAKE_OKX" --port 0 --port-file "$T/$name.port" --data "$SAMPLES" --now "$NOW" \
        --ws-interval-ms 0 --log "$T/$name.log" "$@" 2>"$T/$name.err" 3>&- &
    echo $! >>"$T/pids"
    for _ in $(seq 200); do
        [[ -s $T/$name.port ]] && break
        sleep 0.05
    done
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

demo() { # ARGS... (stdin: the input)
    execute --mode demo --rest-url "$URL" --run r1 "$@"
}

clock() { # MS: the fake's market clock moves there (orders fill on the bars it passes)
    curl -s -X POST "$URL/fake/clock" -d "{\"now\":$1}" >/dev/null
}

ledger() {
    curl -s "$URL/fake/ledger"
}

@test "demo: intents become OKX orders, journaled with OKX's ordId, priced and sized by the instrument's rules" {
    input '{"leg":"m"}' '{"leg":"l","ord_type":"limit","px":50000.123,"sz":0.0123456789}' >"$T/in"
    demo <"$T/in" >"$T/out" 2>"$T/err"
    # The start line: mode, endpoint, the key redacted, the account, the limits.
    grep -q "execute: demo on $URL, key 985d…7083: cash 10000 USDT" "$T/err"
    # The account's fee rates as OKX states them (fake-okx: 0.08% maker, 0.1% taker).
    grep -q "; fees Lv1 maker 0.0008, taker 0.001; orders by REST$" "$T/err"
    run jq -c 'select(.type == "order") | [.leg, .state, .mode, .px, .sz, (.ord_id | length > 0)]' "$T/out"
    assert_output '["m","live","demo",null,0.01,true]
["l","live","demo",50000.12,0.01234567,true]'
    # Every line of the input came through, in order.
    grep -v '"type":"\(order\|fill\|position\|portfolio\)"' "$T/out" | cmp - "$T/in"
    # The journal holds OKX's ids; the ledger holds exactly these two orders.
    run sqlite3 "$T/s.db" "SELECT leg, state, mode, ord_id IS NOT NULL FROM orders ORDER BY leg"
    assert_output $'l|live|demo|1\nm|live|demo|1'
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.orders[] | [.clOrdId, .side, .state]] | length'"
    assert_output 2
}

@test "the demo pipeline end to end: okx-stream | select-strategy | risk-guard | execute --mode demo" {
    unset OKX_WS_PRIVATE_URL # orders over the private WebSocket, as by default
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-03 |
        select-strategy | risk-guard --store "$T/s.db" --run d |
        execute --mode demo --rest-url "$URL" --store "$T/s.db" --run d >"$T/out" 2>"$T/err"
    grep -q 'orders by the private WebSocket' "$T/err"
    # risk-guard decided against the account execute holds on OKX at every barrier.
    [[ $(jq -s '[.[] | select(.type == "sync")] | length' "$T/out") -gt 0 ]]
    n=$(jq -s '[.[] | select(.type == "order" and .mode == "demo" and .ord_id != null)] | map(.cl_ord_id) | unique | length' "$T/out")
    [[ $n -gt 0 ]] || { cat "$T/err"; false; }
    # Every order of the ledger is the pipeline's, journaled with its ordId.
    diff <(ledger | jq -r '.orders[].clOrdId' | sort) \
        <(sqlite3 "$T/s.db" "SELECT cl_ord_id FROM orders WHERE run_id = 'd' AND ord_id IS NOT NULL" | sort)
    ! grep -q '"code":"50011"' "$T/main.log"
}

@test "a restart on the same input sends nothing again and adopts the fills OKX made meanwhile, once" {
    input '{"leg":"m"}' '{"leg":"l","ord_type":"limit","px":40000}' >"$T/in"
    demo <"$T/in" >"$T/out1" 2>"$T/err1"
    clock $((NOW + 900000)) # three bars: the market buy fills at the next open
    demo <"$T/in" >"$T/out2" 2>"$T/err2"
    demo <"$T/in" >"$T/out3" 2>"$T/err3"
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/order"' "$T/main.log") == 2 ]]
    run jq -c 'select(.type == "fill") | [.leg, .sz, .liquidity, .mode]' "$T/out2"
    assert_output '["m",0.01,"taker","demo"]'
    run jq -c 'select(.type == "order") | [.leg, .state, .filled_sz]' "$T/out2"
    assert_output '["m","filled",0.01]'
    # The third run has nothing new to say about the orders.
    run jq -c 'select(.type == "order" or .type == "fill")' "$T/out3"
    assert_output ''
    # The store and the ledger agree fill by fill; the position and the cash follow from it.
    diff <(ledger | jq -r '.fills[].tradeId' | sort) \
        <(sqlite3 "$T/s.db" "SELECT trade_id FROM fills WHERE run_id = 'r1'" | sort)
    grep -q 'journal 2 orders (1 working)' "$T/err3"
    # The store adds up: positions from the fills, fills owned by orders, nothing from OKX.
    audit reconcile --run r1 --store "$T/s.db"
    run jq -c 'select(.type == "position") | [.inst, .sz]' "$T/out2"
    assert_output '["BTC-USDT",0.01]'
}

@test "an entry's take-profit and stop ladder is held at OKX as algo orders: a rung triggers and sells its share, the other's stop moves to the entry's price" {
    input '{"tp":[{"px":58800,"frac":0.5},{"px":59500,"frac":0.5}],"sl":{"px":58000}}' >"$T/in"
    demo <"$T/in" >"$T/out1" 2>"$T/err1"
    clock $((NOW + 900000)) # the market buy fills at the next open
    demo <"$T/in" >"$T/out2" 2>"$T/err2"
    # What the entry bought is protected at OKX: one oco per rung (its take-profit and the
    # stop), half of the 0.01 each, so that together they never sell more than was bought.
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.algos[] | [.algoClOrdId[12:], .ordType, .state]]'"
    assert_output '[["tp1","oco","live"],["tp2","oco","live"]]'
    run jq -c 'select(.type == "order" and (.leg | startswith("b-"))) | [.leg, .side, .ord_type, .px, .sz, .state]' "$T/out2"
    assert_output '["b-tp1","sell","limit",58800,0.005,"live"]
["b-tp2","sell","limit",59500,0.005,"live"]'
    # The price trades through the first rung: OKX triggers it and its order sells the share.
    clock $((NOW + 4800000))
    demo <"$T/in" >"$T/out3" 2>"$T/err3"
    run jq -c 'select(.type == "fill") | [.leg, .side, .px, .sz]' "$T/out3"
    assert_output '["b-tp1","sell",58800,0.005]'
    jq -s -e 'any(.[]; .type == "order" and .leg == "b-tp1" and .reason == "take-profit triggered at OKX")' "$T/out3" >/dev/null
    run jq -c 'select(.type == "order" and .leg == "b-tp1") | .state' "$T/out3"
    assert_line '"filled"'
    # The other rung's stop now sits at the entry's price (break-even after the first): one
    # amend, and its spec in the store says so (below).
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/amend-algos"' "$T/main.log") == 1 ]]
    # Another run: nothing new, nothing sent twice; the store adds up.
    demo <"$T/in" >"$T/out4" 2>"$T/err4"
    run jq -c 'select(.type == "order" or .type == "fill")' "$T/out4"
    assert_output ''
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/order-algo"' "$T/main.log") == 2 ]]
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/amend-algos"' "$T/main.log") == 1 ]]
    audit reconcile --run r1 --store "$T/s.db"
    run sqlite3 "$T/s.db" "SELECT substr(cl_ord_id, 13), json_extract(spec, '$.kind'), json_extract(spec, '$.sl') FROM order_exits WHERE run_id = 'r1' ORDER BY cl_ord_id"
    assert_output $'||58000.0\ntp1|oco|58000.0\ntp2|oco|58649.34'
}

@test "an entry that fills in parts: its exits are placed on the first part and grown (amend-algos) as the rest fills" {
    start_fake big --balance USDT=5000000
    # 30 BTC at most 59000: a bar fills at most a tenth of its volume (17.8, then 12.2).
    input '{"ord_type":"limit","px":59000,"sz":30,"tp":[{"px":60000,"frac":0.5},{"px":61000,"frac":0.5}],"sl":{"px":57000}}' >"$T/in"
    demo <"$T/in" >"$T/out1" 2>"$T/err1"
    clock $((NOW + 600000))
    demo <"$T/in" >"$T/out2" 2>"$T/err2"
    run jq -c 'select(.type == "order") | [.leg, .state, .sz, .filled_sz]' "$T/out2"
    assert_output '["b","partially_filled",30,17.8002807]
["b-tp1","live",8.90014035,0]
["b-tp2","live",8.90014035,0]'
    clock $((NOW + 900000))
    demo <"$T/in" >"$T/out3" 2>"$T/err3"
    run jq -c 'select(.type == "order") | [.leg, .state, .sz]' "$T/out3"
    assert_output '["b","filled",30]
["b-tp1","live",15]
["b-tp2","live",15]'
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/amend-algos"' "$T/big.log") == 2 ]]
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/order-algo"' "$T/big.log") == 2 ]]
    # What the exits hold is what the entry bought, no more: the account's BTC is all held.
    run bash -c "curl -s $URL/fake/ledger | jq -c '[.algos[] | .state]'"
    assert_output '["live","live"]'
}

@test "live refuses an entry with a trailing stop (not sent to OKX by this build); demo places it with a warning" {
    input '{"tp":[{"px":60000,"frac":1}],"trail":{"offset_frac":0.02}}' >"$T/in"
    demo <"$T/in" >"$T/out" 2>"$T/err"
    grep -q "trailing stop is not sent to OKX" "$T/err"
    run jq -c 'select(.type == "order") | [.leg, .state]' "$T/out"
    assert_output '["b","live"]'
    # Live: refused before anything is sent, saying what to change.
    mkdir -p "$XDG_CONFIG_HOME/okxkit"
    printf '[execute]\nlive = true\n[risk]\nmax_position_notional = 2000\n' >"$XDG_CONFIG_HOME/okxkit/config.toml"
    start_fake live --live-key
    execute --mode live --rest-url "$URL" --run r2 <"$T/in" >"$T/out" 2>"$T/err"
    run jq -c 'select(.type == "order") | [.leg, .state, .reason]' "$T/out"
    assert_output '["b","rejected","a trailing stop is not sent to OKX by this build: live mode refuses an entry it could not protect as asked (risk-guard: [risk.ladder] trail = 0)"]'
    run bash -c "curl -s $URL/fake/ledger | jq '.orders | length'"
    assert_output 0
}

@test "an order journaled but never sent (a crash between the two) is marked rejected at restart, never sent late" {
    input '{"leg":"m"}' >"$T/in"
    execute --mode demo --rest-url "$URL" --run r1 </dev/null >/dev/null 2>&1 # creates the store
    cl=$(jq -r 'select(.type == "candle") | .ts' "$T/in" | tail -1)
    sqlite3 "$T/s.db" "INSERT INTO orders (run_id, cl_ord_id, ts, inst, strategy, leg, side,
        ord_type, px, sz, state, filled_sz, mode) VALUES ('r1', 'oLOST1234567', $cl, 'BTC-USDT',
        's', 'x', 'buy', 'market', NULL, 0.01, 'live', 0, 'demo')"
    demo </dev/null >"$T/out" 2>"$T/err"
    run jq -c 'select(.type == "order") | [.cl_ord_id, .state, .reason]' "$T/out"
    assert_output '["oLOST1234567","rejected","never reached OKX (no order with this clOrdId there)"]'
    run bash -c "curl -s $URL/fake/ledger | jq '.orders | length'"
    assert_output 0
}

@test "an order logged but not in the store (killed between sending and writing its row) is added at restart and asked of OKX" {
    input '{"leg":"m"}' >"$T/in"
    execute --mode demo --rest-url "$URL" --run r1 </dev/null >/dev/null 2>&1 # creates the log
    log=$(ls "$T"/s.db-orders-*)
    [[ ! -s $log ]] # a clean end leaves it empty
    ts=$(jq -r 'select(.type == "candle") | .ts' "$T/in" | tail -1)
    # The line execute appends before it sends, with a crash cutting the next one short.
    printf '{"type":"order","v":1,"ts":%s,"inst":"BTC-USDT","cl_ord_id":"oLOG1234","strategy":"s","leg":"x","side":"buy","ord_type":"limit","px":40000,"sz":0.01,"state":"live","filled_sz":0,"mode":"demo"}\n{"type":"ord' "$ts" >"$log"
    demo <"$T/in" >"$T/out" 2>"$T/err"
    grep -q '1 order(s) of the order log were not in the store yet' "$T/err"
    # OKX never got it: after the grace polls it is rejected, and never sent late.
    run sqlite3 "$T/s.db" "SELECT state, reason FROM orders WHERE cl_ord_id = 'oLOG1234'"
    assert_output 'rejected|never reached OKX (no order with this clOrdId there)'
    [[ $(ledger | jq '[.orders[] | select(.clOrdId == "oLOG1234")] | length') == 0 ]]
    [[ ! -s $log ]]
}

@test "an order whose answer was lost is asked for and adopted, not sent again" {
    start_fake lossy --fault-lost-answer-every 2
    input '{"leg":"a","ord_type":"limit","px":40000}' '{"leg":"b","ord_type":"limit","px":40000}' \
        '{"leg":"c","ord_type":"limit","px":40000}' >"$T/in"
    demo <"$T/in" >"$T/out" 2>"$T/err"
    run jq -r 'select(.type == "order") | "\(.leg) \(.state) \(.ord_id != null)"' "$T/out"
    assert_output $'a live true\nb live true\nc live true'
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/order".*"status":500' "$T/lossy.log") == 1 ]]
    run bash -c "curl -s $URL/fake/ledger | jq '.orders | length'"
    assert_output 3
}

@test "an open order on the account that the journal does not know is reported, in the store too, and left alone" {
    input '{"leg":"l","ord_type":"limit","px":40000}' >"$T/in"
    execute --mode demo --rest-url "$URL" --run other <"$T/in" >/dev/null 2>&1
    demo </dev/null >"$T/out" 2>"$T/err"
    grep -q "warning: an open order on the account that run r1's journal does not know: BTC-USDT buy 0.01" "$T/err"
    run sqlite3 "$T/s.db" "SELECT kind, inst FROM reconcile_events WHERE run_id = 'r1'"
    assert_output 'unknown_order|BTC-USDT'
    # audit reconcile shows it, and fails so that cron mails it.
    run -1 audit reconcile --run r1 --store "$T/s.db" --format json
    [[ $(jq -r '.checks[] | select(.check == "exchange") | .shown[0]' <<<"$output") == "demo unknown_order at 0: an open order on the account that run r1's journal does not know: BTC-USDT buy 0.01"* ]] || fail "$output"
    run bash -c "curl -s $URL/fake/ledger | jq -r '.orders[].state'"
    assert_output live
}

@test "every --reconcile-every of event time: an open order that is not the journal's is reported while execute runs, once" {
    mkfifo "$T/fifo"
    execute --mode demo --rest-url "$URL" --run r1 --reconcile-every 1h <"$T/fifo" >"$T/out" 2>"$T/err" &
    pid=$!
    exec 4>"$T/fifo"
    head -n 100 "$DAY" >&4 # 8 h 20 min of candles: execute reconciled, then waits for more
    for _ in $(seq 400); do
        [[ $(grep -c '"type":"portfolio"' "$T/out") == 99 ]] && break
        sleep 0.05
    done
    # Meanwhile an order by other hands (another run, without a dead-man switch of its own:
    # OKX's is the account's).
    input '{"leg":"x","ord_type":"limit","px":40000}' |
        execute --mode demo --rest-url "$URL" --run other --dead-man 0 >/dev/null 2>&1
    tail -n +101 "$DAY" >&4 # the rest of the day: an hour of event time passes
    for _ in $(seq 400); do
        grep -q "does not know" "$T/err" && break
        sleep 0.05
    done
    grep -q "warning: an open order on the account that run r1's journal does not know: BTC-USDT buy 0.01" "$T/err"
    exec 4>&-
    wait "$pid"
    [[ $(grep -c "does not know" "$T/err") == 1 ]]
    run sqlite3 "$T/s.db" "SELECT kind FROM reconcile_events WHERE run_id = 'r1'"
    assert_output unknown_order
}

@test "OKX's refusal becomes a rejected order with its code; the rules refuse what OKX would" {
    # Limits loose enough that OKX, not the limits, refuses the big buy.
    printf '[risk]\nmax_gross_exposure = 5\nmax_net_exposure = 5\n' >"$T/loose.toml"
    input '{"leg":"big","sz":0.5}' '{"leg":"tiny","sz":0.000000001}' '{"leg":"sell","side":"sell"}' \
        '{"leg":"huge","sz":100}' >"$T/in"
    demo --config "$T/loose.toml" <"$T/in" >"$T/out" 2>"$T/err"
    run jq -r 'select(.type == "order") | "\(.leg) \(.state) \(.reason)"' "$T/out"
    assert_line --index 0 --regexp '^big rejected OKX 51008: .*Insufficient USDT'
    assert_line --index 1 --regexp '^tiny rejected size 0.000000001 for BTC-USDT rounds down to 0'
    assert_line --index 2 --regexp '^sell rejected risk limit spot \(not_held\)'
    # A limit breached is refused before anything is sent, never resized.
    assert_line --index 3 --regexp '^huge rejected risk limit risk.max_gross_exposure'
    # Only the big buy reached OKX.
    [[ $(grep -c '"method":"POST","path":"/api/v5/trade/order"' "$T/main.log") == 1 ]]
}

@test "the dead-man switch: armed while execute runs, so OKX cancels its orders when it dies; disarmed at the end of the input, left armed by SIGTERM" {
    input '{"leg":"l","ord_type":"limit","px":40000}' >"$T/in"
    # Killed while running: its input stays open until the order is out.
    mkfifo "$T/fifo"
    execute --mode demo --rest-url "$URL" --run r1 --dead-man 10 <"$T/fifo" >"$T/out" 2>"$T/err" &
    pid=$! # execute's own: SIGKILL goes to it, not to a shell around it
    exec 4>"$T/fifo"
    cat "$T/in" >&4
    for _ in $(seq 400); do
        grep -q '"type":"order"' "$T/out" && break
        sleep 0.05
    done
    kill -KILL "$pid"
    exec 4>&-
    wait "$pid" || true
    grep -q '"state":"live"' "$T/out"
    clock $((NOW + 60000)) # past the 10 s deadline, on the fake's clock
    run bash -c "curl -s $URL/fake/ledger | jq -r '.orders[] | \"\(.state) \(.cancelSource)\"'"
    assert_output 'canceled 20'
    # The restart learns it from OKX.
    demo </dev/null >"$T/out2" 2>"$T/err2" || { cat "$T/err2"; false; }
    run jq -r 'select(.type == "order") | "\(.state): \(.reason)"' "$T/out2"
    assert_output "canceled: canceled by OKX's cancel-all-after (dead-man switch)"
    # The end of the input disarms it: the next order rests on past the deadline.
    input '{"leg":"l2","ord_type":"limit","px":40000}' | demo --dead-man 10 >/dev/null 2>&1
    clock $((NOW + 300000))
    run bash -c "curl -s $URL/fake/ledger | jq -r '.orders[1].state'"
    assert_output live
    # SIGTERM leaves it armed (exit 143): only the arming call, no disarming one.
    calls=$(grep -c '"path":"/api/v5/trade/cancel-all-after"' "$T/main.log")
    mkfifo "$T/fifo2"
    execute --mode demo --rest-url "$URL" --run r1 --dead-man 10 <"$T/fifo2" >"$T/out3" 2>"$T/err3" &
    pid=$!
    exec 4>"$T/fifo2"
    for _ in $(seq 400); do
        grep -q 'execute: demo on' "$T/err3" && break
        sleep 0.05
    done
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    exec 4>&-
    [[ $rc == 143 ]] || { cat "$T/err3"; false; }
    [[ $(grep -c '"path":"/api/v5/trade/cancel-all-after"' "$T/main.log") == $((calls + 1)) ]]
}

@test "live: needs live = true in the config file, configured limits and a key; the command line cannot give consent" {
    input '{"leg":"m"}' >"$T/in"
    run -4 --separate-stderr execute --mode live --rest-url "$URL" <"$T/in"
    [[ $stderr == *"live = true"*"config file"* ]] || fail "$stderr"
    [[ $output == "" ]]
    mkdir -p "$XDG_CONFIG_HOME/okxkit"
    printf '[execute]\nlive = true\n' >"$XDG_CONFIG_HOME/okxkit/config.toml"
    run -4 --separate-stderr execute --mode live --rest-url "$URL" <"$T/in"
    [[ $stderr == *"max_position_notional"* ]] || fail "$stderr"
    printf '[execute]\nlive = true\n[risk]\nmax_position_notional = 2000\n' >"$XDG_CONFIG_HOME/okxkit/config.toml"
    run -2 --separate-stderr env -u OKX_API_KEY execute --mode live --rest-url "$URL" <"$T/in"
    [[ $stderr == *"OKX_API_KEY"* ]] || fail "$stderr"
    # A demo key on the live side: OKX's 50101, nothing placed.
    run ! --separate-stderr execute --mode live --rest-url "$URL" <"$T/in"
    [[ $stderr == *"50101"* ]] || fail "$stderr"
    # With a live key, the order goes out without the simulated-trading header.
    start_fake live --live-key
    execute --mode live --rest-url "$URL" <"$T/in" >"$T/out" 2>"$T/err"
    grep -q "execute: live on $URL" "$T/err"
    run jq -c 'select(.type == "order") | [.state, .mode]' "$T/out"
    assert_output '["live","live"]'
    # No key file that others can read.
    unset OKX_API_KEY OKX_API_SECRET OKX_API_PASSPHRASE
    printf 'api_key = "%s"\napi_secret = "%s"\napi_passphrase = "%s"\n' "$KEY" "$SECRET" "$PASSPHRASE" >"$T/secrets.toml"
    chmod 644 "$T/secrets.toml"
    run -2 --separate-stderr execute --mode demo --rest-url "$URL" --secrets "$T/secrets.toml" </dev/null
    [[ $stderr == *"chmod 600"* ]] || fail "$stderr"
}

@test "the key, the secret and the passphrase reach no output, diagnostic, store or log" {
    input '{"leg":"m"}' '{"leg":"big","sz":100}' >"$T/in"
    demo -vv <"$T/in" >"$T/out" 2>"$T/err"
    clock $((NOW + 900000))
    demo -vv --log-json <"$T/in" >>"$T/out" 2>>"$T/err"
    # And over the private WebSocket, whose login carries the passphrase.
    input '{"leg":"m3"}' | OKX_WS_PRIVATE_URL=auto demo -vv >>"$T/out" 2>>"$T/err"
    grep -q 'orders by the private WebSocket' "$T/err"
    sqlite3 "$T/s.db" .dump >"$T/dump.sql"
    run grep -l -e "$KEY" -e "$SECRET" -e "$PASSPHRASE" "$T/out" "$T/err" "$T/dump.sql" "$T/main.log" "$T/main.err" "$T/s.db"
    assert_output ''
}

@test "SIGKILL at random moments, restarted on the same input: no order twice, no fill lost, rate limits kept" {
    run "$OKXKIT_SOURCE_DIR/tests/acceptance/execute-sigkill.sh" 12 0.9 0.5
    assert_success
    assert_output --partial "ok   no client order id placed twice"
    assert_output --partial "ok   every fill of the ledger in the store (0 lost)"
}
