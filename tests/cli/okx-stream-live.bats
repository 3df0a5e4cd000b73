#!/usr/bin/env bats
# okx-stream live mode against tests/fake-okx: WebSocket candles, tickers and trades; every
# candle exactly once and in order through dropped connections, pong stalls, 64008 notices,
# duplicated, skipped and malformed pushes; gaps, backfill, health, store, tape, signals.

bats_require_minimum_version 1.5.0
load helpers

FAKE=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx/fake-okx
T0=1617321600000 # 2021-04-02T00:00:00Z: the first bar of the test data and the fake's clock
INSTS="ADA-USDT BTC-USDT ETH-USDT XRP-USDT"

# The market data, made once for the file: a price walk per instrument, 20,000 1m bars from
# T0 (100 s of the fake's clock at 5 ms a bar, so a slow machine never runs out of market
# before --until), numbers written canonically (no trailing zeros) so the expected messages
# are the CSV fields as they are.
setup_file() {
    local data=$BATS_FILE_TMPDIR/data seed=1
    mkdir -p "$data"
    for inst in $INSTS; do
        awk -v n=20000 -v seed=$seed -v t0=$T0 '
            function canon(x, s) { s = sprintf("%.2f", x); sub(/0+$/, "", s); sub(/\.$/, "", s); return s }
            BEGIN { srand(seed); print "ts_ms,open,high,low,close,volume"; p = 100 * seed
                for (i = 0; i < n; i++) {
                    o = canon(p); c = canon(p + (rand() - 0.5) * 2); if (c + 0 < 1) c = 1
                    h = canon((o + 0 > c + 0 ? o : c) + rand()); l = canon((o + 0 < c + 0 ? o : c) - rand())
                    if (l + 0 < 0.5) l = 0.5
                    printf "%d,%s,%s,%s,%s,%s\n", t0 + i * 60000, o, h, l, c, canon(1 + rand() * 10)
                    p = c } }' > "$data/${inst}_1m.csv"
        seed=$((seed + 1))
    done
}

setup() {
    T=$BATS_TEST_TMPDIR
    DATA=$BATS_FILE_TMPDIR/data
}

teardown() {
    # A failed or timed-out test says what the fake and the stream were doing.
    if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
        if [ -n "${FAKE_PID:-}" ]; then
            kill -0 "$FAKE_PID" 2>/dev/null && echo "# fake-okx still running" ||
                echo "# fake-okx had ended"
        fi
        for f in err fake.err; do
            [ -s "$T/$f" ] && { echo "# last lines of $f:"; tail -5 "$T/$f" | sed 's/^/#   /'; }
        done
        [ -s "$T/requests.log" ] && { echo "# last requests:"; tail -3 "$T/requests.log" | sed 's/^/#   /'; }
    fi
    [ -n "${STREAM_PID:-}" ] && kill "$STREAM_PID" 2>/dev/null && wait "$STREAM_PID" 2>/dev/null
    [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    return 0
}

# Starts fake-okx with its clock at T0 and the given options; sets PORT and the URL options.
# The fake's clock starts once the client's subscriptions are all live (--ws-start-subs: 4
# instruments times the channels), so a test that checks every candle from the first bar
# cannot lose it to a client that subscribed a step late on a loaded machine.
start_fake() {
    rm -f "$T/port"
    "$FAKE" --data "$DATA" --now "$T0" --port-file "$T/port" --log "$T/requests.log" "$@" \
        2> "$T/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
    [ -s "$T/port" ] || fail "fake-okx did not start: $(cat "$T/fake.err")"
    PORT=$(cat "$T/port")
    URLS=(--rest-url "http://127.0.0.1:$PORT" --ws-public-url "ws://127.0.0.1:$PORT/ws/v5/public"
          --ws-business-url "ws://127.0.0.1:$PORT/ws/v5/business")
}

# okx-stream live against the fake, all four instruments.
live() {
    okx-stream "${URLS[@]}" --symbols "${INSTS// /,}" "$@"
}

# ms of bar N after T0.
bar() { echo $((T0 + $1 * 60000)); }

# Checks that FILE holds every candle of the test data with T0 <= ts < UNTIL once, in order
# per instrument, equal to the source (recv_ts and vol_quote aside).
check_candles() { # FILE UNTIL
    for inst in $INSTS; do
        awk -F, -v inst="$inst" -v to="$2" 'NR > 1 && $1 < to {
            printf "{\"type\":\"candle\",\"v\":1,\"ts\":%s,\"inst\":\"%s\",\"bar\":\"1m\",\"o\":%s,\"h\":%s,\"l\":%s,\"c\":%s,\"vol\":%s,\"confirm\":true}\n", $1, inst, $2, $3, $4, $5, $6
        }' "$DATA/${inst}_1m.csv" > "$T/want"
        jq -c --arg i "$inst" 'select(.type == "candle" and .inst == $i) | del(.vol_quote, .recv_ts)' \
            "$1" > "$T/got"
        diff "$T/want" "$T/got" > "$T/diff" || fail "$inst: $(head -5 "$T/diff")"
    done
}

