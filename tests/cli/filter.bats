#!/usr/bin/env bats
# The filter loop's contract, the same in every stage that runs it (featurize, predict):
# pass-through, later versions, bad input and its diagnostics, --strict, the output checks.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
    export GOOD=$BATS_FILE_TMPDIR/good.ndjson
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T01:00 >"$GOOD"
    # predict looks for champions in a store: an empty one (no model, lines pass through).
    export STORE=$BATS_FILE_TMPDIR/store.db
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:05 --store "$STORE" >/dev/null
}

setup() {
    T=$BATS_TEST_TMPDIR
}

stage() { # stage TOOL ARGS...: one of the stages, the same way for every test
    local tool=$1
    shift
    if [ "$tool" = predict ]; then
        # stderr through a filter in the same pipeline (not a process substitution, which may
        # still be writing when the caller reads what was written)
        local status
        { predict --store "$STORE" "$@" 2>&1 1>&3 3>&- | grep -v 'no champion model' >&2
            status=${PIPESTATUS[0]}; } 3>&1
        return "$status"
    else
        featurize "$@"
    fi
}

# One bad line of each sort, between good candles; the line numbers are fixed.
bad_corpus() {
    local good1 good2 good3
    good1=$(sed -n 1p "$GOOD") good2=$(sed -n 2p "$GOOD") good3=$(sed -n 3p "$GOOD")
    echo "$good1"                                                              # 1
    echo 'not json'                                                            # 2
    echo '{"type":"candle","v":1,"ts":1}'                                      # 3
    echo "${good2/\"vol\":/\"vol\":.5,\"x\":}"                                 # 4 .5 is not JSON
    echo "${good2/\"confirm\":true/\"confirm\":NaN}"                           # 5 NaN is not JSON
    local ff=$'\xff'
    echo "${good2/BTC-USDT/BTC-$ff}"                                           # 6 not UTF-8
    echo "${good2/\"v\":1/\"v\":0}"                                            # 7 no version 0
    echo "${good2/\"bar\":\"5m\"/\"bar\":\"5M\"}"                              # 8 not an OKX bar
    sed 's/"l":[0-9.]*/"l":99999999/' <<<"$good2"                             # 9 high below low
    printf '\xef\xbb\xbf%s\n' "$good2"                                        # 10 BOM inside
    echo '{"type":"features","v":1,"ts":1,"inst":"BTC-USDT","bar":"5m","schema":"x","f":[1,}' # 11
    head -c 300 /dev/zero | tr '\0' 'x'; echo                                  # 12 too long
    echo "$good2"                                                              # 13
    echo "$good3"                                                              # 14
}

@test "the same bad input gives the same diagnostics, line for line, from every stage" {
    bad_corpus >"$T/in"
    for tool in featurize predict; do
        run --separate-stderr stage $tool --max-line 256 <"$T/in"
        assert_success
        # Diagnostics without the tool's name; bad lines are never written.
        sed "s/^$tool: //" <<<"$stderr" | grep -v '^note:' >"$T/$tool.err"
        printf '%s\n' "${lines[@]}" >"$T/$tool.out"
        ! grep -q 'not json\|"vol":\.5\|NaN\|"v":0\|"5M"\|99999999\|"f":\[1,}' "$T/$tool.out"
        ! grep -qP '\xff|\xef\xbb\xbf' "$T/$tool.out"
        # The good lines are there, whole and in order.
        grep '"type":"candle"' "$T/$tool.out" >"$T/$tool.candles"
        diff <(sed -n '1p;13p;14p' "$T/in") "$T/$tool.candles"
    done
    diff "$T/featurize.err" "$T/predict.err"
    run cat "$T/featurize.err"
    assert_line --index 0 'error: line 2: not valid JSON at byte 2: "not json"'
    assert_line --index 1 'error: line 3: missing field "inst": "{\"type\":\"candle\",\"v\":1,\"ts\":1}"'
    assert_line --regexp '^error: line 4: not valid JSON at byte [0-9]+: .*\\"vol\\":\.5'
    assert_line --regexp '^error: line 5: not valid JSON at byte [0-9]+: .*\\"confirm\\":N'
    assert_line --regexp '^error: line 6: not valid JSON at byte [0-9]+: .*BTC-\\xff'
    # Every bad line is quoted, whatever found it: the loop, the schema or the stage.
    assert_line 'error: line 7: field "v" must be 1 or more: "{\"type\":\"candle\",\"v\":0,\"ts\":161723550000..."'
    assert_line --regexp '^error: line 8: bar "5M" is not an OKX bar name \(.*\): "\{'
    assert_line --regexp '^error: line 9: high is below low: "\{\\"type\\":\\"candle\\"'
    assert_line --regexp '^error: line 10: byte order mark'
    assert_line --regexp '^error: line 11: not valid JSON at byte [0-9]+: .*\[1,\}'
    assert_line 'error: line 12: line longer than 256 bytes (see --max-line)'
    assert_line 'warning: skipped 11 malformed lines of 14 lines read'
}

@test "--strict stops every stage at the first bad line with exit 3, after what came before" {
    bad_corpus >"$T/in"
    for tool in featurize predict; do
        run --separate-stderr stage $tool --strict <"$T/in"
        assert_failure 3
        [ "${lines[0]}" = "$(head -1 "$T/in")" ]
        ! grep -q 'not json' <<<"$output"
        [[ $stderr == *"line 2: not valid JSON"* ]] || fail "$stderr"
    done
}

@test "a later version of a known kind passes through every stage byte for byte, not acted on" {
    intent='{"type":"intent","v":99,"ts":1617235200000,"inst":"BTC-USDT","layout":{"of":"v99"}}'
    candle2=$(sed -n 1p "$GOOD" | sed 's/"v":1/"v":2/')
    { echo "$intent"; echo "$candle2"; echo "$intent"; } >"$T/in"
    for tool in featurize predict; do
        run --separate-stderr stage $tool <"$T/in"
        assert_success
        diff "$T/in" <(printf '%s\n' "${lines[@]}") # nothing acted on: no features, nothing else
        [ "$(grep -c 'is newer than this' <<<"$stderr")" -eq 2 ] || fail "$stderr"
        [[ $stderr == *"line 1: intent version 99 is newer than this $tool understands (1)"* ]]
    done
}

@test "a byte order mark at the start of the input is dropped with a note" {
    { printf '\xef\xbb\xbf'; cat "$GOOD"; } >"$T/in"
    for tool in featurize predict; do
        run --separate-stderr stage $tool -v <"$T/in"
        assert_success
        [ "${lines[0]}" = "$(head -1 "$GOOD")" ]
        [[ $stderr == *"line 1: byte order mark at the start of the input dropped"* ]]
    done
}

@test "a full disk is exit 1 with a message, never a silent success" {
    for tool in featurize predict; do
        run bash -c "$(declare -f stage); stage $tool <\"$GOOD\" >/dev/full"
        assert_failure 1
        assert_output --partial "$tool: error: cannot write output: no space left on device"
        run bash -c "$tool --help >/dev/full"
        assert_failure 1
        assert_output --partial "cannot write output"
    done
    run bash -c 'featurize --list >/dev/full'
    assert_failure 1
}
