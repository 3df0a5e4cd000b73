#!/usr/bin/env bats
# okx-stream fetching candle history over REST from tests/fake-okx: completeness, order,
# gaps, pacing, retries, errors and the store.

bats_require_minimum_version 1.5.0
load helpers

FAKE=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx/fake-okx
NOW=1617501630000 # 2021-04-04T02:00:30Z: the 02:00 bar is still forming

setup() {
    T=$BATS_TEST_TMPDIR
    mkdir -p "$T/data"
    # 3,001 real 1m bars each (2021-04-02 00:00 .. 04-04 02:00); BTC loses 10 bars at row 1000.
    awk -F, 'NR == 1 || NR <= 3002' "$OKXKIT_SOURCE_DIR/tests/cli/data/BTC-USDT_1m.csv" |
        awk 'NR < 1000 || NR >= 1010' > "$T/data/BTC-USDT_1m.csv"
    awk -F, 'NR == 1 || NR <= 3002' "$OKXKIT_SOURCE_DIR/tests/cli/data/ETH-USDT_1m.csv" > "$T/data/ETH-USDT_1m.csv"
}

teardown() {
    [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    return 0
}

# Starts fake-okx with the test data and extra options; sets URL.
start_fake() {
    rm -f "$T/port"
    "$FAKE" --data "$T/data" --now "$NOW" --port-file "$T/port" --log "$T/requests.log" "$@" \
        2> "$T/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
    [ -s "$T/port" ] || fail "fake-okx did not start: $(cat "$T/fake.err")"
    URL=http://127.0.0.1:$(cat "$T/port")
}

# The candle messages a CSV must turn into (plain awk, independent of okx-stream), for ts in
# [from, to).
reference() { # FILE INST FROM TO
    awk -F, -v inst="$2" -v from="$3" -v to="$4" 'NR > 1 && $1 >= from && $1 < to {
        printf "{\"type\":\"candle\",\"v\":1,\"ts\":%s,\"inst\":\"%s\",\"bar\":\"1m\",\"o\":%s,\"h\":%s,\"l\":%s,\"c\":%s,\"vol\":%s,\"confirm\":true}\n", $1, inst, $2, $3, $4, $5, $6
    }' "$1"
}

@test "history across many short pages equals the source data, merged by time then instrument" {
    start_fake --history-limit 100
    okx-stream --rest-url "$URL" --symbols ETHUSDT,btc-usdt --since 2021-04-02 > "$T/out"
    { reference "$T/data/BTC-USDT_1m.csv" BTC-USDT 0 1617501600000
      reference "$T/data/ETH-USDT_1m.csv" ETH-USDT 0 1617501600000; } |
        jq -c '[.ts, .inst, .]' | sort | jq -c '.[2]' > "$T/want"
    jq -c 'select(.type == "candle") | del(.vol_quote)' "$T/out" > "$T/got"
    diff "$T/want" "$T/got"
    # 3,000 closed ETH bars; the 02:00 bar is still forming and must not appear.
    [ "$(grep -c ETH-USDT "$T/got")" -eq 3000 ]
    run grep -c '"ts":1617501600000' "$T/out"
    assert_output 0
    # Far more requests than pages of 300: the short pages were followed up.
    [ "$(grep -c history-candles "$T/requests.log")" -gt 30 ]
}

@test "a hole in the exchange's data becomes one gap message before the next candle" {
    start_fake
    run okx-stream --rest-url "$URL" --symbols BTC-USDT --since 2021-04-02 --until 2021-04-03
    assert_success
    from=$(sed -n 999p "$T/data/BTC-USDT_1m.csv" | cut -d, -f1)
    to=$(sed -n 1000p "$T/data/BTC-USDT_1m.csv" | cut -d, -f1)
    gap=$(printf '%s\n' "${lines[@]}" | grep -n '"type":"gap"')
    [ "$gap" = "999:{\"type\":\"gap\",\"v\":1,\"ts\":$((from + 60000)),\"inst\":\"BTC-USDT\",\"bar\":\"1m\",\"from\":$from,\"to\":$to,\"cause\":\"missing\"}" ] || fail "$gap"
    assert_line --index 999 --partial "\"ts\":$to,"
}

@test "--backfill counts back from the server's clock and uses market/candles in its window" {
    start_fake
    run okx-stream --rest-url "$URL" --symbols ETH-USDT --backfill 2h
    assert_success
    [ "${#lines[@]}" -eq 120 ]
    assert_line --index 119 --partial '"ts":1617501540000'
    run grep -c '/api/v5/market/candles"' "$T/requests.log"
    [ "$output" -ge 1 ]
    run grep -c 'history-candles' "$T/requests.log"
    assert_output 0
}

@test "a backfill on a terminal ends with a summary line; in a pipe it is silent" {
    command -v script >/dev/null || skip "no script(1) to give okx-stream a terminal"
    start_fake
    script -qec "okx-stream --rest-url '$URL' --symbols ETH-USDT,BTC-USDT --backfill 2h >/dev/null" \
        /dev/null >"$T/tty"
    grep -q "okx-stream: note: fetched 240 candles with [0-9]* requests in [0-9.]* s; 0 gap(s)" "$T/tty" ||
        fail "$(cat -v "$T/tty")"
    run --separate-stderr okx-stream --rest-url "$URL" --symbols ETH-USDT --backfill 2h
    assert_success
    [ -z "$stderr" ] || fail "$stderr"
}