# Checks that every gap in FILE has cause CAUSE and is followed, for its instrument, by the
# candles from its first missing bar on.
check_gaps() { # FILE CAUSE
    run jq -r 'select(.type == "gap") | .cause' "$1"
    for c in "${lines[@]}"; do [ "$c" = "$2" ] || fail "gap cause $c, want $2"; done
    jq -c 'select(.type == "gap" or .type == "candle") | [.type, .inst, .ts, .to]' "$1" |
        awk -F'[],[]' '$2 == "\"gap\"" { want[$3] = $4; to[$3] = $5; next }
            ($3 in want) { if ($4 != want[$3]) { print "after the gap of " $3 " came " $4 ", not " want[$3]; exit 1 }
                           delete want[$3] }' || fail "a gap is not followed by its backfill"
}

# Sliding 2-second windows of the fake's request log: never more than OKX allows.
check_pacing() {
    jq -r '[.path, .t_ms] | @tsv' "$T/requests.log" | awk -F'\t' '
        { n[$1]++; t[$1, n[$1]] = $2 }
        END { for (p in n) { j = 1; for (i = 1; i <= n[p]; i++) {
                  while (t[p, i] - t[p, j] >= 2000) j++
                  if (i - j + 1 > m[p]) m[p] = i - j + 1 }
              if (p ~ /market\/candles$/ && m[p] > 40) exit 1
              if (p ~ /history-candles/ && m[p] > 20) exit 1 } }' || fail "too many requests in 2 s"
    run grep -c '"status":429' "$T/requests.log"
    assert_output 0
}

@test "candles, tickers and trades of every instrument, in order, each with recv_ts" {
    start_fake --ws-start-subs 12 --ws-interval-ms 5
    run --separate-stderr live --channels candle1m,tickers,trades --until "$(bar 100)"
    assert_success
    printf '%s\n' "${lines[@]}" > "$T/out"
    check_candles "$T/out" "$(bar 100)"
    for kind in ticker trade; do
        for inst in $INSTS; do
            n=$(jq -c --arg i "$inst" --arg k "$kind" 'select(.type == $k and .inst == $i)' "$T/out" | wc -l)
            [ "$n" -ge 90 ] || fail "$n ${kind}s of $inst"
        done
    done
    jq -e -s 'all(.[]; (.recv_ts | type) == "number" and .recv_ts > 1700000000000)' "$T/out" >/dev/null
    jq -e -s '[.[] | select(.type == "ticker" and .inst == "BTC-USDT")] | .[0] | (.bid < .last and .last < .ask and .bid_sz == 1)' "$T/out" >/dev/null
    run grep -c '"type":"gap"' "$T/out"
    assert_output 0
    [[ $stderr != *error* && $stderr != *warning* ]] || fail "$stderr"
}

