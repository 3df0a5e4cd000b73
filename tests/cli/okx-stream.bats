#!/usr/bin/env bats
# okx-stream's contract: options, replay order and content, bad input, signals, store, config.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
}

# Prints the rows of a sample file as the candle messages they must become, with plain awk:
# an independent reference for the conversion (the CSV numbers are already in shortest form).
expected_ndjson() { # FILE INST BAR
    awk -F, -v inst="$2" -v bar="$3" 'NR > 1 {
        printf "{\"type\":\"candle\",\"v\":1,\"ts\":%s,\"inst\":\"%s\",\"bar\":\"%s\",\"o\":%s,\"h\":%s,\"l\":%s,\"c\":%s,\"vol\":%s,\"confirm\":true}\n", $1, inst, bar, $2, $3, $4, $5, $6
    }' "$1"
}

@test "--help describes the tool and exits 0" {
    run okx-stream --help
    assert_success
    assert_output --partial "Usage: okx-stream --replay FILE..."
    assert_output --partial "--strict"
    assert_output --partial "Exit status"
}

@test "--version prints the version" {
    run okx-stream --version
    assert_success
    assert_output --regexp '^okx-stream \(okxkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "an unknown option is a usage error (exit 2) that points to --help" {
    run okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --frobnicate
    assert_failure 2
    assert_output --partial "okx-stream: error:"
    assert_output --partial "--help"
}

@test "no input is a usage error that says what to give" {
    run okx-stream
    assert_failure 2
    assert_output --partial "--replay FILE"
}

@test "a missing file fails with exit 1 naming the file" {
    run okx-stream --replay "$T/nope_1m.csv"
    assert_failure 1
    assert_output --partial "nope_1m.csv: cannot open"
}

@test "a bad --from, --bar or --speed is a usage error" {
    run okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from yesterday
    assert_failure 2
    assert_output --partial "--from wants a time"
    run okx-stream --replay - --inst BTC-USDT --bar 7m </dev/null
    assert_failure 2
    assert_output --partial "--bar wants an OKX bar: 1m 3m 5m"
    run okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --speed fast
    assert_failure 2
    assert_output --partial "wants a number"
}

@test "one file: every row becomes exactly the candle message the reference computes" {
    expected_ndjson "$SAMPLES/ETH-USDT_5m.csv" ETH-USDT 5m > "$T/want"
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" > "$T/got"
    cmp "$T/want" "$T/got"
}

@test "several files merge into one stream ordered by time, then instrument" {
    okx-stream --replay "$SAMPLES/XRP-USDT_5m.csv" "$SAMPLES/BTC-USDT_5m.csv" \
        "$SAMPLES/ETH-USDT_5m.csv" > "$T/got"
    # Same multiset of lines as the three single-file conversions...
    for s in XRP BTC ETH; do expected_ndjson "$SAMPLES/$s-USDT_5m.csv" $s-USDT 5m; done |
        sort > "$T/want.sorted"
    sort "$T/got" | cmp - "$T/want.sorted"
    # ...in (ts, inst) order.
    jq -r '"\(.ts) \(.inst)"' "$T/got" > "$T/keys"
    sort -k1,1n -k2,2 -c "$T/keys"
    run awk 'NR <= 3 { print $2 }' "$T/keys"
    assert_output $'BTC-USDT\nETH-USDT\nXRP-USDT'
}

