#!/usr/bin/env bats
# fake-okx's WebSocket side (§5): subscribe/unsubscribe/errors, the market clock, candle,
# tickers, trades and books pushes, ping/pong, idle close, the REST clock, and the faults.

bats_require_minimum_version 1.5.0
load helpers

FAKE_BIN=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx
FAKE_OKX=$FAKE_BIN/fake-okx
WS_PROBE=$FAKE_BIN/ws-probe
BAR=60000
LAST=1699999980000    # open time of the 1m bar forming at NOW
NOW=$((LAST + 30000)) # the clock starts 30 s into that bar
FIVE=1699999800000    # open time of the 5m bar forming at NOW
GAP=$((LAST + 5 * BAR)) # a 1m bar missing from the CSV: an outage

SUB_1M='{"op":"subscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}'
SUB_5M='{"op":"subscribe","args":[{"channel":"candle5m","instId":"BTC-USDT"}]}'
SUB_BOOKS='{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}'
UNSUB_BOOKS='{"op":"unsubscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}'

setup_file() {
    export DATA=$BATS_FILE_TMPDIR/data
    mkdir -p "$DATA"
    # 1m bars LAST-100 .. LAST+39 without GAP, so the data ends 39 bars after LAST.
    awk -v last="$LAST" -v bar="$BAR" 'BEGIN {
        print "ts_ms,open,high,low,close,volume"
        for (i = -100; i < 40; i++) {
            if (i == 5) continue
            o = 30000 + (i + 100) * 0.5
            printf "%.0f,%.1f,%.1f,%.1f,%.1f,%.3f\n", last + i * bar, o, o + 5, o - 5, o + 0.5, 1 + ((i + 100) % 7) * 0.25
        }
    }' >"$DATA/BTC-USDT_1m.csv"
    # 5m bars FIVE-20 .. FIVE+8.
    awk -v first="$FIVE" 'BEGIN {
        print "ts_ms,open,high,low,close,volume"
        for (i = -20; i <= 8; i++) {
            o = 31000 + i
            printf "%.0f,%.1f,%.1f,%.1f,%.1f,%.2f\n", first + i * 300000, o, o + 9, o - 9, o + 0.5, 10 + (i + 20)
        }
    }' >"$DATA/BTC-USDT_5m.csv"
    # The CSV as {ts: [o, h, l, c, vol]} for the value checks.
    jq -R -s 'split("\n")[1:] | map(select(length > 0) | split(",") | {key: .[0], value: .[1:6]}) | from_entries' \
        "$DATA/BTC-USDT_1m.csv" >"$BATS_FILE_TMPDIR/csv1m.json"
}

setup() {
    T=$BATS_TEST_TMPDIR
    CSV1M=$BATS_FILE_TMPDIR/csv1m.json
    : >"$T/pids"
}

# Stops the servers; each must exit 0 on SIGTERM, and none may have printed a sanitizer
# report.
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

# Starts a server with ARGS; sets PORT and PID. Log $T/log, stderr $T/server.err.
start_server() { # ARGS...
    "$FAKE_OKX" --port 0 --port-file "$T/port" --data "$DATA" --now "$NOW" --log "$T/log" \
        "$@" 2>"$T/server.err" 3>&- &
    PID=$!
    echo "$PID" >>"$T/pids"
    for _ in $(seq 200); do
        [[ -s $T/port ]] && break
        kill -0 "$PID" 2>/dev/null || { cat "$T/server.err" >&2; return 1; }
        sleep 0.05
    done
    [[ -s $T/port ]] || { echo "fake-okx did not write its port file" >&2; return 1; }
    PORT=$(cat "$T/port")
}

# Runs ws-probe on PATH with ARGS: its lines go to $T/out, the received frames without their
# times to $T/frames, the frames that are JSON to $T/json (one per line).
probe() { # PATH ARGS...
    local path=$1
    shift
    "$WS_PROBE" "$@" "ws://127.0.0.1:$PORT$path" >"$T/out" 2>"$T/probe.err" || true
    sed -E 's/^[0-9]+ //' "$T/out" | grep -v '^#' >"$T/frames" || true
    jq -c -R 'fromjson? // empty' "$T/frames" >"$T/json"
}