@test "a connection dropped every 100 pushes: every candle once, in order, a gap where bars were lost" {
    start_fake --ws-start-subs 4 --ws-interval-ms 5 --ws-drop-every 100
    live --channels candle1m --until "$(bar 400)" --health > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    check_candles "$T/out" "$(bar 400)"
    check_gaps "$T/out" reconnect
    gaps=$(grep -c '"type":"gap"' "$T/out")
    drops=$(jq -c 'select(.type == "health" and .event == "disconnect")' "$T/out" | wc -l)
    [ "$drops" -ge 3 ] || fail "$drops disconnects"
    [ "$gaps" -ge 1 ] || fail "no gap after $drops drops"
    # One gap per instrument and drop at most: the holes of one drop are reported once.
    [ "$gaps" -le $((drops * 4)) ] || fail "$gaps gaps for $drops drops"
    [ "$(grep -c 'connection lost' "$T/err")" -eq "$drops" ]
    check_pacing
}

# The keepalive is a wall-clock timer by nature: these two tests leave wide margins so that a
# loaded machine cannot turn their outcome. A ping goes out after 100-250 ms without a frame
# and a stall is declared 100-250 ms after it, while a healthy connection here has a frame
# every 5 ms (a stall would need the stream to sleep for a quarter second), and the lulls or
# silences meant to be caught last 400 ms or until the client gives up (a missed one would
# need a timer more than 200 ms late).
@test "no pong: the stall is noticed, the connection replaced, every candle still once" {
    start_fake --ws-start-subs 4 --ws-interval-ms 400 --ws-no-pong
    live --channels candle1m --until "$(bar 8)" --ping-after 100ms --pong-timeout 100ms --health \
        > "$T/out" 2> "$T/err" || fail "exit $?: $(cat "$T/err")"
    check_candles "$T/out" "$(bar 8)"
    check_gaps "$T/out" stall
    stalls=$(jq -c 'select(.type == "health" and .event == "disconnect" and (.detail | startswith("stall")))' "$T/out" | wc -l)
    [ "$stalls" -ge 3 ] || fail "$stalls stalls"
    grep -q 'no pong within 100 ms' "$T/err"
}

@test "a connection that goes silent yet stays open is noticed by its ping and replaced" {
    start_fake --ws-start-subs 4 --ws-interval-ms 5 --ws-stall-every 150
    live --channels candle1m --until "$(bar 600)" --ping-after 250ms --pong-timeout 250ms --health \
        > "$T/out" 2> "$T/err" || fail "exit $?: $(cat "$T/err")"
    check_candles "$T/out" "$(bar 600)"
    check_gaps "$T/out" stall
    stalls=$(jq -c 'select(.type == "health" and .event == "disconnect" and (.detail | startswith("stall")))' "$T/out" | wc -l)
    [ "$stalls" -ge 2 ] || fail "$stalls stalls"
}

@test "notice 64008: a new connection before the old one closes, every candle still once" {
    start_fake --ws-start-subs 4 --ws-interval-ms 5 --ws-notice-every 60
    live --channels candle1m --until "$(bar 300)" --health > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    check_candles "$T/out" "$(bar 300)"
    check_gaps "$T/out" notice
    notices=$(jq -c 'select(.type == "health" and .event == "disconnect" and (.detail | startswith("notice")))' "$T/out" | wc -l)
    [ "$notices" -ge 2 ] || fail "$notices notices"
    # A notice is routine, not an error.
    run grep -c 'error' "$T/err"
    assert_output 0
}

