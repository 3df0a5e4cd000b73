#!/usr/bin/env bats
# Hostile input found by fuzzing (issue 11), kept as regressions: no crash, nothing that is
# not valid UTF-8 NDJSON on stdout, and diagnostics that name the file and line, say what was
# expected and quote at most a short excerpt.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
    cd "$T"
}

row='1617235200000,58739.46,59093,58720.82,59061.14,359.123687'

@test "a CSV whose first line is longer than --max-line: reported, the rows after it replayed" {
    # The case fuzzing found (a SIGSEGV before the fix).
    printf 'xxxxxxxxxxxxxxxxx\n1,1,1,1,1,1\n' >BTC-USDT_1m.csv
    run --separate-stderr okx-stream --replay BTC-USDT_1m.csv --max-line 16
    assert_success
    assert_output '{"type":"candle","v":1,"ts":1,"inst":"BTC-USDT","bar":"1m","o":1,"h":1,"l":1,"c":1,"vol":1,"confirm":true}'
    [[ $stderr == *"BTC-USDT_1m.csv:1: line longer than 16 bytes (see --max-line)"* ]] || fail "$stderr"
    [[ $stderr == *"BTC-USDT_1m.csv:2: missing header"* ]] || fail "$stderr"
    # The same through stdin, with a header after the long line, and next to a second file.
    printf 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nts,o,h,l,c,vol\n1,1,1,1,1,1\n' >in.csv
    run --separate-stderr okx-stream --replay - --inst ETH-USDT --bar 1m --max-line 16 <in.csv
    assert_success
    assert_output --partial '"inst":"ETH-USDT"'
    [[ $stderr != *"missing header"* ]] || fail "$stderr"
    cp BTC-USDT_1m.csv ETH-USDT_1m.csv
    run --separate-stderr okx-stream --replay BTC-USDT_1m.csv ETH-USDT_1m.csv --max-line 16
    assert_success
    [ "${#lines[@]}" -eq 2 ]
}

@test "a CSV header of more than 32 columns makes the file unusable, with a message (no crash)" {
    cd "$BATS_TEST_TMPDIR"
    { printf 'ts_ms,open,high,low,close'; for i in $(seq 85); do printf ',x%d' "$i"; done
      printf ',volume\n'; } >BTC-USDT_1m.csv
    run --separate-stderr okx-stream --replay BTC-USDT_1m.csv
    [ "$status" -eq 3 ] || fail "exit $status: $stderr"
    [[ $stderr == *"has 91 columns, more than the 32 okx-stream reads: skipping this file"* ]] ||
        fail "$stderr"
}

@test "a first line just over the default limit (1 MiB) does not crash either" {
    { head -c 1048577 /dev/zero | tr '\0' 'x'; echo; echo "$row"; } >BTC-USDT_5m.csv
    run --separate-stderr okx-stream --replay BTC-USDT_5m.csv
    assert_success
    [ "${#lines[@]}" -eq 1 ]
    [[ $stderr == *"BTC-USDT_5m.csv:1: line longer than 1048576 bytes"* ]] || fail "$stderr"
    run --separate-stderr okx-stream --replay - --inst BTC-USDT --bar 5m <BTC-USDT_5m.csv
    assert_success
    [ "${#lines[@]}" -eq 1 ]
}

@test "--replay drops a byte order mark at the start of a file with a note, refuses one later" {
    local gap='{"type":"gap","v":1,"ts":5,"inst":"BTC-USDT","bar":"1m","from":1,"to":9,"cause":"missing"}'
    { printf '\xef\xbb\xbf%s\n' "$gap"; printf '\xef\xbb\xbf%s\n' "${gap/\"ts\":5/\"ts\":6}"; } >x.ndjson
    run --separate-stderr okx-stream --replay x.ndjson -v
    assert_success
    assert_output "$gap"
    [[ $stderr == *"x.ndjson:1: byte order mark at the start of the input dropped"* ]] || fail "$stderr"
    [[ $stderr == *"x.ndjson:2: byte order mark (U+FEFF) inside the input"* ]] || fail "$stderr"
    # A CSV header with one (as spreadsheets save it) still names its columns.
    printf '\xef\xbb\xbfts,open,high,low,close,volume\n%s\n' "$row" >BTC-USDT_1m.csv
    run --separate-stderr okx-stream --replay BTC-USDT_1m.csv
    assert_success
    [ "${#lines[@]}" -eq 1 ]
    [[ $stderr != *"missing header"* ]] || fail "$stderr"
}

@test "featurize and --replay agree: numbers outside the JSON grammar are refused by both" {
    local good='{"type":"candle","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"1m","o":1,"h":2,"l":1,"c":2,"vol":5,"confirm":true}'
    for n in .5 5. 5.e3 05 +5 NaN Infinity 0x5; do
        echo "${good/\"vol\":5/\"vol\":$n}"
    done >bad.ndjson
    run --separate-stderr featurize <bad.ndjson
    assert_failure 3 # every line rejected: nothing usable
    assert_output ''
    [ "$(grep -c 'featurize: error: line' <<<"$stderr")" -eq 8 ] || fail "$stderr"
    run --separate-stderr okx-stream --replay bad.ndjson
    assert_failure 3
    assert_output ''
    [ "$(grep -c 'bad.ndjson:[0-9]*: not valid JSON' <<<"$stderr")" -eq 8 ] || fail "$stderr"
}

