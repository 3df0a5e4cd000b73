#!/usr/bin/env bats
# featurize's contract: options, pass-through, schema and features messages, determinism, gaps,
# bad input, exit codes, signals, config.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
}

# The merged candles of the 8 samples, once per test file.
setup_file() {
    export ALL=$BATS_FILE_TMPDIR/all.ndjson
    okx-stream --replay "$OKXKIT_SOURCE_DIR"/share/okxkit/samples/*.csv > "$ALL"
}

@test "--help describes the tool and exits 0" {
    run featurize --help
    assert_success
    assert_output --partial "Usage: featurize"
    assert_output --partial "--gap-policy"
    assert_output --partial "Exit status"
}

@test "--version prints the version" {
    run featurize --version
    assert_success
    assert_output --regexp '^featurize \(okxkit\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "an unknown option, a bad --format or --gap-policy is a usage error (exit 2)" {
    run featurize --frobnicate
    assert_failure 2
    assert_output --partial "featurize: error:"
    run featurize --format yaml </dev/null
    assert_failure 2
    assert_output --partial '--format must be one of: array, object (got "yaml")'
    run featurize --gap-policy skip </dev/null
    assert_failure 2
    assert_output --partial "--gap-policy must be one of: reset, missing, ignore"
}

@test "--list prints at least 215 features, one per line, with definition and warm-up" {
    run featurize --list
    assert_success
    [ "${#lines[@]}" -ge 215 ]
    # name, group, warm-up, definition; names unique
    run bash -c 'featurize --list | awk -F"\t" "NF != 4 || \$3 == \"\" || \$4 == \"\"" | wc -l'
    assert_output 0
    run bash -c 'featurize --list | cut -f1 | sort | uniq -d | wc -l'
    assert_output 0
    for name in sma_20 ema_20 rsi_14 macd_12_26_9 macd_signal_12_26_9 macd_hist_12_26_9 \
        bb_upper_20_2 bb_mid_20_2 bb_lower_20_2 atr_14 adx_14 plus_di_14 minus_di_14 \
        stoch_k_14 stoch_d_14_3 obv cci_20 mfi_14 willr_14 vwap_session bb_pctb_20_2; do
        featurize --list | cut -f1 | grep -qxF "$name" || fail "no feature $name"
    done
}

@test "every input line passes through unchanged and in order" {
    featurize < "$ALL" > "$T/out"
    grep -v -e '"type":"features"' -e '"type":"feature_schema"' "$T/out" | cmp - "$ALL"
}

@test "one schema, then one features message per candle, all valid messages" {
    featurize < "$ALL" > "$T/out"
    candles=$(grep -c '"type":"candle"' "$ALL")
    run grep -c '"type":"features"' "$T/out"
    assert_output "$candles"
    run grep -c '"type":"feature_schema"' "$T/out"
    assert_output 1
    # The schema comes before the first features message and names every feature.
    run bash -c "grep -n -m1 -e feature_schema -e '\"type\":\"features\"' '$T/out' | cut -d: -f1"
    first=$(grep -n -m1 '"type":"features"' "$T/out" | cut -d: -f1)
    [ "$output" -lt "$first" ]
    run bash -c "grep -m1 feature_schema '$T/out' | jq '.names | length'"
    assert_output "$(featurize --list | wc -l)"
    # okx-stream --strict validates every message kind.
    okx-stream --replay "$T/out" --strict | cmp - "$T/out"
}

@test "output is byte-identical across runs" {
    featurize < "$ALL" > "$T/a"
    featurize < "$ALL" > "$T/b"
    cmp "$T/a" "$T/b"
}

@test "--format object keys the values by name" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T02:00 | featurize --format object > "$T/out"
    run bash -c "tail -1 '$T/out' | jq -c '.f | [.sma_20 != null, .ema_20 != null, .rsi_14 != null, .adx_14 == null]'"
    assert_output '[true,true,true,true]'
}

@test "the real outage of 2021-04-20 restarts the warm-up; --gap-policy ignore does not" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-20T01:00 --to 2021-04-20T05:00 > "$T/in"
    featurize --format object < "$T/in" > "$T/reset"
    featurize --format object --gap-policy ignore < "$T/in" > "$T/ignore"
    # 04:30 is the first bar after the hole (02:00-04:25 missing).
    ts=$(date -u -d 2021-04-20T04:30:00Z +%s)000
    run bash -c "jq -c 'select(.type == \"features\" and .ts == $ts) | .f | [.sma_5, .obv]' '$T/reset'"
    assert_output --regexp '^\[null,[0-9.]+\]$'
    run bash -c "jq -c 'select(.type == \"features\" and .ts == $ts) | .f.sma_5 != null' '$T/ignore'"
    assert_output true
    # --gap-policy missing finds the hole by the candles' times.
    featurize --format object --gap-policy missing < "$T/in" | cmp - "$T/reset"
}

@test "a gap message resets the instrument it names" {
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-01T01:00 > "$T/in"
    gap='{"type":"gap","v":1,"ts":1617238200000,"inst":"ETH-USDT","bar":"5m","from":1617237900000,"to":1617238200000,"cause":"reconnect"}'
    { head -6 "$T/in"; echo "$gap"; tail -n +7 "$T/in"; } > "$T/with-gap"
    featurize --format object < "$T/with-gap" > "$T/out"
    grep -qxF "$gap" "$T/out"
    run bash -c "jq -c 'select(.type == \"features\") | .f.sma_5 != null' '$T/out' | tr '\n' ' '"
    assert_output "false false false false true true false false false false true true "
    # --gap-policy missing: the candles after the message fill the hole, nothing is reset.
    featurize --format object --gap-policy missing < "$T/with-gap" > "$T/missing"
    run bash -c "jq -c 'select(.type == \"features\") | .f.sma_5 != null' '$T/missing' | tr '\n' ' '"
    assert_output "false false false false true true true true true true true true "
    featurize --format object --gap-policy missing < "$T/in" | cmp - <(featurize --format object < "$T/in")
}

@test "--set chooses and parametrises the features" {
    printf 'features = ["rsi_7", "bb_pctb_30_2.5", "macd_hist_8_21_5"]\n' > "$T/set.toml"
    okx-stream --replay "$SAMPLES/LTC-USDT_5m.csv" --to 2021-04-01T03:00 | featurize --set "$T/set.toml" > "$T/out"
    run bash -c "grep -m1 feature_schema '$T/out' | jq -c .names"
    assert_output '["rsi_7","bb_pctb_30_2.5","macd_hist_8_21_5"]'
    run bash -c "tail -1 '$T/out' | jq -c '.f | map(type)'"
    assert_output '["number","number","number"]'
    run featurize --set "$T/set.toml" --list
    assert_success
    assert_line --index 0 --regexp $'^rsi_7\tmomentum\t8\t'
    printf 'default = true\nexclude = ["hurst_100"]\n' > "$T/ex.toml"
    run bash -c "featurize --set '$T/ex.toml' --list | wc -l"
    assert_output "$(($(featurize --list | wc -l) - 1))"
}

@test "a bad set file is a usage error naming the file, line and fix" {
    printf 'features = ["sma_20",\n  "macd_12_26"]\n' > "$T/bad.toml"
    run featurize --set "$T/bad.toml" </dev/null
    assert_failure 2
    assert_output --partial "bad.toml:1: feature \"macd_12_26\" takes 3 parameters: macd_N_N_N"
    printf 'features = ["sma_20", "sma_20"]\n' > "$T/dup.toml"
    run featurize --set "$T/dup.toml" </dev/null
    assert_failure 2
    assert_output --partial "listed twice"
    run featurize --set "$T/nope.toml" </dev/null
    assert_failure 2
    assert_output --partial "nope.toml: cannot open the feature set file"
    # A folder is not silently taken for "no set": the defaults would hide the mistake.
    run featurize --set "$T" </dev/null
    assert_failure 2
    assert_output --partial "$T: a folder, not a feature set file"
    run featurize --config "$T" </dev/null
    assert_failure 2
    assert_output --partial "config $T: not a file"
}

@test "bad lines are reported with their line numbers and skipped; --strict stops with exit 3" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:15 > "$T/good"
    { head -1 "$T/good"; echo 'not json'; echo '{"type":"candle","v":1,"ts":1}';
      head -1 "$T/good"; tail -2 "$T/good"; } > "$T/in"
    run --separate-stderr featurize < "$T/in"
    assert_success
    [ "$(grep -c '"type":"features"' <<<"$output")" -eq 3 ]
    [[ $stderr == *"featurize: error: line 2: not valid JSON at byte 2: \"not json\""* ]] || fail "$stderr"
    [[ $stderr == *"featurize: error: line 3: missing field \"inst\""* ]] || fail "$stderr"
    [[ $stderr == *"line 4: candle of BTC-USDT 5m at ts 1617235200000 is not after the previous one"* ]] || fail "$stderr"
    [[ $stderr == *"warning: skipped 3 malformed lines"* ]] || fail "$stderr"
    run --separate-stderr featurize --strict < "$T/in"
    assert_failure 3
    [ "${#lines[@]}" -eq 3 ] # the first candle, the schema, its features
}

@test "a candle CSV on stdin is exit 3 with a count and the command to run instead" {
    run --separate-stderr featurize <"$SAMPLES/BTC-USDT_5m.csv"
    assert_failure 3
    assert_output ''
    [[ $stderr == *"featurize: error: nothing usable in the input: all 8555 lines rejected (the first, line 1: not valid JSON at byte 2: \"ts_ms,open,high,low,close,volume\"); this looks like a candle CSV, and featurize reads NDJSON messages: turn it into candles first, okx-stream --replay FILE | featurize"* ]] ||
        fail "$stderr"
    # Bad lines among good ones are no failure.
    { head -3 "$SAMPLES/BTC-USDT_5m.csv"; okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" | head -5; } >"$T/mixed"
    run --separate-stderr featurize <"$T/mixed"
    assert_success
    [[ $stderr == *"skipped 3 malformed lines of 8 lines read"* ]] || fail "$stderr"
}

@test "--log-json writes diagnostics as JSON lines" {
    run --separate-stderr bash -c 'echo "nope" | featurize --log-json'
    assert_failure 3
    echo "$stderr" | head -1 | jq -e '.tool == "featurize" and .level == "error" and .line == 1'
}

@test "featurize | head -1 exits quietly (dies of SIGPIPE, nothing on stderr)" {
    run bash -c 'set -o pipefail; featurize < "$0" 2>"$1" | head -1 >/dev/null' "$ALL" "$T/err"
    assert_failure 141
    [ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
}

# featurize stopped by SIG while it waits for input after two candles: the exit status, the
# lines written (flushed while idle), and the closing note of the run, which only an orderly
# exit writes (a process killed by the signal's default action exits 130/143 too, silently).
interrupted_featurize() { # SIG STATUS
    mkfifo "$T/fifo"
    featurize -v < "$T/fifo" > "$T/out" 2> "$T/err" &
    pid=$!
    exec 7> "$T/fifo"
    head -2 "$ALL" >&7
    for _ in $(seq 600); do [ "$(wc -l < "$T/out")" -ge 5 ] && break; sleep 0.1; done
    kill -"$1" $pid
    status=0
    wait $pid || status=$?
    exec 7>&-
    [ "$status" -eq "$2" ] || fail "exit $status: $(cat "$T/err")"
    # Two candles, a schema, two features.
    [ "$(wc -l < "$T/out")" -eq 5 ]
    grep -q 'note: read 2 lines, 2 candles; wrote 2 features messages' "$T/err" ||
        fail "no closing note: $(cat "$T/err")"
}

@test "SIGINT while waiting on an idle stdin exits 130 after writing what it read" {
    interrupted_featurize INT 130
}

@test "SIGTERM exits 143 the same way, after writing what it read" {
    interrupted_featurize TERM 143
}

@test "the config file sets the format and the gap policy; the command line wins" {
    mkdir -p "$XDG_CONFIG_HOME/okxkit"
    printf '[featurize]\nformat = "object"\n' > "$XDG_CONFIG_HOME/okxkit/config.toml"
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:05 > "$T/in"
    run bash -c "featurize < '$T/in' | tail -1 | jq -r '.f | type'"
    assert_output object
    run bash -c "featurize --format array < '$T/in' | tail -1 | jq -r '.f | type'"
    assert_output array
    printf '[featurize]\ngap_policy = "sometimes"\n' > "$XDG_CONFIG_HOME/okxkit/config.toml"
    run featurize < "$T/in"
    assert_failure 2
}

@test "cross-asset features of every other instrument follow BTC-USDT of the same time" {
    printf 'features = ["logret_1", "btc_ret_1"]\n' > "$T/set.toml"
    featurize --set "$T/set.toml" --format object < "$ALL" > "$T/out"
    # For each time, ETH's btc_ret_1 is BTC's own logret_1 (from 2021-04-01T00:05 on; the two
    # are computed as ln(c/c') and ln c - ln c', equal to 1e-12).
    run bash -c "jq -r 'select(.type == \"features\" and (.inst == \"BTC-USDT\" or .inst == \"ETH-USDT\") and .ts >= 1617235500000 and .ts < 1617300000000) | [.ts, .inst, (if .inst == \"BTC-USDT\" then .f.logret_1 else .f.btc_ret_1 end)] | @tsv' '$T/out' |
        awk -F'\t' '{ v[\$1, \$2] = \$3; ts[\$1] = 1 } END { bad = 0; for (t in ts) if (v[t, \"BTC-USDT\"] - v[t, \"ETH-USDT\"] > 1e-12 || v[t, \"ETH-USDT\"] - v[t, \"BTC-USDT\"] > 1e-12) bad++; print bad }'"
    assert_output 0
}

@test "bash completion: --se completes to --set for featurize" {
    source "$OKXKIT_SOURCE_DIR/completions/okxkit.bash"
    COMP_WORDS=(featurize --se)
    COMP_CWORD=1
    _okxkit_complete
    [[ " ${COMPREPLY[*]} " == *" --set "* ]] || fail "COMPREPLY is (${COMPREPLY[*]})"
}

@test "every tool's bar error lists every valid bar" {
    local all="1m 3m 5m 15m 30m 1H 2H 4H 6H 12H 1D 1W 6Hutc 12Hutc 1Dutc 1Wutc"
    local bad='{"type":"candle","v":1,"ts":1617235200000,"inst":"BTC-USDT","bar":"7m","o":1,"h":1,"l":1,"c":1,"vol":1,"confirm":true}'
    run featurize <<<"$bad"
    assert_output --partial "is not an OKX bar name ($all)"
    echo "$bad" >"$T/x.ndjson"
    run okx-stream --replay "$T/x.ndjson"
    assert_output --partial "($all)"
    run okx-stream --replay "$T/x.ndjson" --bar 7m --inst BTC-USDT
    assert_output --partial "$all"
    run train --symbols BTC-USDT --bar 7m --store "$T/s.db"
    assert_output --partial "$all"
}