@test "malformed frames never stop the stream and each is reported once" {
    start_fake --ws-start-subs 12 --ws-interval-ms 5 --ws-malformed-every 7
    live --channels candle1m,tickers,trades --until "$(bar 150)" --record "$T/tape" \
        > "$T/out" 2> "$T/err" || fail "exit $?: $(cat "$T/err")"
    check_candles "$T/out" "$(bar 150)"
    # The tape holds every frame received: count the bad ones there, independently.
    bad=$(jq -r 'select(.tape == "ws") | .frame | (fromjson? // "bad") |
                 if . == "bad" then "bad" elif (.data | type) == "array" and
                    any(.data[]; (type == "array" and length < 9) or (type == "object" and (has("ts") | not)))
                 then "bad" else empty end' "$T/tape" | wc -l)
    [ "$bad" -ge 20 ] || fail "only $bad bad frames on the tape"
    [ "$(grep -c 'malformed frame skipped' "$T/err")" -eq "$bad" ] ||
        fail "$(grep -c 'malformed frame skipped' "$T/err") reports for $bad bad frames"
}

@test "duplicated pushes are written once; skipped confirms are fetched from REST without a gap" {
    start_fake --ws-start-subs 4 --ws-interval-ms 5 --ws-dup-every 3 --ws-skip-every 17
    live --channels candle1m --until "$(bar 120)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    check_candles "$T/out" "$(bar 120)"
    run grep -c '"type":"gap"' "$T/out"
    assert_output 0
    # One request per skipped confirm (480 confirmed bars, every 17th skipped).
    [ "$(grep -c 'market/candles' "$T/requests.log")" -ge 20 ]
}

@test "a skipped confirm that REST has not confirmed yet is asked for again, not called missing" {
    # REST shows a closed bar as forming for 30 s of market time (a step of the clock, 100 ms
    # of wall time), so the first backfill of each skipped confirm finds it unconfirmed.
    start_fake --ws-start-subs 4 --ws-interval-ms 100 --ws-skip-every 7 --rest-confirm-lag-ms 30000
    live -vv --channels candle1m --until "$(bar 40)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    check_candles "$T/out" "$(bar 40)"
    run grep -c '"type":"gap"' "$T/out"
    assert_output 0
    grep -q 'not confirmed by REST yet; asking again' "$T/err" || fail "no retry: $(cat "$T/err")"
}

@test "--partial adds each forming update (confirm:false) before the confirmed bar" {
    start_fake --ws-start-subs 4 --ws-interval-ms 5
    live --channels candle1m --partial --until "$(bar 50)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    jq -c 'select(.confirm == true)' "$T/out" > "$T/confirmed"
    check_candles "$T/confirmed" "$(bar 50)"
    partial=$(jq -c 'select(.type == "candle" and .confirm == false)' "$T/out" | wc -l)
    [ "$partial" -ge 190 ] || fail "$partial forming updates"
    # Per instrument and bar: the forming update comes first, the confirmed bar last.
    jq -r 'select(.type == "candle") | "\(.inst) \(.ts) \(.confirm)"' "$T/out" |
        awk '{ k = $1 " " $2 } $3 == "true" { done[k] = 1; next } (k in done) { print "update after confirm: " k; exit 1 }'
}

@test "--store keeps the confirmed candles, the run and the health events" {
    start_fake --ws-start-subs 4 --ws-interval-ms 5 --ws-drop-every 150
    live --channels candle1m --until "$(bar 200)" --store "$T/s.db" --run l1 > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    run sqlite3 "$T/s.db" "SELECT COUNT(*), COUNT(DISTINCT inst), MIN(ts), MAX(ts) FROM candles; SELECT status, count FROM runs WHERE run_id = 'l1'"
    assert_output "800|4|$T0|$(bar 199)"$'\n'"ok|800"
    run sqlite3 "$T/s.db" "SELECT COUNT(*) FROM candles WHERE source = 'okx:ws'"
    [ "$output" -gt 100 ]
    run sqlite3 "$T/s.db" "SELECT DISTINCT event FROM health WHERE run_id = 'l1' ORDER BY 1"
    assert_line connect
    assert_line disconnect
    assert_line reconnect
    # No health line on stdout without --health.
    run grep -c '"type":"health"' "$T/out"
    assert_output 0
}

@test "--record keeps every frame; --replay of the tape writes the same bytes, offline" {
    start_fake --ws-start-subs 8 --ws-interval-ms 5 --ws-drop-every 200 --ws-malformed-every 23 --ws-dup-every 5
    live --channels candle1m,trades --partial --health --until "$(bar 60)" --record "$T/tape" \
        > "$T/out" 2> "$T/err" || fail "exit $?: $(cat "$T/err")"
    kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=
    head -1 "$T/tape" | jq -e '.tape == "header" and .mode == "live" and .args.channels == ["candle1m","trades"]' >/dev/null
    jq -e -s 'all(.[]; (.recv_ts | type) == "number")' "$T/tape" >/dev/null
    [ "$(grep -c '"tape":"ws"' "$T/tape")" -gt 200 ]
    jq -e -s 'any(.[]; .tape == "ws-event" and .event == "disconnect" and (.detail | startswith("reconnect: ")))' "$T/tape" >/dev/null
    # Every line written carries the receive time of a frame on the tape.
    jq -r 'select(.tape == "ws") | .recv_ts' "$T/tape" | sort -u > "$T/tape_ts"
    jq -r 'select(.recv_ts) | .recv_ts' "$T/out" | sort -u > "$T/out_ts"
    [ -z "$(comm -13 "$T/tape_ts" "$T/out_ts")" ] || fail "recv_ts not on the tape"
    # The replay needs the backfills too: they are on the tape.
    [ "$(jq -c 'select(.tape == "rest" and (.req | startswith("/api/v5/market/candles")))' "$T/tape" | wc -l)" -ge 1 ]
    okx-stream --replay "$T/tape" > "$T/replayed" 2> "$T/replayed.err" ||
        fail "replay: exit $?: $(cat "$T/replayed.err")"
    cmp "$T/out" "$T/replayed"
    # The same malformed frames are reported again.
    [ "$(grep -c 'malformed frame' "$T/replayed.err")" -eq "$(grep -c 'malformed frame' "$T/err")" ]
}

@test "SIGINT while streaming: lines already flushed, exit 130, the store run closed" {
    start_fake --ws-interval-ms 50
    # Started directly (not through a function) so that $! is okx-stream itself.
    okx-stream "${URLS[@]}" --symbols "${INSTS// /,}" --channels candle1m,tickers \
        --store "$T/s.db" > "$T/out" 2> "$T/err" &
    STREAM_PID=$!
    # The lines reach the pipe while the stream is still running (flushed per burst).
    for _ in $(seq 100); do [ "$(grep -c candle "$T/out")" -ge 8 ] && break; sleep 0.05; done
    [ "$(grep -c candle "$T/out")" -ge 8 ] || fail "nothing flushed: $(cat "$T/err")"
    kill -INT "$STREAM_PID"
    status=0; wait "$STREAM_PID" || status=$?; STREAM_PID=
    [ "$status" -eq 130 ] || fail "exit $status: $(cat "$T/err")"
    [ "$(tail -c 1 "$T/out" | od -An -c | tr -d ' ')" = '\n' ]
    run sqlite3 "$T/s.db" "SELECT status FROM runs"
    assert_output interrupted
    [ "$(sqlite3 "$T/s.db" 'SELECT COUNT(*) FROM candles')" -eq "$(grep -c '"type":"candle"' "$T/out")" ]
}

@test "a channel OKX refuses is a configuration error, reported once (exit 2)" {
    start_fake --ws-interval-ms 5
    run live --channels books5 --until "$(bar 5)"
    assert_failure 2
    assert_output --partial "60018"
    [ "$(grep -c 60018 <<<"$output")" -eq 1 ]
}

@test "a WebSocket that never answers is exit 5 after the retries" {
    start_fake
    run okx-stream --rest-url "http://127.0.0.1:$PORT" --ws-business-url ws://127.0.0.1:1/ws/v5/business \
        --symbols BTC-USDT --channels candle1m --retries 1 --store "$T/s.db"
    assert_failure 5
    assert_output --partial "ws://127.0.0.1:1/ws/v5/business"
    assert_output --partial "cannot connect"
    # The run row ends, and says why.
    run sqlite3 "$T/s.db" "SELECT status, ended_ms IS NOT NULL FROM runs WHERE tool = 'okx-stream'"
    assert_output "unavailable|1"
}

@test "an unreachable OKX at start is exit 5, and the run row ends as unavailable" {
    start_fake
    kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=
    run okx-stream --rest-url "http://127.0.0.1:$PORT" --symbols BTC-USDT --channels candle1m \
        --retries 1 --store "$T/s.db"
    assert_failure 5
    run sqlite3 "$T/s.db" "SELECT status, ended_ms IS NOT NULL FROM runs WHERE tool = 'okx-stream'"
    assert_output "unavailable|1"
}

@test "live options are checked before anything is sent" {
    run okx-stream --channels candle7m
    assert_failure 2
    assert_output --partial "candle7m"
    run okx-stream --channels candle1m --backfill 1h
    assert_failure 2
    run okx-stream --channels tickers --ws-public-url http://example.com/ws
    assert_failure 2
    assert_output --partial "--ws-public-url"
    run okx-stream --channels tickers --ping-after 0s
    assert_failure 2
    run okx-stream --channels tickers --depth 0
    assert_failure 2
    OKX_WS_BUSINESS_URL=wss://nowhere run okx-stream --channels candle1m --until x
    assert_failure 2
    assert_output --partial "--until"
}

# The fake's book of INST at clock TS, DEPTH levels a side, as okx-stream writes it:
# {"bids":[[px,sz],...],"asks":[...]}. The fake's book is a function of the clock: a second
# fake-okx started at TS, with no WebSocket to move its clock, serves it over REST.
fake_book() { # INST TS DEPTH
    local port_file=$T/port.book pid port body
    rm -f "$port_file"
    "$FAKE" --data "$DATA" --now "$2" --port-file "$port_file" 2>/dev/null &
    pid=$!
    for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
    port=$(cat "$port_file")
    body=$(curl -sS "http://127.0.0.1:$port/api/v5/market/books?instId=$1&sz=$3")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    jq -c '.data[0] | {bids: [.bids[] | map(tonumber)[0:2]], asks: [.asks[] | map(tonumber)[0:2]]}' <<<"$body"
}

# Checks that the book line of INST at TS in FILE is the fake's book at TS.
check_book_at() { # FILE INST TS DEPTH
    local got want
    got=$(jq -c --arg i "$2" --argjson ts "$3" 'select(.type == "book" and .inst == $i and .ts == $ts) | {bids, asks}' "$1" | tail -1)
    want=$(fake_book "$2" "$3" "$4")
    [ -n "$got" ] || fail "no book of $2 at $3"
    [ "$got" = "$want" ] || fail "$2 at $3: wrote $got, the fake has $want"
}

# Checks that every book line of FILE is sorted best first and not crossed, with DEPTH levels
# a side and a seq.
check_books_sorted() { # FILE DEPTH
    jq -e -s --argjson d "$2" 'map(select(.type == "book")) | length > 0 and all(.[];
        (.bids | map(.[0])) as $b | (.asks | map(.[0])) as $a |
        $b == ($b | sort | reverse) and $a == ($a | sort) and ($b | unique | length) == ($b | length) and
        ($a | unique | length) == ($a | length) and $b[0] < $a[0] and
        ($b | length) == $d and ($a | length) == $d and .depth == $d and (.seq | type) == "number")' "$1" >/dev/null ||
        fail "a book line is not sorted, crossed, or not $2 deep"
}