@test "pacing: never more requests in 2 s than OKX publishes for the endpoint" {
    start_fake --history-limit 100
    okx-stream --rest-url "$URL" --symbols BTC-USDT,ETH-USDT --since 2021-04-02 > /dev/null
    # Sliding 2-second windows over the receive times of each endpoint.
    run jq -r '[.path, .t_ms] | @tsv' "$T/requests.log"
    worst=$(jq -r '[.path, .t_ms] | @tsv' "$T/requests.log" | awk -F'\t' '
        { n[$1]++; t[$1, n[$1]] = $2 }
        END { for (p in n) { j = 1; for (i = 1; i <= n[p]; i++) {
                  while (t[p, i] - t[p, j] >= 2000) j++
                  if (i - j + 1 > m[p]) m[p] = i - j + 1 }
              printf "%s %d\n", p, m[p] } }' | sort)
    echo "$worst"
    echo "$worst" | awk '$1 ~ /history-candles/ && $2 > 20 { exit 1 } $1 ~ /market\/candles$/ && $2 > 40 { exit 1 }'
    run grep -c '"status":429' "$T/requests.log"
    assert_output 0
}

@test "429/50011 and 500 answers are retried with backoff; the output is still complete" {
    start_fake --fault-50011-every 4 --fault-500-every 7
    run --separate-stderr okx-stream --rest-url "$URL" --symbols ETH-USDT --since 2021-04-02
    assert_success
    [ "${#lines[@]}" -eq 3000 ]
    [[ "$stderr" == *"50011"*"retry 1 of 5"* ]] || fail "$stderr"
    [[ "$stderr" == *"50026"* ]] || fail "$stderr"
}

@test "an unreachable OKX is exit 5 after the retries, with a message saying so" {
    start_fake
    kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=
    run okx-stream --rest-url "$URL" --symbols ETH-USDT --backfill 1h --retries 1 --store "$T/s.db"
    assert_failure 5
    assert_output --partial "no answer from $URL"
    assert_output --partial "retry 1 of 1"
    # OKX's clock is asked before the run begins: no store, so no row left "running".
    [ ! -e "$T/s.db" ]
}

@test "symbols are checked against OKX's instrument list before any candle is asked for" {
    start_fake
    run okx-stream --rest-url "$URL" --symbols SOL-USDT --backfill 1h --store "$T/s.db"
    assert_failure 2
    assert_output --partial "SOL-USDT is not an OKX instrument"
    run sqlite3 "$T/s.db" "SELECT status, ended_ms IS NOT NULL, count FROM runs WHERE tool = 'okx-stream'"
    assert_output "failed|1|0"
    run okx-stream --rest-url "$URL" --symbols BTC-USDC --backfill 1h
    assert_failure 2
    assert_output --partial "BTC-USDC is not an OKX instrument (OKX lists BTC-USDT)"
    run grep -c market "$T/requests.log"
    assert_output 0
}

@test "--store keeps the fetched candles and the run; a second fetch is idempotent" {
    start_fake
    okx-stream --rest-url "$URL" --symbols BTC-USDT,ETH-USDT --backfill 3h --store "$T/s.db" --run h1 > /dev/null
    okx-stream --rest-url "$URL" --symbols BTC-USDT --backfill 3h --store "$T/s.db" --run h2 > /dev/null
    run sqlite3 "$T/s.db" "SELECT inst, COUNT(*), MIN(source) FROM candles GROUP BY inst; SELECT run_id, status, count FROM runs ORDER BY 1;"
    assert_output $'BTC-USDT|180|okx:rest\nETH-USDT|180|okx:rest\nh1|ok|360\nh2|ok|180'
    run sqlite3 "$T/s.db" "SELECT inst, inst_type, state FROM instruments ORDER BY inst"
    assert_output $'BTC-USDT|SPOT|live\nETH-USDT|SPOT|live'
}

@test "fetch options are checked before anything is sent" {
    run okx-stream --symbols BTC-USDT --backfill soon
    assert_failure 2
    assert_output --partial "--backfill wants a duration"
    run okx-stream --symbols "BTC USDT!" --backfill 1h
    assert_failure 2
    run okx-stream --replay x.csv --backfill 1h
    assert_failure 2
    assert_output --partial "one or the other"
}

@test "--record keeps a tape; --replay of the tape gives byte-identical output, offline" {
    start_fake --history-limit 100 --fault-50011-every 5
    okx-stream --rest-url "$URL" --symbols BTC-USDT,ETH-USDT --since 2021-04-03 \
        --record "$T/tape.ndjson" > "$T/live" 2> "$T/live.err"
    kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=
    [ "$(wc -l < "$T/live")" -gt 3000 ]
    head -1 "$T/tape.ndjson" | jq -e '.tape == "header" and .mode == "history" and .args.symbols == ["BTC-USDT","ETH-USDT"]'
    # Every REST answer is on the tape, the 429s included.
    [ "$(grep -c '"tape":"rest"' "$T/tape.ndjson")" -eq "$(($(wc -l < "$T/tape.ndjson") - 1))" ]
    grep -q '"status":429' "$T/tape.ndjson"
    okx-stream --replay "$T/tape.ndjson" > "$T/replayed" 2> "$T/replayed.err"
    cmp "$T/live" "$T/replayed"
    cmp "$T/live.err" "$T/replayed.err"
}

@test "a tape replayed with other expectations fails clearly" {
    printf '%s\n' '{"tape":"header","recv_ts":1,"tool":"okx-stream","mode":"history","args":{"symbols":["BTC-USDT"],"bar":"1m","since":1617408000000}}' > "$T/short.ndjson"
    run okx-stream --replay "$T/short.ndjson"
    assert_failure 1
    assert_output --partial "tape: no recorded answer for GET /api/v5/public/time"
}