# Asserts a jq condition on the slurped JSON frames ($T/json), printing them if it fails.
check() { # JQ [FILE]
    if ! jq -e -s --slurpfile csv "$CSV1M" "$1" "${2:-$T/json}" >/dev/null; then
        echo "jq condition failed: $1" >&2
        head -c 4000 "$T/out" >&2
        return 1
    fi
}

# Asserts a jq condition on the server log.
check_log() { # JQ
    check "$1" "$T/log"
}

# The signed CRC32 of TEXT, from gzip's trailer: independent of the fake's zlib call and of
# lib/okx's own CRC32.
crc32() { # TEXT
    local u
    u=$(printf '%s' "$1" | gzip -c | tail -c 8 | head -c 4 | od -An -tu4 | tr -d ' ')
    ((u > 2147483647)) && u=$((u - 4294967296))
    echo "$u"
}

# Rebuilds the book from the books pushes in $T/json (a snapshot replaces it, an update sets
# or deletes levels) and prints, per push, its checksum, a tab and the check string of the
# book after it: the top 25 levels a side, interleaved bid:ask as px:sz (§5.4).
book_checks() {
    jq -r -s '
        def put($side; $levels; $bids):
            reduce $levels[] as $l ($side; map(select(.[0] != $l[0])) + (if $l[1] == "0" then [] else [$l] end))
            | sort_by(.[0] | tonumber) | if $bids then reverse else . end;
        [.[] | select(.arg.channel == "books" and .data)]
        | foreach .[] as $m ({};
            if $m.action == "snapshot" then {bids: $m.data[0].bids, asks: $m.data[0].asks}
            else {bids: put(.bids; $m.data[0].bids; true), asks: put(.asks; $m.data[0].asks; false)} end;
            [$m.data[0].checksum,
             ([range(0; 25) as $i | (.bids[$i] // empty | .[0], .[1]), (.asks[$i] // empty | .[0], .[1])] | join(":"))]
            | @tsv)' "$T/json"
}

# Checks each books push's checksum against the book rebuilt from the pushes; prints one
# "ok" or "bad" per push.
checksum_verdicts() {
    local sum str
    book_checks | while IFS=$'\t' read -r sum str; do
        if [[ $(crc32 "$str") == "$sum" ]]; then echo ok; else echo bad; fi
    done
}

# The REST body of GET PATH.
rest() { # PATH
    curl -sS "http://127.0.0.1:$PORT$1"
}

@test "--help lists the WebSocket options" {
    run "$FAKE_OKX" --help
    assert_success
    for o in ws-interval-ms ws-idle-ms ws-drop-every ws-no-pong ws-notice-every \
        ws-malformed-every ws-dup-every ws-skip-every ws-bad-checksum-every ws-seq-gap-every \
        ws-checksum-zero; do
        assert_output --partial "--$o"
    done
}

@test "subscribe: one ack per arg with the arg and an 8-hex connId; id echoed; ping -> pong" {
    start_server --ws-interval-ms 0
    probe /ws/v5/public --send '{"id":"a1","op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT"}]}' \
        --send ping --frames 4 --seconds 3
    check '[.[] | select(.event == "subscribe")] | length == 2'
    check '[.[] | select(.event)] | .[0] == {"id":"a1","event":"subscribe","arg":{"channel":"tickers","instId":"BTC-USDT"},"connId":.[0].connId}'
    check '[.[] | select(.event) | .arg.channel] == ["tickers", "trades"]'
    check '[.[] | select(.event) | .connId] | unique | length == 1 and (.[0] | test("^[0-9a-f]{8}$"))'
    run grep -cx pong "$T/frames"
    assert_output 1
    probe /ws/v5/business --send "$SUB_1M" --frames 2 --seconds 3
    check '.[0] | .event == "subscribe" and .arg == {"channel":"candle1m","instId":"BTC-USDT"} and (.connId | test("^[0-9a-f]{8}$"))'
}

@test "60018 for a channel on the wrong path or an unknown instId; 60012 for a frame that is not JSON" {
    start_server --ws-interval-ms 0
    probe /ws/v5/public --send "$SUB_1M" --send 'hello{' --frames 2 --seconds 3
    check '.[0] == {"event":"error","code":"60018","msg":"Wrong URL or channel:candle1m,instId:BTC-USDT doesn'"'"'t exist. Please use the correct URL, channel and parameters referring to API document.","connId":.[0].connId}'
    check '.[1] == {"event":"error","code":"60012","msg":"Invalid request: hello{","connId":.[0].connId}'
    probe /ws/v5/business --send '{"op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USDT"},{"channel":"candle1m","instId":"DOGE-USDT"},{"channel":"candle1h","instId":"BTC-USDT"}]}' \
        --frames 3 --seconds 3
    check 'map(.code) == ["60018", "60018", "60018"]'
    check '.[1].msg | startswith("Wrong URL or channel:candle1m,instId:DOGE-USDT doesn'"'"'t exist.")'
}

@test "candle1m: each bar confirmed exactly once, in order, with the CSV's values; the new bar follows" {
    start_server --ws-interval-ms 50
    probe /ws/v5/business --send "$SUB_1M" --frames 20 --seconds 5
    # The first push is the bar forming at NOW; then per step the closed bar and the new one.
    check ".[1].data[0][0] == \"$LAST\" and .[1].data[0][8] == \"0\""
    check "[.[] | select(.data) | .data[0] | select(.[8] == \"1\") | .[0] | tonumber] == [range(0; 10) | select(. != 5) | $LAST + . * $BAR]"
    check "[.[] | select(.data) | .data[0] | select(.[8] == \"0\") | .[0] | tonumber] == [range(0; 11) | select(. != 5) | $LAST + . * $BAR]"
    check '[.[] | select(.data) | .data[0][0] | tonumber] as $t | $t == ($t | sort)'
    check 'all(.[] | select(.data) | .data[0]; length == 9 and all(.[]; type == "string"))'
    check 'all(.[] | select(.data) | .data[0]; .[1:6] == $csv[0][.[0]])'
    check 'all(.[] | select(.data) | .data[0]; .[6] == .[7] and (((.[5] | tonumber) * (.[4] | tonumber) - (.[6] | tonumber)) | fabs) < 1e-6)'
    check '[.[] | select(.data) | .arg] | unique == [{"channel":"candle1m","instId":"BTC-USDT"}]'
}

@test "candle5m: a confirmed bar only when the clock passes its close, every 5 steps" {
    start_server --ws-interval-ms 20
    probe /ws/v5/business --send "$SUB_5M" --frames 6 --seconds 5
    # Forming FIVE at subscribe; FIVE closes at step 2 (NOW + 120 s), FIVE+5m at step 7.
    check "[.[] | select(.data) | .data[0] | [.[0], .[8]]] == [[\"$FIVE\",\"0\"], [\"$FIVE\",\"1\"], [\"$((FIVE + 300000))\",\"0\"], [\"$((FIVE + 300000))\",\"1\"], [\"$((FIVE + 600000))\",\"0\"]]"
    check '.[2].data[0] == ["1699999800000","31000.0","31009.0","30991.0","31000.5","30.00","930015","930015","1"]'
    # 5 steps of 20 ms between two confirmed 5m bars.
    run awk '/"1"\]\]\}$/ { t[n++] = $1 } END { print t[1] - t[0] }' "$T/out"
    (( output >= 60 ))
}

@test "tickers and trades: one push each per step, from the current bar, at the clock's ts" {
    start_server --ws-interval-ms 50
    probe /ws/v5/public --send '{"op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT"}]}' \
        --frames 9 --seconds 5
    check "[.[] | select(.arg.channel == \"tickers\" and .data) | .data[0].ts | tonumber] == [$NOW, $((NOW + BAR)), $((NOW + 2 * BAR)), $((NOW + 3 * BAR))]"
    check '[.[] | select(.arg.channel == "tickers" and .data) | .data[0] | keys_unsorted] | unique == [["instType","instId","last","lastSz","askPx","askSz","bidPx","bidSz","open24h","high24h","low24h","volCcy24h","vol24h","sodUtc0","sodUtc8","ts"]]'
    # last is the close of the bar forming at ts; ask and bid one tick (0.1) away.
    check "all(.[] | select(.arg.channel == \"tickers\" and .data) | .data[0];
        .instType == \"SPOT\" and .instId == \"BTC-USDT\" and
        .last == \$csv[0][(((.ts | tonumber) - $LAST) / $BAR | floor) * $BAR + $LAST | tostring][3] and
        ((.askPx | tonumber) - (.last | tonumber) - 0.1 | fabs) < 1e-9 and
        ((.last | tonumber) - (.bidPx | tonumber) - 0.1 | fabs) < 1e-9 and
        all(.[]; type == \"string\"))"
    # vol24h: the bars in (ts - 24 h, ts], here every bar up to ts.
    check "(.[1].data[0].vol24h | tonumber) as \$v | [\$csv[0] | to_entries[] | select((.key | tonumber) <= $NOW) | .value[4] | tonumber] | add | . - \$v | fabs < 1e-6"
    check '[.[] | select(.arg.channel == "trades" and .data) | .data[0] | [.tradeId, .side, .sz, .count]] == [["1","buy","0.01","1"], ["2","sell","0.01","1"], ["3","buy","0.01","1"]]'
    check '[.[] | select(.data) | .data[0]] | [.[] | select(.tradeId)] as $tr | [.[] | select(.instType)][1:] as $tk | [range(0; 3) | $tr[.].px == $tk[.].last and $tr[.].ts == $tk[.].ts] | all'
}

@test "unsubscribe: an ack, then no more pushes of that channel" {
    start_server --ws-interval-ms 20
    probe /ws/v5/business --send "$SUB_1M" \
        --send '{"op":"unsubscribe","args":[{"channel":"candle1m","instId":"BTC-USDT"}]}' \
        --gap-ms 150 --seconds 0.5
    check '[.[] | .event // "push"] | index("unsubscribe") as $u | $u != null and (.[$u + 1:] | all(. != "push")) and (.[:$u] | map(select(. == "push")) | length >= 3)'
    check '[.[] | select(.event == "unsubscribe")][0].arg == {"channel":"candle1m","instId":"BTC-USDT"}'
}

@test "REST public/time and the forming bar follow the WebSocket clock once it runs" {
    # A step of the market clock every 1.5 s of wall time: long enough that three requests fit
    # between two steps even on a loaded machine (at 200 ms they sometimes never did).
    start_server --ws-interval-ms 1500
    sleep 0.25
    run rest /api/v5/public/time
    assert_output "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":\"$NOW\"}]}"
    probe /ws/v5/public --seconds 0.35
    local t1 t2 forming i
    # The clock moves on by itself once the stream ran: wait (at most about 10 s) until it has
    # moved, and read the forming bar between two equal readings of it.
    for i in $(seq 100); do
        t1=$(rest /api/v5/public/time | jq -r '.data[0].ts')
        forming=$(rest "/api/v5/market/candles?instId=BTC-USDT&bar=1m&limit=2" | jq -c '[.data[] | .[0], .[8]]')
        t2=$(rest /api/v5/public/time | jq -r '.data[0].ts')
        [[ $t1 == "$t2" ]] && (( t1 > NOW )) && break
        (( t1 > NOW )) || sleep 0.1 # a loaded machine: the first push may not have come yet
    done
    [[ $t1 == "$t2" ]] || fail "the clock never held still for three requests"
    (( t1 > NOW && (t1 - NOW) % BAR == 0 ))
    local open=$(((t1 - 30000)))
    assert_equal "$forming" "[\"$open\",\"0\",\"$((open - BAR))\",\"1\"]"
    # The clock keeps running with no connection left (polled: at most 10 s on a loaded machine).
    for i in $(seq 100); do
        sleep 0.1
        t2=$(rest /api/v5/public/time | jq -r '.data[0].ts')
        (( t2 > t1 )) && break
    done
    (( t2 > t1 ))
}

@test "pushes stop when the data ends; the connection stays up and answers ping" {
    start_server --ws-interval-ms 2
    probe /ws/v5/business --send "$SUB_1M" --send ping --gap-ms 400 --seconds 0.7
    check "[.[] | select(.data)] | last.data[0] | .[0] == \"$((LAST + 39 * BAR))\" and .[8] == \"1\""
    run tail -n 1 "$T/frames"
    assert_output pong
    run grep -c '#close ' "$T/out"
    assert_output 0
}

@test "idle: no frame from the client for --ws-idle-ms closes with 4004; pings keep it open" {
    start_server --ws-interval-ms 20 --ws-idle-ms 300
    probe /ws/v5/business --seconds 3
    run grep '#close ' "$T/out"
    assert_output --regexp '^[0-9]+ #close 4004 No data received in 30s$'
    local at=${output%% *}
    (( at >= 250 && at < 1500 ))
    check_log '[.[] | select(.event == "close")] == [{"t_ms":.[-1].t_ms,"ws":"/ws/v5/business","event":"close","connId":.[0].connId,"code":4004,"by":"server"}]'
    for _ in 1 2 3 4 5 6; do echo ping; sleep 0.1; done | probe /ws/v5/business --seconds 0.75
    run grep -c '#close ' "$T/out"
    assert_output 0
    run grep -cx pong "$T/frames"
    assert_output 6
}

@test "a path other than /ws/v5/public, /ws/v5/business or /ws/v5/private is refused" {
    start_server --ws-interval-ms 0
    probe /ws/v5/nope --seconds 2
    run cat "$T/out"
    assert_output --partial "#error"
    refute_output --partial "#open"
    check_log '[.[] | select(.ws)] == [{"t_ms":.[0].t_ms,"ws":"/ws/v5/nope","event":"refuse","connId":""}]'
}

@test "the log has one line per connect, received frame, accepted subscribe and close" {
    start_server --ws-interval-ms 0
    probe /ws/v5/business --send "$SUB_1M" --send ping --send ping --frames 4 --seconds 3
    sleep 0.1
    check_log '[.[] | select(.ws) | .event] == ["connect", "recv", "subscribe", "recv", "recv", "close"]'
    check_log '[.[] | select(.event == "recv") | .frame] == ["{\"op\":\"subscribe\",\"args\":[{\"channel\":\"candle1m\",\"instId\":\"BTC-USDT\"}]}", "ping", "ping"]'
    check_log 'all(.[] | select(.ws); .ws == "/ws/v5/business" and (.t_ms | type) == "number" and (.connId | test("^[0-9a-f]{8}$")))'
    check_log '[.[] | select(.event == "close")][0].by == "client"'
}

@test "--ws-drop-every N: the connection drops after N pushes without a close frame; the clock runs on" {
    start_server --ws-interval-ms 20 --ws-drop-every 3
    probe /ws/v5/business --send "$SUB_1M" --seconds 2
    check '[.[] | select(.data)] | length == 3'
    run grep '#' "$T/out"
    assert_output --regexp $'#open\n[0-9]+ #closed$'
    check_log '[.[] | select(.ws) | .event] == ["connect", "recv", "subscribe", "drop"]'
    local last
    last=$(jq -s -r '[.[] | select(.data)] | last.data[0][0]' "$T/json")
    sleep 0.2
    probe /ws/v5/business --send "$SUB_1M" --frames 2 --seconds 2
    # The new connection starts several bars later: the bars in between were missed.
    check ".[1].data[0][0] | tonumber >= $last + 3 * $BAR"
}

@test "--ws-no-pong: ping gets no answer" {
    start_server --ws-interval-ms 0 --ws-no-pong
    probe /ws/v5/public --send ping --send ping --gap-ms 200 --seconds 0.7
    run cat "$T/frames"
    assert_output ""
    check_log '[.[] | select(.event == "recv") | .frame] == ["ping", "ping"]'
}

@test "--ws-notice-every N: notice 64008 after N pushes, then a close at the next step" {
    start_server --ws-interval-ms 20 --ws-notice-every 2
    probe /ws/v5/business --send "$SUB_1M" --seconds 2
    check '[.[] | .event // "push"] == ["subscribe", "push", "push", "notice"]'
    check '.[3] == {"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":.[0].connId}'
    run grep '#close ' "$T/out"
    assert_output --regexp '#close 1001 '
    check_log '[.[] | select(.ws) | .event] == ["connect", "recv", "subscribe", "notice", "close"]'
}

@test "--ws-notice-every N with a stopped clock: the close comes about 1 s after the notice" {
    start_server --ws-interval-ms 0 --ws-notice-every 1
    probe /ws/v5/business --send "$SUB_1M" --seconds 3
    check '[.[] | .event // "push"] == ["subscribe", "push", "notice"]'
    local n c
    n=$(awk '/"notice"/ { print $1 }' "$T/out")
    c=$(awk '/#close 1001/ { print $1 }' "$T/out")
    (( c - n >= 900 && c - n < 1600 ))
}

@test "--ws-malformed-every N: garbage before every Nth push: half a JSON object, then a 5-field row" {
    start_server --ws-interval-ms 20 --ws-malformed-every 2
    probe /ws/v5/business --send "$SUB_1M" --frames 8 --seconds 3
    run sed -n 3p "$T/frames"
    local half=$output
    run jq -e . <<<"$half"
    assert_failure
    run sed -n 4p "$T/frames"
    [[ $output == "$half"* && ${#output} -gt ${#half} ]]
    run sed -n 6p "$T/frames"
    jq -e --argjson next "$(sed -n 7p "$T/frames")" \
        '(.data[0] | length) == 5 and .data[0] == $next.data[0][0:5] and .arg == $next.arg' <<<"$output"
    # Lines 2, 4, 5, 7 and 8 are the real pushes, with 9 fields each.
    check '[.[] | select(.data) | .data[0] | length] == [9, 9, 9, 5, 9, 9]'
}

@test "--ws-dup-every N: every Nth push is sent twice" {
    start_server --ws-interval-ms 20 --ws-dup-every 3
    probe /ws/v5/business --send "$SUB_1M" --frames 9 --seconds 3
    run awk 'NR > 1 && $0 == prev { print NR } { prev = $0 }' "$T/frames"
    assert_output $'5\n9'
}

@test "--ws-skip-every N: every Nth confirmed candle is never sent; the forming bars still are" {
    start_server --ws-interval-ms 50 --ws-skip-every 2
    probe /ws/v5/business --send "$SUB_1M" --frames 14 --seconds 5
    # Confirmations due: 0 1 2 3 4 6 7 8 (5 is missing from the CSV); every 2nd is skipped.
    check "[.[] | select(.data) | .data[0] | select(.[8] == \"1\") | (.[0] | tonumber) - $LAST] | map(. / $BAR) == [0, 2, 4, 7]"
    check "[.[] | select(.data) | .data[0] | select(.[8] == \"0\") | (.[0] | tonumber) - $LAST] | map(. / $BAR) == [0, 1, 2, 3, 4, 6, 7, 8, 9]"
}

@test "books: a 400-level snapshot after the ack, then one update per step chaining seqIds" {
    start_server --ws-interval-ms 50
    probe /ws/v5/public --send "$SUB_BOOKS" --frames 7 --seconds 5
    check '.[0].event == "subscribe" and .[1].action == "snapshot" and ([.[2:][] | .action] | unique) == ["update"]'
    check '.[1].data[0] | (.bids | length) == 400 and (.asks | length) == 400 and .prevSeqId == -1 and .ts == "'"$NOW"'"'
    # Best first: bids descending, asks ascending, never crossed; [px, sz, "0", orders] strings.
    check '.[1].data[0] | (.bids | map(.[0] | tonumber)) as $b | (.asks | map(.[0] | tonumber)) as $a |
        $b == ($b | sort | reverse) and $a == ($a | sort) and $b[0] < $a[0] and ($b | unique | length) == 400'
    check 'all(.[1:][] | .data[0] | .bids[], .asks[]; length == 4 and all(.[]; type == "string") and .[2] == "0")'
    # Prices as OKX writes them (no trailing zeros), around the close of the bar at the clock.
    check 'all(.[1].data[0] | .bids[], .asks[]; .[0] | test("^[0-9]+(\\.[0-9]*[1-9])?$"))'
    check ".[1].data[0] | ((.bids[0][0] | tonumber) < (\$csv[0][\"$LAST\"][3] | tonumber)) and ((.asks[0][0] | tonumber) > (\$csv[0][\"$LAST\"][3] | tonumber))"
    # Each update names the seqId before it; seqIds grow; one step apart.
    check '[.[1:][] | .data[0]] | [range(1; length) as $i | .[$i].prevSeqId == .[$i - 1].seqId and .[$i].seqId > .[$i - 1].seqId and ((.[$i].ts | tonumber) - (.[$i - 1].ts | tonumber)) == '"$BAR"'] | all'
    # A few levels change per step: an update is not the whole book.
    check 'all(.[2:][] | .data[0]; (.bids | length) + (.asks | length) < 400 and (.bids | length) + (.asks | length) > 0)'
    check 'any(.[2:][] | .data[0] | .bids[], .asks[]; .[1] == "0" and .[3] == "0")'
}

@test "books: every checksum is the CRC32 of the top 25 levels of the book the pushes build" {
    start_server --ws-interval-ms 30
    probe /ws/v5/public --send "$SUB_BOOKS" --frames 12 --seconds 5
    run checksum_verdicts
    assert_output "$(printf 'ok\n%.0s' $(seq 11))"
    # Nothing trivial: checksums differ from push to push.
    check '[.[1:][] | .data[0].checksum] | unique | length == 11'
}

@test "--ws-bad-checksum-every N: every Nth update has a wrong checksum, the levels stay right" {
    start_server --ws-interval-ms 30 --ws-bad-checksum-every 3
    probe /ws/v5/public --send "$SUB_BOOKS" --frames 9 --seconds 5
    run checksum_verdicts
    assert_output "$(printf '%s\n' ok ok ok bad ok ok bad ok)"
    check '[.[1:][] | .data[0]] | [range(1; length) as $i | .[$i].prevSeqId == .[$i - 1].seqId] | all'
}

@test "--ws-seq-gap-every N: every Nth update is never sent, so the seqId chain breaks there" {
    start_server --ws-interval-ms 30 --ws-seq-gap-every 2
    probe /ws/v5/public --send "$SUB_BOOKS" --frames 5 --seconds 5
    # Updates 1 and 3 are sent, 2 and 4 lost: each sent update follows a missing one.
    check '[.[1:][] | .data[0]] | .[0].prevSeqId == -1 and .[1].prevSeqId == .[0].seqId and .[2].prevSeqId != .[1].seqId and .[3].prevSeqId != .[2].seqId'
    check '[.[1:][] | .data[0].ts | tonumber] | .[2] - .[1] == 2 * '"$BAR"' and .[3] - .[2] == 2 * '"$BAR"
}

@test "--ws-checksum-zero: every books push says checksum 0 (OKX's 2026 retirement)" {
    start_server --ws-interval-ms 30 --ws-checksum-zero
    probe /ws/v5/public --send "$SUB_BOOKS" --frames 5 --seconds 5
    check '[.[1:][] | .data[0].checksum] == [0, 0, 0, 0]'
    check '[.[1:][] | .data[0]] | [range(1; length) as $i | .[$i].prevSeqId == .[$i - 1].seqId] | all'
}

@test "books: unsubscribe and subscribe again bring a new snapshot; the log counts each op" {
    start_server --ws-interval-ms 40
    probe /ws/v5/public --send "$SUB_BOOKS" --send "$UNSUB_BOOKS" --send "$SUB_BOOKS" \
        --gap-ms 150 --seconds 0.6
    check '[.[] | .event // .action] | index("unsubscribe") as $u | .[:$u] == (["subscribe", "snapshot"] + .[2:$u]) and .[$u + 1:$u + 3] == ["subscribe", "snapshot"] and (.[2:$u] | all(. == "update"))'
    run checksum_verdicts
    refute_output --partial bad
    check_log '[.[] | select(.event == "subscribe" or .event == "unsubscribe") | [.event, .channel, .instId, .n]] == [["subscribe","books","BTC-USDT",1], ["unsubscribe","books","BTC-USDT",1], ["subscribe","books","BTC-USDT",2]]'
    check_log '[.[] | select(.ws) | .event] | index("recv") < index("subscribe")'
}

@test "REST market/books: the book the WebSocket pushes at the clock; sz, errors" {
    start_server --ws-interval-ms 0
    probe /ws/v5/public --send "$SUB_BOOKS" --frames 2 --seconds 3
    run rest "/api/v5/market/books?instId=BTC-USDT&sz=400"
    assert_success
    jq -e --slurpfile ws "$T/json" '.code == "0" and .data[0].ts == "'"$NOW"'" and
        .data[0].bids == $ws[1].data[0].bids and .data[0].asks == $ws[1].data[0].asks' <<<"$output" >/dev/null
    run rest "/api/v5/market/books?instId=BTC-USDT"
    jq -e '(.data[0].bids | length) == 1 and (.data[0].asks | length) == 1' <<<"$output" >/dev/null
    run rest "/api/v5/market/books?instId=BTC-USDT&sz=1000"
    jq -e '(.data[0].bids | length) == 400' <<<"$output" >/dev/null
    run rest "/api/v5/market/books?instId=BTC-USDT&sz=x"
    assert_output '{"code":"51000","msg":"Parameter sz error","data":[]}'
    run rest "/api/v5/market/books?sz=5"
    assert_output --partial '"50014"'
    run rest "/api/v5/market/books?instId=DOGE-USDT"
    assert_output --partial '"51001"'
}