@test "books: every instrument's book after each step, sorted, equal to the fake's book at that time" {
    start_fake --ws-interval-ms 20
    live --channels books --depth 25 --until "$(bar 20)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    # One line per step and instrument: the snapshot at T0, then each update.
    for inst in $INSTS; do
        run jq -c --arg i "$inst" 'select(.type == "book" and .inst == $i) | .ts' "$T/out"
        assert_output "$(for n in $(seq 0 19); do bar "$n"; done)"
    done
    check_books_sorted "$T/out" 25
    check_book_at "$T/out" BTC-USDT "$(bar 0)" 25
    check_book_at "$T/out" ETH-USDT "$(bar 7)" 25
    check_book_at "$T/out" XRP-USDT "$(bar 19)" 25
    [[ $(cat "$T/err") != *warning* && $(cat "$T/err") != *error* ]] || fail "$(cat "$T/err")"
    # Subscribed once each.
    [ "$(jq -c 'select(.event == "subscribe" and .channel == "books")' "$T/requests.log" | wc -l)" -eq 4 ]
    run grep -c '"event":"unsubscribe"' "$T/requests.log"
    assert_output 0
}

@test "books with a bad checksum now and then: a warning each, resubscribed, a fresh snapshot, exit 0" {
    start_fake --ws-interval-ms 20 --ws-bad-checksum-every 9
    live --channels books --depth 25 --health --until "$(bar 40)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    warnings=$(grep -c 'books: checksum mismatch: checksum .* of update seqId .*, the book gives .*; resubscribing for a new snapshot' "$T/err")
    [ "$warnings" -ge 5 ] || fail "$warnings warnings: $(cat "$T/err")"
    [ "$(grep -c warning "$T/err")" -eq "$warnings" ]
    # One health gap event, one unsubscribe and one more subscribe at the fake per warning.
    gaps=$(jq -c 'select(.type == "health" and .event == "gap" and (.detail | startswith("books: checksum mismatch")))' "$T/out" | wc -l)
    [ "$gaps" -eq "$warnings" ] || fail "$gaps health events for $warnings warnings"
    [ "$(jq -c 'select(.event == "unsubscribe" and .channel == "books")' "$T/requests.log" | wc -l)" -eq "$warnings" ]
    [ "$(jq -c 'select(.event == "subscribe" and .channel == "books")' "$T/requests.log" | wc -l)" -eq $((4 + warnings)) ]
    # The resubscription's snapshot comes at the step of the bad update: no step is missing,
    # and the books written after it are the fake's.
    for inst in $INSTS; do
        [ "$(jq -c --arg i "$inst" 'select(.type == "book" and .inst == $i)' "$T/out" | wc -l)" -eq 40 ]
    done
    check_books_sorted "$T/out" 25
    first=$(jq -r -s '[.[] | select(.type == "health" and .event == "gap")][0] | "\(.inst) \(.recv_ts)"' "$T/out")
    inst=${first% *}
    ts=$(jq -r --arg i "$inst" --argjson r "${first#* }" 'select(.type == "book" and .inst == $i and .recv_ts > $r) | .ts' "$T/out" | head -1)
    check_book_at "$T/out" "$inst" "$ts" 25
    check_book_at "$T/out" "$inst" "$(bar 39)" 25
}