@test "the output is byte-identical from run to run" {
    okx-stream --replay "$SAMPLES"/*.csv > "$T/a"
    okx-stream --replay "$SAMPLES"/*.csv > "$T/b"
    cmp "$T/a" "$T/b"
    [ "$(wc -l < "$T/a")" -eq $(( $(cat "$SAMPLES"/*.csv | wc -l) - 8 )) ]
}

@test "--from is inclusive, --to exclusive, both in ms or ISO-8601" {
    run okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-10T00:00:00Z \
        --to 1618020000000
    assert_success
    [ "${#lines[@]}" -eq 24 ] # 2 hours of 5m bars
    assert_line --index 0 --partial '"ts":1618012800000'
    assert_line --index 23 --partial '"ts":1618019700000'
    run okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-10T02:00 --to 2021-04-10
    assert_failure 2
}

@test "stdin: - with --inst and --bar; instrument names are normalised" {
    run okx-stream --replay - --inst btcusdt --bar 5m < "$SAMPLES/BTC-USDT_5m.csv"
    assert_success
    assert_line --index 0 --partial '"inst":"BTC-USDT","bar":"5m"'
    run okx-stream --replay - < "$SAMPLES/BTC-USDT_5m.csv"
    assert_failure 2
    assert_output --partial "pass --inst and --bar"
}

@test "lower-case bars in file names map to OKX names" {
    head -3 "$SAMPLES/BTC-USDT_5m.csv" > "$T/BTCUSDT_1h.csv"
    head -3 "$SAMPLES/BTC-USDT_5m.csv" > "$T/ETH_USDT_1d.csv"
    run okx-stream --replay "$T/BTCUSDT_1h.csv" "$T/ETH_USDT_1d.csv"
    assert_success
    assert_line --index 0 --partial '"inst":"BTC-USDT","bar":"1H"'
    assert_line --index 1 --partial '"inst":"ETH-USDT","bar":"1Dutc"'
}

@test "CSV times in seconds, microseconds or nanoseconds are converted with a warning; a mixed file is not" {
    head -50 "$SAMPLES/BTC-USDT_5m.csv" >"$T/ms.csv"
    okx-stream --replay "$T/ms.csv" --inst BTC-USDT --bar 5m >"$T/expected"
    local unit div
    for unit in seconds:0.001 microseconds:1000 nanoseconds:1000000; do
        div=${unit#*:}
        awk -F, -v OFS=, -v m="$div" 'NR == 1 { print; next } { $1 = sprintf("%.0f", $1 * m); print }' \
            "$T/ms.csv" >"$T/BTC-USDT_5m.csv"
        run --separate-stderr okx-stream --replay "$T/BTC-USDT_5m.csv"
        assert_success
        cmp "$T/expected" <(printf '%s\n' "$output")
        [[ $stderr == *"BTC-USDT_5m.csv:2: ts_ms "*" is in ${unit%%:*}, not milliseconds: reading this file's times as ${unit%%:*} (the first row is 2021-04-01T00:00:00Z)"* ]] ||
            fail "$stderr"
    done
    # A row in milliseconds after rows in seconds is a bad line, not a candle of 1970 or 5138.
    awk -F, -v OFS=, 'NR == 1 { print; next } NR == 10 { print; next } { $1 = $1 / 1000; print }' \
        "$T/ms.csv" >"$T/BTC-USDT_5m.csv"
    run --separate-stderr okx-stream --replay "$T/BTC-USDT_5m.csv"
    assert_success
    [[ $stderr == *"BTC-USDT_5m.csv:10: ts_ms \"1617237600000\" looks like milliseconds but this file's first row was in seconds: one file, one unit"* ]] ||
        fail "$stderr"
    [ "${#lines[@]}" -eq 48 ]
}

# A sample file as freqtrade's json data format writes it: one line, one JSON array of rows
# [ts_ms, open, high, low, close, volume], integral prices with ".0" as pandas prints them.
freqtrade_json() { # CSV ROWS
    awk -F, -v rows="$2" 'NR > 1 && NR <= rows + 1 {
        printf "%s[%s", (NR > 2 ? "," : "["), $1
        for (i = 2; i <= 6; i++) printf ",%s", ($i ~ /\./ ? $i : $i ".0")
        printf "]"
    } END { print "]" }' "$1"
}

@test "freqtrade's JSON candle files replay like the CSV they came from" {
    mkdir -p "$T/user_data/data/okx"
    freqtrade_json "$SAMPLES/BTC-USDT_5m.csv" 300 >"$T/user_data/data/okx/BTC_USDT-5m.json"
    freqtrade_json "$SAMPLES/ETH-USDT_5m.csv" 300 >"$T/user_data/data/okx/ETH_USDT-5m.json"
    [ "$(wc -l <"$T/user_data/data/okx/BTC_USDT-5m.json")" -eq 1 ]
    head -301 "$SAMPLES/BTC-USDT_5m.csv" >"$T/BTC-USDT_5m.csv"
    head -301 "$SAMPLES/ETH-USDT_5m.csv" >"$T/ETH-USDT_5m.csv"
    okx-stream --replay "$T/BTC-USDT_5m.csv" "$T/ETH-USDT_5m.csv" >"$T/from-csv"
    run --separate-stderr okx-stream --replay "$T"/user_data/data/okx/*.json --store "$T/s.db"
    assert_success
    [ -z "$stderr" ] || fail "$stderr"
    cmp "$T/from-csv" <(printf '%s\n' "$output")
    run sqlite3 "$T/s.db" "SELECT count(*), min(source) FROM candles"
    assert_output "600|replay:BTC_USDT-5m.json"
    # Bars from freqtrade's time frames; a futures file needs --inst.
    cp "$T/user_data/data/okx/BTC_USDT-5m.json" "$T/BTC_USDT-1h.json"
    run okx-stream --replay "$T/BTC_USDT-1h.json"
    assert_line --index 0 --partial '"inst":"BTC-USDT","bar":"1H"'
    cp "$T/user_data/data/okx/BTC_USDT-5m.json" "$T/BTC_USDT_USDT-5m-futures.json"
    run okx-stream --replay "$T/BTC_USDT_USDT-5m-futures.json"
    assert_failure 2
    assert_output --partial "pass --inst and --bar"
    # Formats this build cannot read are refused with the command that converts them.
    touch "$T/BTC_USDT-5m.feather"
    run okx-stream --replay "$T/BTC_USDT-5m.feather"
    assert_failure 2
    assert_output --partial "freqtrade convert-data --format-from feather --format-to json"
}

@test "a bad row of a freqtrade file is skipped with its row number; a broken file stops there" {
    printf '[[1617235200000,1.0,2.0,0.5,1.5,3.0],[1617235500000,1.0,0.5,0.9,1.0,1.0],[1617235800000,1,1,1,1],[1617236100000,1,1,1,1,1]]\n' \
        >"$T/BTC_USDT-5m.json"
    run --separate-stderr okx-stream --replay "$T/BTC_USDT-5m.json"
    assert_success
    [ "${#lines[@]}" -eq 2 ]
    [[ $stderr == *"BTC_USDT-5m.json:1: row 2: "* ]] || fail "$stderr"
    [[ $stderr == *"BTC_USDT-5m.json:1: row 3: expected 6 values (ts_ms, open, high, low, close, volume), found 5"* ]] ||
        fail "$stderr"
    # Cut off in the middle (a download that died): the rows before the cut are replayed.
    printf '[[1617235200000,1.0,2.0,0.5,1.5,3.0],[1617235500000,1.0,2.0,0.5,1' >"$T/BTC_USDT-5m.json"
    run --separate-stderr okx-stream --replay "$T/BTC_USDT-5m.json"
    assert_success
    [ "${#lines[@]}" -eq 1 ]
    [[ $stderr == *"row 2: the file ends before its array does (cut off?); the rows before it were read"* ]] || fail "$stderr"
    printf '[["x"]]' >"$T/BTC_USDT-5m.json"
    run --separate-stderr okx-stream --replay "$T/BTC_USDT-5m.json"
    assert_failure 3
    [[ $stderr == *"row 1: expected a number at byte 3"* ]] || fail "$stderr"
}

@test "NDJSON input passes through byte for byte, in time order with CSV input" {
    cat > "$T/rec.ndjson" <<'NDJSON'
{"type":"candle","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"5m","o":1,"h":2,"l":0.5,"c":1.5,"vol":3,"confirm":false,"extra":"kept"}
{"type":"news","v":1,"ts":1617235250000,"headline":"x","source":"y","symbols":["BTC-USDT"]}
{"type":"candle","v":1,"ts":1617235500000,"inst":"SOL-USDT","bar":"5m","o":1,"h":2,"l":0.5,"c":1.5,"vol":3,"confirm":true,   "extra":{"a":[1,2]}}
{"type":"mystery","v":7,"ts":1617235500001}
NDJSON
    head -3 "$SAMPLES/BTC-USDT_5m.csv" > "$T/BTC-USDT_5m.csv"
    run okx-stream --replay "$T/rec.ndjson" "$T/BTC-USDT_5m.csv"
    assert_success
    assert_equal "${#lines[@]}" 6
    assert_equal "${lines[0]}" "$(sed -n 1p "$T/rec.ndjson")"
    assert_line --index 1 --partial '"ts":1617235200000,"inst":"BTC-USDT","bar":"5m","o":58739.46'
    assert_equal "${lines[2]}" "$(sed -n 2p "$T/rec.ndjson")"
    assert_line --index 3 --partial '"ts":1617235500000,"inst":"BTC-USDT"'
    assert_equal "${lines[4]}" "$(sed -n 3p "$T/rec.ndjson")"
    assert_equal "${lines[5]}" "$(sed -n 4p "$T/rec.ndjson")"
}

@test "NDJSON lines that are not messages get file:line diagnostics and are skipped" {
    printf '%s\n' '{"type":"candle","v":1,"ts":1,"inst":"BTC-USDT","bar":"1m","o":1,"h":1,"l":1,"c":1,"vol":0,"confirm":true}' \
        'not json' '{"type":"candle","v":1,"inst":"BTC-USDT"}' \
        '{"type":"candle","v":1,"ts":2,"inst":"BTC-USDT","bar":"1h","o":1,"h":1,"l":1,"c":1,"vol":0,"confirm":true}' \
        '{"type":"candle","v":1,"ts":3,"inst":"BTC-USDT","bar":"1m","o":1,"h":0.5,"l":1,"c":1,"vol":0,"confirm":true}' \
        '{"type":"candle","v":1,"ts":4,"inst":"BTC-USDT","bar":"1m","o":1,"h":1,"l":1,"c":1,"vol":0,"confirm":true}' > "$T/m.ndjson"
    run okx-stream --replay "$T/m.ndjson"
    assert_success
    assert_output --partial "m.ndjson:2: not valid JSON"
    assert_output --partial 'm.ndjson:3: missing field "ts"'
    assert_output --partial 'm.ndjson:4: bar "1h" is not an OKX bar name (OKX spells it 1H)'
    assert_output --partial "m.ndjson:5: high is below low"
    run okx-stream --replay "$T/m.ndjson" -q
    assert_equal "${#lines[@]}" 6 # 2 candles + 4 errors
}

# name  bad-line  message  good-rows-in-skip-mode  good-rows-before-the-bad-line
corpus_cases() {
    cat <<'CASES'
truncated.csv|4|expected 6 fields, found 3|4|2
truncated-last.csv|5|expected 6 fields, found 3|3|3
non-numeric.csv|4|high is not a number: "abc"|4|2
nan.csv|4|close is not a finite number|4|2
negative-volume.csv|4|volume must not be negative|4|2
high-below-low.csv|4|high is below low|4|2
duplicate-ts.csv|4|duplicate candle: BTC-USDT 1m at 1617321660000|4|2
out-of-order.csv|5|time goes back: ts 1617321630000|4|3
missing-header.csv|1|missing header|4|0
empty.csv|1|empty input|0|0
binary-garbage.csv|4|expected 6 fields, found 2|4|2
blank-line.csv|4|expected 6 fields, found 1 (empty line)|4|2
header-without-low.csv|1|header "ts_ms,open,high,close,volume" has no column "low"|0|0
CASES
}

@test "bad-input corpus: each bad line gets file:line and a reason, good rows still flow (exit 0; 3 when none is left)" {
    while IFS='|' read -r name line msg good _; do
        run okx-stream --replay "$CORPUS/$name" --inst BTC-USDT --bar 1m
        if [ "$good" -eq 0 ]; then
            assert_failure 3
            assert_output --partial "okx-stream: error: nothing usable in the input"
        else
            assert_success
        fi
        assert_output --partial "okx-stream: error: $CORPUS/$name:$line: $msg"
        n=$(okx-stream --replay "$CORPUS/$name" --inst BTC-USDT --bar 1m 2>/dev/null | wc -l)
        [ "$n" -eq "$good" ] || fail "$name: $n good rows, want $good"
    done < <(corpus_cases)
}

@test "bad-input corpus under --strict: exit 3, the rows before the bad line are kept" {
    while IFS='|' read -r name line msg _ before; do
        run okx-stream --replay "$CORPUS/$name" --inst BTC-USDT --bar 1m --strict
        assert_failure 3
        assert_output --partial "$CORPUS/$name:$line: $msg"
        assert_output --partial "stopped at the first malformed line (--strict)"
        n=$(okx-stream --replay "$CORPUS/$name" --inst BTC-USDT --bar 1m --strict 2>/dev/null | wc -l)
        [ "$n" -eq "$before" ] || fail "$name: $n rows before the stop, want $before"
    done < <(corpus_cases)
}

@test "a 2 MiB line is reported and skipped; the rows around it survive" {
    { sed -n 1,3p "$SAMPLES/BTC-USDT_5m.csv"
      head -c 2097152 /dev/zero | tr '\0' '7'; echo
      sed -n 4,5p "$SAMPLES/BTC-USDT_5m.csv"; } > "$T/BTC-USDT_5m.csv"
    run okx-stream --replay "$T/BTC-USDT_5m.csv"
    assert_success
    assert_line --index 0 "okx-stream: error: $T/BTC-USDT_5m.csv:4: line longer than 1048576 bytes (see --max-line)"
    run okx-stream --replay "$T/BTC-USDT_5m.csv" -q
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '"type":"candle"')" 4
    run okx-stream --replay "$T/BTC-USDT_5m.csv" --max-line 4194304 --strict
    assert_failure 3
    assert_output --partial "BTC-USDT_5m.csv:4: expected 6 fields, found 1"
}

@test "diagnostics beyond 20 per file are counted, not printed" {
    { head -2 "$SAMPLES/BTC-USDT_5m.csv"; for i in $(seq 1 50); do echo "junk$i"; done; } > "$T/BTC-USDT_5m.csv"
    run okx-stream --replay "$T/BTC-USDT_5m.csv"
    assert_success
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c 'expected 6 fields')" 20
    assert_output --partial "30 more malformed lines not shown (50 in all)"
}

@test "--log-json writes diagnostics as JSON lines with file and line" {
    run --separate-stderr okx-stream --replay "$CORPUS/nan.csv" --inst BTC-USDT --bar 1m --log-json
    assert_success
    echo "$stderr" | head -1 | jq -e '.tool == "okx-stream" and .level == "error" and .line == 4 and (.file | endswith("nan.csv"))'
}

@test "okx-stream | head -1 exits quietly (dies of SIGPIPE, nothing on stderr)" {
    run bash -c 'set -o pipefail; okx-stream --replay "$0"/*.csv 2>"$1" | head -1 >/dev/null' "$SAMPLES" "$T/err"
    assert_failure 141
    [ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
}

@test "a broken pipe during a --store replay commits what was stored and says so in the run" {
    run bash -c 'okx-stream --replay "$0"/*.csv --store "$1" --run pipe | head -1 >/dev/null' "$SAMPLES" "$T/s.db"
    assert_success
    run sqlite3 "$T/s.db" "PRAGMA integrity_check; SELECT status, count > 0 FROM runs WHERE run_id='pipe'; SELECT COUNT(*) >= (SELECT count FROM runs) FROM candles;"
    assert_output $'ok\nbroken-pipe|1\n1'
}

# Waits until FILE has at least N lines: the tool has read, written and flushed them (it
# flushes whenever its next read would wait). A bound, not a timing: only a stuck tool meets it.
wait_lines() { # FILE N
    for _ in $(seq 600); do [ "$(wc -l < "$1")" -ge "$2" ] && return 0; sleep 0.1; done
    fail "$1 has $(wc -l < "$1") lines after 60 s, want $2"
}

# A replay into a store, stopped by SIG while it waits for more input after 100 candles: the
# exit status, the candles written and stored, and the run recorded as interrupted, which
# only an orderly exit does (a process killed by the signal's default action leaves the run
# "running" and its last batch uncommitted).
interrupted_replay() { # SIG STATUS
    mkfifo "$T/fifo"
    okx-stream --replay - --inst BTC-USDT --bar 5m --store "$T/s.db" --run sig < "$T/fifo" \
        > "$T/out" 2> "$T/err" &
    pid=$!
    exec 7> "$T/fifo"
    head -101 "$SAMPLES/BTC-USDT_5m.csv" >&7
    wait_lines "$T/out" 100
    kill -"$1" $pid
    status=0
    wait $pid || status=$?
    exec 7>&-
    [ "$status" -eq "$2" ] || fail "exit $status: $(cat "$T/err")"
    [ "$(wc -l < "$T/out")" -eq 100 ]
    run sqlite3 "$T/s.db" "PRAGMA integrity_check; SELECT COUNT(*) FROM candles; SELECT status || ' ' || count FROM runs WHERE run_id='sig';"
    assert_output $'ok\n100\ninterrupted 100'
}

@test "SIGINT during a --store replay: exit 130, store consistent, every emitted candle stored" {
    interrupted_replay INT 130
}

@test "SIGTERM during a --store replay: exit 143 after writing and committing, like SIGINT" {
    interrupted_replay TERM 143
}

@test "SIGINT while waiting on an idle stdin exits 130 at once" {
    mkfifo "$T/fifo"
    okx-stream --replay - --inst BTC-USDT --bar 5m < "$T/fifo" > "$T/out" &
    pid=$!
    exec 7> "$T/fifo"
    head -2 "$SAMPLES/BTC-USDT_5m.csv" >&7
    wait_lines "$T/out" 1
    kill -INT $pid
    status=0
    wait $pid || status=$?
    exec 7>&-
    [ "$status" -eq 130 ]
    [ "$(wc -l < "$T/out")" -eq 1 ]
}

@test "output is flushed as soon as the input would block (live latency)" {
    mkfifo "$T/fifo"
    okx-stream --replay - --inst BTC-USDT --bar 5m < "$T/fifo" > "$T/out" &
    pid=$!
    exec 7> "$T/fifo"
    head -3 "$SAMPLES/BTC-USDT_5m.csv" >&7
    for _ in $(seq 50); do [ -s "$T/out" ] && break; sleep 0.1; done
    lines_seen=$(wc -l < "$T/out")
    exec 7>&-
    wait $pid
    [ "$lines_seen" -eq 2 ]
}

@test "--store upserts candles idempotently and records the run" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --store "$T/s.db" --run r1 > /dev/null
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --store "$T/s.db" --run r2 > /dev/null
    run sqlite3 "$T/s.db" "SELECT inst, COUNT(*) FROM candles GROUP BY inst; SELECT run_id, status, count FROM runs ORDER BY run_id;"
    assert_output $'BTC-USDT|8554\nETH-USDT|8554\nr1|ok|17108\nr2|ok|8554'
    run sqlite3 "$T/s.db" "SELECT source FROM candles WHERE inst='ETH-USDT' LIMIT 1; PRAGMA journal_mode;"
    assert_output $'replay:ETH-USDT_5m.csv\nwal'
}

@test "OKXKIT_STORE names the store when --store is not given" {
    OKXKIT_STORE=$T/env.db okx-stream --replay "$SAMPLES/ADA-USDT_5m.csv" > /dev/null
    run sqlite3 "$T/env.db" "SELECT COUNT(*) FROM candles"
    assert_output 8554
}

@test "two replays writing one store at once both succeed" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" "$SAMPLES/ADA-USDT_5m.csv" "$SAMPLES/BNB-USDT_5m.csv" --store "$T/s.db" --run a > /dev/null &
    a=$!
    okx-stream --replay "$SAMPLES/DOT-USDT_5m.csv" "$SAMPLES/LINK-USDT_5m.csv" "$SAMPLES/LTC-USDT_5m.csv" "$SAMPLES/XRP-USDT_5m.csv" --store "$T/s.db" --run b > /dev/null &
    b=$!
    wait $a
    wait $b
    run sqlite3 "$T/s.db" "SELECT COUNT(*) FROM candles; SELECT COUNT(*) FROM runs WHERE status='ok';"
    assert_output $'68432\n2'
}

@test "config file: values apply, CLI wins, unknown keys are warned with file:line" {
    cat > "$T/c.toml" <<'TOML'
[replay]
source = "archive"
speeed = 3
[store]
path = "~/from-config.db"
TOML
    HOME=$T run okx-stream --config "$T/c.toml" --replay "$SAMPLES/LTC-USDT_5m.csv" --to 2021-04-01T00:10Z
    assert_success
    assert_output --partial "okx-stream: warning: $T/c.toml:3: unknown key \"replay.speeed\""
    run sqlite3 "$T/from-config.db" "SELECT COUNT(*), source FROM candles"
    assert_output "2|archive"
    HOME=$T run okx-stream --config "$T/c.toml" --replay "$SAMPLES/LTC-USDT_5m.csv" --to 2021-04-01T00:10Z --source cli --store "$T/cli.db"
    run sqlite3 "$T/cli.db" "SELECT source FROM candles LIMIT 1"
    assert_output "cli"
}

@test "config file errors are usage errors with file:line" {
    printf '[replay]\nspeed = "fast"\n' > "$T/bad.toml"
    run okx-stream --config "$T/bad.toml" --replay "$SAMPLES/BTC-USDT_5m.csv"
    assert_failure 2
    assert_output --partial "$T/bad.toml:2: key \"replay.speed\" must be a number"
    printf '[replay\n' > "$T/syntax.toml"
    run okx-stream --config "$T/syntax.toml" --replay "$SAMPLES/BTC-USDT_5m.csv"
    assert_failure 2
    assert_output --partial "$T/syntax.toml:1:"
    run okx-stream --config "$T/none.toml" --replay "$SAMPLES/BTC-USDT_5m.csv"
    assert_failure 2
    assert_output --partial "no such file"
}

@test "--speed paces by event time" {
    # 12 bars of 5 minutes = 55 minutes of event time between first and last; at 3300x: ~1 s.
    start=$(date +%s%N)
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T01:00Z --speed 3300 > /dev/null
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    # Pacing can only be late on a loaded machine, never early: the floor is what is tested.
    [ "$ms" -ge 900 ] && [ "$ms" -lt 60000 ] || fail "took $ms ms"
}

@test "a paced --store replay commits while it runs, not only at the end" {
    # Two days of 5m bars at 2880x take a minute: far longer than the first commit (a second
    # of wall time). The old batch of 2,000 rows would hold all 576 until the end.
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-29 --speed 2880 \
        --store "$T/s.db" >/dev/null 2>"$T/err" &
    local pid=$! n=0
    while kill -0 "$pid" 2>/dev/null; do
        n=$(sqlite3 "$T/s.db" "SELECT count(*) FROM candles" 2>/dev/null || echo 0)
        [ "${n:-0}" -gt 0 ] && break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null || fail "the replay ended before any commit was seen"
    kill -TERM "$pid"
    wait "$pid" || true
    [ "$n" -gt 0 ] && [ "$n" -lt 576 ] || fail "$n candles"
}

@test "progress and a summary on a terminal; nothing in a pipe unless -v" {
    command -v script >/dev/null || skip "no script(1) to give okx-stream a terminal"
    script -qec "okx-stream --replay '$SAMPLES/BTC-USDT_5m.csv' --from 2021-04-30T20:00Z --speed 7200 >/dev/null" \
        /dev/null >"$T/tty"
    # The status line is redrawn in place (carriage returns, no newline), then cleared; the
    # summary is one line.
    tr '\r' '\n' <"$T/tty" | grep -q "^okx-stream: replay [0-9]*% at 2021-04-30T2" || fail "$(cat -v "$T/tty")"
    grep -q "okx-stream: note: replayed 48 lines (48 candles) from 1 input in " "$T/tty" || fail "$(cat -v "$T/tty")"
    # Not a terminal: silent; -v: the summary.
    run --separate-stderr okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-30T20:00Z
    assert_success
    [ -z "$stderr" ] || fail "$stderr"
    run --separate-stderr okx-stream -v --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-30T20:00Z
    [[ $stderr == *"note: replayed 48 lines (48 candles) from 1 input in "* ]] || fail "$stderr"
}

@test "a --store replay blocked on its reader holds no lock: the next stage can write the store" {
    # The reader takes the store's write lock while okx-stream waits on the full pipe, as
    # predict --store does to record its run. Were a transaction held across that wait, the two
    # would wait on each other until the busy timeout ("database is locked").
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --store "$T/s.db" |
        {
            IFS= read -r first
            sqlite3 -cmd ".timeout 20000" "$T/s.db" "BEGIN IMMEDIATE; COMMIT;" && echo "lock taken"
            cat >/dev/null
        } >"$T/out" 2>&1
    assert_equal "$(cat "$T/out")" "lock taken"
    run sqlite3 "$T/s.db" "SELECT count(*) FROM candles"
    assert_output 17108
}