header='{"tape":"header","recv_ts":1,"tool":"okx-stream","mode":"live","args":{"symbols":["BTC-USDT"],"channels":["books"]}}'

@test "a malformed tape header is exit 2 naming the file, line and field, without library text" {
    echo "${header/\[\"BTC-USDT\"\]/{\}}" >t.tape
    run --separate-stderr okx-stream --replay t.tape
    assert_failure 2
    [[ $stderr == *'t.tape:1: tape header field "args.symbols" must be an array of strings of at most 64 bytes, found an object'* ]] || fail "$stderr"
    [[ $stderr != *json.exception* ]] || fail "$stderr"
    # An oversized value is quoted as a short excerpt, never whole.
    long=$(head -c 100000 /dev/zero | tr '\0' 'y')
    echo "${header/\"mode\":\"live\"/\"mode\":\"$long\"}" >t.tape
    run --separate-stderr okx-stream --replay t.tape
    assert_failure 2
    [[ $stderr == *'t.tape:1: tape header field "mode" must be "live" or "history", found the string "yyy'* ]] || fail "$stderr"
    [ "${#stderr}" -lt 400 ]
    echo "${header/\"depth\"/x}" | sed 's/"channels"/"depth":{"a":1},"channels"/' >t.tape
    run --separate-stderr okx-stream --replay t.tape
    assert_failure 2
    [[ $stderr == *'t.tape:1: tape header field "args.depth" must be an integer from 1 to 400, found an object'* ]] || fail "$stderr"
}

@test "a tape line that is not valid UTF-8 is refused with its line number, nothing invalid written" {
    { echo "$header"; printf '{"tape":"ws","recv_ts":2,"url":"ws://x","frame":"{\\"arg\\":{\\"channel\\":\\"books\\",\\"instId\\":\\"BTC-USDT\\"},\\"data\\":[{\\"asks\\":[[\\"1\x99\\",\\"1\\",\\"0\\",\\"1\\"]]}]}"}\n'; } >t.tape
    run --separate-stderr okx-stream --replay t.tape
    assert_failure 1
    [[ $stderr == *"t.tape:2: not a tape line"* ]] || fail "$stderr"
    assert_output ''
}

@test "--replay passes a candle of a later version through untouched instead of failing on it" {
    # Found by fuzzing: the replay read such a candle's fields as version 1's and stopped.
    local v2='{"type":"candle","v":2,"ts":1617235200000,"inst":"ETH-USDT","bar":"5m","ohlc":[1,2,1,2],"confirm":true}'
    local v1='{"type":"candle","v":1,"ts":1617235500000,"inst":"BTC-USDT","bar":"5m","o":1,"h":2,"l":1,"c":2,"vol":3,"confirm":true}'
    local v2b=${v2/1617235200000/1617235800000}
    printf '%s\n' "$v2" "$v1" "$v2b" >x.ndjson
    run --separate-stderr okx-stream --replay x.ndjson --store s.db
    assert_success
    assert_output "$v2"$'\n'"$v1"$'\n'"$v2b"
    [ "$(grep -c 'candle version 2 is newer than this okx-stream understands (1)' <<<"$stderr")" -eq 1 ] || fail "$stderr"
    [ "$(sqlite3 s.db 'select count(*) from candles')" -eq 1 ]
}

@test "config values of --format, --gap-policy and --set are reported with the file and line" {
    printf '[featurize]\n\nformat = "objekt"\n' >c.toml
    run --separate-stderr featurize --config c.toml </dev/null
    assert_failure 2
    [[ $stderr == *'c.toml:3: key "featurize.format": --format must be one of: array, object (got "objekt")'* ]] || fail "$stderr"
    printf '[featurize]\ngap_policy = "sometimes"\n' >c.toml
    run --separate-stderr featurize --config c.toml </dev/null
    assert_failure 2
    [[ $stderr == *'c.toml:2: key "featurize.gap_policy": --gap-policy must be one of'* ]] || fail "$stderr"
    printf '[featurize]\nset = "%s/none.toml"\n' "$T" >c.toml
    run --separate-stderr featurize --config c.toml </dev/null
    assert_failure 2
    [[ $stderr == *"c.toml:2: --set: $T/none.toml: cannot open the feature set file"* ]] || fail "$stderr"
}

@test "a first line whose \"tape\" is not a string is no tape header, and no library error" {
    # Found by fuzzing: reading "tape" as a string threw nlohmann's type_error (exit 1).
    echo '{"tape":5,"recv_ts":1}' >t.ndjson
    run --separate-stderr okx-stream --replay t.ndjson
    assert_failure 3 # read as NDJSON: its one line is no message, so nothing usable
    [[ $stderr == *'t.ndjson:1: missing field "type"'* ]] || fail "$stderr"
    [[ $stderr != *json.exception* ]] || fail "$stderr"
}