@test "books with lost updates: a sequence-gap warning each, resubscribed, output resumes, exit 0" {
    start_fake --ws-interval-ms 20 --ws-seq-gap-every 10
    live --channels books --depth 10 --health --until "$(bar 40)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    warnings=$(grep -c 'books: sequence gap: prevSeqId [0-9]* does not follow seqId [0-9]*; resubscribing for a new snapshot' "$T/err")
    [ "$warnings" -ge 5 ] || fail "$warnings warnings: $(cat "$T/err")"
    [ "$(grep -c warning "$T/err")" -eq "$warnings" ]
    [ "$(jq -c 'select(.type == "health" and .event == "gap")' "$T/out" | wc -l)" -eq "$warnings" ]
    [ "$(jq -c 'select(.event == "unsubscribe" and .channel == "books")' "$T/requests.log" | wc -l)" -eq "$warnings" ]
    # A lost step is missing from the output; every book written is the fake's at its time.
    lines=$(grep -c '"type":"book"' "$T/out")
    [ "$lines" -lt 160 ] && [ "$lines" -ge $((160 - 2 * warnings)) ] || fail "$lines book lines"
    check_books_sorted "$T/out" 10
    for inst in BTC-USDT ADA-USDT; do
        check_book_at "$T/out" "$inst" "$(jq -r --arg i "$inst" 'select(.type == "book" and .inst == $i) | .ts' "$T/out" | tail -1)" 10
    done
}

@test "books with checksum 0 (OKX's 2026 retirement): accepted on seqIds alone, no warning" {
    start_fake --ws-interval-ms 20 --ws-checksum-zero
    live --channels books --until "$(bar 15)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    [ "$(grep -c '"type":"book"' "$T/out")" -eq 60 ]
    check_books_sorted "$T/out" 5
    check_book_at "$T/out" ADA-USDT "$(bar 14)" 5
    run grep -c -E 'warning|error' "$T/err"
    assert_output 0
    run grep -c '"event":"unsubscribe"' "$T/requests.log"
    assert_output 0
}

@test "books through 64008 notices: every book goes on, from a kept chain or a new snapshot" {
    start_fake --ws-interval-ms 20 --ws-notice-every 30
    live --channels books --health --until "$(bar 60)" > "$T/out" 2> "$T/err" ||
        fail "exit $?: $(cat "$T/err")"
    notices=$(jq -c 'select(.type == "health" and .event == "disconnect" and (.detail | startswith("notice")))' "$T/out" | wc -l)
    [ "$notices" -ge 2 ] || fail "$notices notices"
    # A book kept across the switch either chains on (and its checksums keep matching) or
    # is resubscribed on a sequence gap; never a bad checksum.
    run grep -c 'checksum mismatch' "$T/err"
    assert_output 0
    check_books_sorted "$T/out" 5
    # Books go on after a switch. Not asked of the last one: an instrument may have reached
    # --until before it (on a loaded machine, the last switch can come at the very end).
    switch=$(jq -r -s '[.[] | select(.type == "health" and .event == "disconnect")] | .[-2].ts' "$T/out")
    for inst in $INSTS; do
        ts=$(jq -r --arg i "$inst" 'select(.type == "book" and .inst == $i) | .ts' "$T/out" | tail -1)
        after=$(jq -c --arg i "$inst" --argjson t "$switch" 'select(.type == "book" and .inst == $i and .recv_ts >= $t)' "$T/out" | wc -l)
        [ "$after" -ge 1 ] || fail "$inst: no book after the switch at $switch"
        check_book_at "$T/out" "$inst" "$ts" 5
    done
}

@test "--record and --replay with books, bad checksums, gaps and drops: the same bytes" {
    start_fake --ws-interval-ms 10 --ws-bad-checksum-every 7 --ws-seq-gap-every 13 --ws-drop-every 90 \
        --ws-dup-every 11
    live --channels books,trades --depth 3 --health --until "$(bar 40)" --record "$T/tape" \
        > "$T/out" 2> "$T/err" || fail "exit $?: $(cat "$T/err")"
    kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=
    head -1 "$T/tape" | jq -e '.args.channels == ["books","trades"] and .args.depth == 3' >/dev/null
    resubs=$(jq -c 'select(.tape == "ws-event" and .event == "resubscribe")' "$T/tape" | wc -l)
    [ "$resubs" -ge 3 ] || fail "$resubs resubscribes on the tape"
    jq -e -s 'any(.[]; .tape == "ws-event" and .event == "disconnect")' "$T/tape" >/dev/null
    [ "$(grep -c '"type":"book"' "$T/out")" -gt 100 ]
    okx-stream --replay "$T/tape" > "$T/replayed" 2> "$T/replayed.err" ||
        fail "replay: exit $?: $(cat "$T/replayed.err")"
    cmp "$T/out" "$T/replayed"
    # The same books warnings, in the same order.
    grep 'books: ' "$T/err" > "$T/warned"
    [ "$(wc -l < "$T/warned")" -ge 3 ]
    grep 'books: ' "$T/replayed.err" | diff "$T/warned" -
}
