#!/usr/bin/env bats
# predict's contract: pass-through, one prediction per confirmed candle of a series with a
# model, candles and features input alike, confidence only with measured skill, drift alarms
# as health messages, schema mismatch and stale models refused (exit 4), --model ID|FILE, bad
# input.

bats_require_minimum_version 1.5.0
load helpers
load synth

# A store with ETH-USDT's model trained on data up to 2021-04-21, and the next two days of
# candles (BTC-USDT and ETH-USDT) as input. The model fails the skill gate, as every model of
# these samples does; it is made champion with --force so that predict has one to look up,
# and its predictions carry confidence 0.
setup_file() {
    export BASE=$BATS_FILE_TMPDIR/store.db
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-21 \
        --store "$BASE" >/dev/null
    train --store "$BASE" --symbols ETH-USDT --members 2 --rounds 20 --folds 1 \
        --now 2021-04-21 >/dev/null
    train --store "$BASE" --promote 1 --force >/dev/null
    export IN=$BATS_FILE_TMPDIR/in.ndjson
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" \
        --from 2021-04-21 --to 2021-04-23 >"$IN"
}

setup() {
    T=$BATS_TEST_TMPDIR
    export OKXKIT_STORE=$BASE
}

@test "--help describes the tool and exits 0" {
    run predict --help
    assert_success
    assert_output --partial "Usage: predict"
    assert_output --partial "--max-age"
}

@test "every input line passes through, in order, with predictions after their candles" {
    run --separate-stderr predict <"$IN"
    assert_success
    grep -v -e '"type":"prediction"' -e '"type":"health"' <<<"$output" >"$T/rest"
    cmp "$IN" "$T/rest"
    # One prediction per confirmed ETH-USDT candle once its features are warm; BTC-USDT has no
    # champion and only passes through (said once on stderr).
    local n
    n=$(grep -c '"type":"prediction"' <<<"$output")
    [[ $n -gt 400 && $n -lt 576 ]] || fail "$n predictions"
    [[ $stderr == *"no champion model for BTC-USDT 5m"*"train --symbols BTC-USDT"* ]]
    [[ $(grep -c "no champion" <<<"$stderr") -eq 1 ]]
    # A prediction follows the candle it belongs to.
    run grep -m1 -B1 '"type":"prediction"' <<<"$output"
    assert_line --index 0 --regexp '^\{"type":"candle","v":1,"ts":([0-9]+),"inst":"ETH-USDT"'
    local ts=${lines[0]#*\"ts\":}
    ts=${ts%%,*}
    assert_line --index 1 --regexp "^\\{\"type\":\"prediction\",\"v\":1,\"ts\":$ts,\"inst\":\"ETH-USDT\",\"bar\":\"5m\",\"model\":1,\"horizon\":12,\"p_up\":0\\.[0-9]+,\"exp_ret\":-?[0-9.e-]+,\"confidence\":0\\}$"
}

@test "featurize's messages give the same predictions as candles (features in-process)" {
    predict <"$IN" 2>/dev/null | grep '"type":"prediction"' >"$T/a"
    featurize <"$IN" | predict 2>/dev/null >"$T/b"
    grep '"type":"prediction"' "$T/b" >"$T/b.pred"
    cmp "$T/a" "$T/b.pred"
    featurize <"$IN" >"$T/f"
    grep -v -e '"type":"prediction"' -e '"type":"health"' "$T/b" | cmp - "$T/f"
}

@test "--drop-features reads the features lines and writes everything else as without it" {
    featurize <"$IN" >"$T/f"
    predict <"$T/f" 2>/dev/null >"$T/all"
    predict --drop-features <"$T/f" 2>/dev/null >"$T/dropped"
    run grep -c '"type":"features"' "$T/dropped"
    assert_output 0
    grep -q '"type":"prediction"' "$T/dropped"
    grep -v '"type":"features"' "$T/all" | cmp - "$T/dropped"
    # Series without a model lose their features lines too (BTC-USDT has none here).
    grep -q '"type":"features","v":1,"ts":[0-9]*,"inst":"BTC-USDT"' "$T/all"
}

@test "the output is byte-identical from run to run" {
    predict <"$IN" 2>/dev/null >"$T/1"
    predict <"$IN" 2>/dev/null >"$T/2"
    cmp "$T/1" "$T/2"
}

@test "a model older than --max-age is refused with exit 4, after what came before" {
    run --separate-stderr predict --max-age 1d <"$IN"
    assert_failure 4
    [[ $stderr == *"predict: error: model 1 of ETH-USDT 5m was trained on data up to 2021-04-20T23:55:00Z, 1d5m before this candle (2021-04-22T00:00:00Z), older than --max-age 1d: retrain it (train --symbols ETH-USDT --bar 5m) or raise --max-age"* ]] ||
        fail "stderr: $stderr"
    # Everything up to the refused candle was written.
    [[ $(tail -1 <<<"$output") == *'"ts":1619049600000,"inst":"ETH-USDT"'* ]]
    run predict --max-age 3d <"$IN"
    assert_success
}

@test "features of another schema are refused with exit 4 and what to do" {
    printf 'features = ["rsi_14", "sma_20"]\n' >"$T/mine.toml"
    run --separate-stderr bash -c "featurize --set '$T/mine.toml' <'$IN' | predict"
    assert_failure 4
    [[ $stderr == *"model 1 of ETH-USDT 5m was trained on feature schema "*" (218 features) but the input's features have schema "*": run featurize with the model's feature set"* ]] ||
        fail "stderr: $stderr"
    run --separate-stderr predict --set "$T/mine.toml" <"$IN"
    assert_failure 4
    [[ $stderr == *"but predict computes schema "*" (2 features): give predict the model's feature set with --set"* ]] ||
        fail "stderr: $stderr"
}

@test "--model ID or FILE picks a model; a missing one is exit 2" {
    predict <"$IN" 2>/dev/null | grep prediction >"$T/champion"
    predict --model 1 <"$IN" 2>/dev/null | grep prediction >"$T/by-id"
    cmp "$T/champion" "$T/by-id"
    # A model file works without the store.
    cp -r "$BASE.models/1" "$T/m1"
    OKXKIT_STORE=$T/none.db predict --model "$T/m1/model.json" <"$IN" 2>/dev/null |
        grep prediction >"$T/by-file"
    cmp "$T/champion" "$T/by-file"
    [[ ! -e $T/none.db ]]
    run predict --model 7 </dev/null
    assert_failure 2
    assert_output --partial "no model 7"
    run predict --model "$T/nothing.json" </dev/null
    assert_failure 1
    assert_output --partial "cannot read model file"
}

@test "model files belong to one store: another store beside it keeps its own, changed files are refused" {
    cp "$BASE" "$T/store.db"
    cp -r "$BASE.models" "$T/"
    predict --store "$T/store.db" <"$IN" 2>/dev/null | grep prediction >"$T/before"
    # A second store in the same folder trains its own model 1: the first store's is untouched.
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" --from 2021-04-19 --to 2021-04-21 \
        --store "$T/small.db" >/dev/null
    train --store "$T/small.db" --symbols ETH-USDT --min-rows 100 --folds 1 --members 2 \
        --rounds 5 --now 2021-04-21 >/dev/null 2>&1
    [[ -f $T/small.db.models/1/model.json ]]
    cmp "$BASE.models/1/model.json" "$T/store.db.models/1/model.json"
    predict --store "$T/store.db" <"$IN" 2>/dev/null | grep prediction >"$T/after"
    cmp "$T/before" "$T/after"
    # Files copied over a registered model (the old shared models/ folder did this) are refused,
    # by hash, with exit 4 and what to do.
    cp "$T/small.db.models/1/"* "$T/store.db.models/1/"
    run --separate-stderr predict --store "$T/store.db" <"$IN"
    assert_failure 4
    [[ $stderr == *"model 1 (ETH-USDT 5m) of the store $T/store.db: the files in $T/store.db.models/1 hash to "*"retrain the series (train --symbols ETH-USDT --bar 5m --store $T/store.db)"* ]] ||
        fail "$stderr"
    ! grep -q '"type":"prediction"' <<<"$output"
    # One changed byte in a member file is refused as well, and so is --model ID.
    rm -r "$T/store.db.models" && cp -r "$BASE.models" "$T/"
    printf ' ' >>"$T/store.db.models/1/member-1.json"
    run --separate-stderr predict --store "$T/store.db" --model 1 <"$IN"
    assert_failure 4
    [[ $stderr == *"the files in $T/store.db.models/1 hash to "*", the registry row to "* ]] || fail "$stderr"
    ! grep -q '"type":"prediction"' <<<"$output"
}

@test "forming candles and other kinds pass through without predictions" {
    local line='{"type":"candle","v":1,"ts":1619049600000,"inst":"ETH-USDT","bar":"5m","o":1,"h":1,"l":1,"c":1,"vol":1,"confirm":false}'
    local other='{"type":"ticker","v":1,"ts":5,"inst":"ETH-USDT","last":1,"bid":1,"bid_sz":1,"ask":1,"ask_sz":2,"x":[1]}'
    run predict <<<"$line"$'\n'"$other"
    assert_success
    assert_output "$line"$'\n'"$other"
}

@test "bad lines are reported and skipped; --strict stops with exit 3" {
    local good='{"type":"candle","v":1,"ts":1619049600000,"inst":"ETH-USDT","bar":"5m","o":1,"h":1,"l":1,"c":1,"vol":1,"confirm":true}'
    run --separate-stderr predict <<<$'not json\n{"type":"candle","v":1}\n'"$good"
    assert_success
    assert_output "$good"
    [[ $stderr == *"predict: error: line 1: not valid JSON"* ]]
    [[ $stderr == *"predict: error: line 2: "* ]]
    [[ $stderr == *"predict: warning: skipped 2 malformed lines of 3 lines read"* ]] || fail "$stderr"
    run predict --strict <<<'not json'
    assert_failure 3
}

@test "nothing usable is exit 3 with a count and a hint: a CSV, or featurize's object format" {
    run --separate-stderr predict <"$SAMPLES/ETH-USDT_5m.csv"
    assert_failure 3
    assert_output ''
    [[ $stderr == *"predict: error: nothing usable in the input: all 8555 lines rejected (the first, line 1: not valid JSON"*"this looks like a candle CSV, and predict reads NDJSON messages: turn it into candles first, okx-stream --replay FILE | predict"* ]] ||
        fail "$stderr"
    head -400 "$IN" | featurize --format object >"$T/object"
    run --separate-stderr predict <"$T/object"
    assert_failure 3
    [[ $stderr == *"line 3: field \"f\" must be an array"* ]] || fail "$stderr"
    [[ $stderr == *"nothing usable in the input: "*" rejected, and nothing in the others for predict to act on"*"predict needs featurize's array format (featurize --format array, the default), not --format object"* ]] ||
        fail "$stderr"
    # The same stream in the array format is fine.
    head -400 "$IN" | featurize | predict >/dev/null
}

@test "predict | head -1 exits quietly (dies of SIGPIPE, nothing on stderr)" {
    run bash -c 'set -o pipefail; predict -q < "$0" 2>"$1" | head -1 >/dev/null' "$IN" "$T/err"
    assert_failure 141
    [ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
}

@test "SIGINT while waiting on an idle stdin exits 130 after flushing its predictions" {
    mkfifo "$T/fifo"
    predict -q <"$T/fifo" >"$T/out" &
    pid=$!
    exec 7>"$T/fifo"
    # Far enough into the day for ETH-USDT's features to be warm: a prediction per candle.
    grep '"inst":"ETH-USDT"' "$IN" | head -60 >&7
    for _ in $(seq 100); do [ "$(grep -c prediction "$T/out")" -ge 30 ] && break; sleep 0.1; done
    kill -INT $pid
    status=0
    wait $pid || status=$?
    exec 7>&-
    [ "$status" -eq 130 ]
    [ "$(grep -c '"type":"candle"' "$T/out")" -eq 60 ]
    [ "$(grep -c '"type":"prediction"' "$T/out")" -ge 30 ]
}

@test "SIGTERM exits 143 after flushing, and the run is recorded as interrupted" {
    mkfifo "$T/fifo"
    predict -q --run term <"$T/fifo" >"$T/out" &
    pid=$!
    exec 7>"$T/fifo"
    grep '"inst":"ETH-USDT"' "$IN" | head -60 >&7
    for _ in $(seq 600); do [ "$(grep -c prediction "$T/out")" -ge 30 ] && break; sleep 0.1; done
    kill -TERM $pid
    status=0
    wait $pid || status=$?
    exec 7>&-
    [ "$status" -eq 143 ]
    [ "$(grep -c '"type":"candle"' "$T/out")" -eq 60 ]
    preds=$(grep -c '"type":"prediction"' "$T/out")
    run sqlite3 "$BASE" "SELECT status || ' ' || count FROM runs WHERE run_id = 'term' AND tool = 'predict'"
    assert_output "interrupted $preds"
}

@test "a store that does not exist is exit 2 naming the command that fills it, and is not created" {
    run predict --store "$T/nope/dir/none.db" </dev/null
    assert_failure 2
    assert_output --partial "store $T/nope/dir/none.db does not exist: fill it first, e.g. with okx-stream"
    [ ! -e "$T/nope" ]
}

@test "the tools of one pipeline sharing --run keep a row each in runs" {
    cp "$BASE" "$T/s.db"
    cp -r "$BASE.models" "$T/"
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" --from 2021-04-21 --to 2021-04-22 \
        --store "$T/s.db" --run demo | predict --store "$T/s.db" --run demo >"$T/out"
    preds=$(grep -c '"type":"prediction"' "$T/out")
    [ "$preds" -gt 0 ]
    run sqlite3 "$T/s.db" "SELECT tool || ' ' || status || ' ' || count FROM runs WHERE run_id = 'demo' ORDER BY tool"
    assert_output "$(printf 'okx-stream ok 288\npredict ok %s' "$preds")"
}

@test "a model that failed the skill gate predicts with confidence 0 and a flat exp_ret, and says why" {
    run --separate-stderr predict <"$IN"
    assert_success
    [[ $(grep -c "model 1 of ETH-USDT 5m failed the skill gate at training (out-of-sample AUC " <<<"$stderr") -eq 1 ]] ||
        fail "stderr: $stderr"
    [[ $stderr == *"): its predictions carry confidence 0"* ]] || fail "stderr: $stderr"
    grep '"type":"prediction"' <<<"$output" >"$T/pred"
    run jq -s -c '[length > 400, (map(.confidence) | unique), (map(.exp_ret) | unique | length),
                   (map(.p_up) | max) - (map(.p_up) | min) > 0.01]' "$T/pred"
    assert_output "[true,[0],1,true]"
}

@test "a model.json from before the skill gate gives confidence 0, the old exp_ret and a warning" {
    cp -r "$BASE.models/1" "$T/old"
    jq 'del(.skill, .exp_ret, .drift) | .mu_up = 0.004 | .mu_down = -0.003' \
        "$BASE.models/1/model.json" >"$T/old/model.json"
    run --separate-stderr predict --model "$T/old/model.json" <"$IN"
    assert_success
    [[ $stderr == *"model file $T/old/model.json of ETH-USDT 5m predates the skill gate"*"confidence 0"*"retrain it (train --symbols ETH-USDT --bar 5m)"* ]] ||
        fail "stderr: $stderr"
    refute_output --partial '"type":"health"' # no drift reference to compare with
    grep '"type":"prediction"' <<<"$output" >"$T/pred"
    run jq -s -c '[length > 400, (map(.confidence) | unique),
                   (map(.exp_ret - (.p_up * 0.004 + (1 - .p_up) * -0.003)) | map(fabs) | max < 1e-12)]' \
        "$T/pred"
    assert_output "[true,[0],true]"
}

# The rows the model was trained on, as candles (up to the last one of its training block,
# from its card).
training_rows() {
    local to
    to=$(train --show 1 | sed -n 's/^train: .*\.\.\(.*\)$/\1/p')
    [[ -n $to ]] || fail "no training block in the model card"
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to "$to" >"$T/train.ndjson"
}

@test "no drift alarm on the model's own training rows, one when their moves are three times as large" {
    training_rows
    run --separate-stderr predict --max-age 30d <"$T/train.ndjson"
    assert_success
    [[ $(grep -c '"type":"prediction"' <<<"$output") -gt 2000 ]] || fail "too few predictions"
    refute_output --partial '"type":"health"'
    [[ $stderr != *"drifted"* ]] || fail "stderr: $stderr"
    # The same rows with every ETH-USDT move tripled: a volatility the model never saw.
    scale_moves ETH-USDT 3 <"$T/train.ndjson" >"$T/shifted.ndjson"
    local before
    before=$(sqlite3 "$OKXKIT_STORE" "SELECT coalesce(max(rowid), 0) FROM health")
    run --separate-stderr predict --max-age 30d <"$T/shifted.ndjson"
    assert_success
    local out=$output err=$stderr
    grep '"type":"health"' <<<"$out" >"$T/health.ndjson" || fail "no health message"
    run head -1 "$T/health.ndjson"
    assert_output --regexp '^\{"type":"health","v":1,"ts":[0-9]+,"inst":"ETH-USDT","component":"predict","event":"drift","value":0\.[0-9]+,"detail":"model 1 of ETH-USDT 5m: input drifted: [0-9]+ of the [0-9]+ features the model splits on (is|are) past (its|their) training range, [0-9]+% of its gain \(.*\)"\}$'
    jq -e -s '.[0].value > 0.3' "$T/health.ndjson" >/dev/null || fail "$(head -1 "$T/health.ndjson")"
    # A valid health message, following the prediction of its candle.
    run okx-stream --replay "$T/health.ndjson" --strict
    assert_success
    local ts
    ts=$(jq -s '.[0].ts' "$T/health.ndjson")
    run grep -B1 -m1 '"type":"health"' <<<"$out"
    assert_line --index 0 --regexp "^\\{\"type\":\"prediction\",\"v\":1,\"ts\":$ts,\"inst\":\"ETH-USDT\""
    [[ $err == *"predict: warning: ETH-USDT 5m at "*": the input has drifted from the data model 1 was trained on: "*"retrain it (train --symbols ETH-USDT --bar 5m)"* ]] ||
        fail "stderr: $err"
    # The alarms (and their clearings) are in the model's store too, for audit health.
    run sqlite3 "$OKXKIT_STORE" "SELECT ts, inst, 'drift', detail FROM health
        WHERE component = 'predict' AND rowid > $before ORDER BY rowid"
    assert_output "$(jq -r '[.ts, .inst, .event, .detail] | join("|")' "$T/health.ndjson")"
    run sqlite3 "$OKXKIT_STORE" "SELECT group_concat(event, ',') FROM (SELECT event FROM health
        WHERE component = 'predict' AND rowid > $before ORDER BY rowid)"
    assert_output "$(jq -r -s '[range(length) | if . % 2 == 0 then "drift" else "drift_cleared" end] | join(",")' "$T/health.ndjson")"
}

@test "--drift-window 0 turns the drift check off; a window under 72 rows is exit 2" {
    training_rows
    scale_moves ETH-USDT 3 <"$T/train.ndjson" >"$T/shifted.ndjson"
    run predict --max-age 30d --drift-window 0 <"$T/shifted.ndjson"
    assert_success
    assert_output --partial '"type":"prediction"'
    refute_output --partial '"type":"health"'
    run predict --drift-window 10 </dev/null
    assert_failure 2
    assert_output --partial "--drift-window must be 0 (off) or a number of rows from 72"
}


@test "features lines with values that are not JSON numbers are refused, never echoed or predicted" {
    # Two features lines from the end of the input, past every feature's warm-up.
    featurize <"$IN" | grep '"type":"features","v":1,"ts":[0-9]*,"inst":"ETH-USDT"' | tail -2 >"$T/feat"
    featurize <"$IN" | grep -m1 '"type":"feature_schema"' >"$T/in"
    good=$(sed -n 1p "$T/feat")
    local nul=$'\x01' ff=$'\xff'
    for bad in NaN Infinity -Infinity .5 5. 5.e3 00012 +1 1e39 "\"$nul\"" "1$ff"; do
        sed "s/\"f\":\[[^,]*,/\"f\":[$bad,/" <<<"$good"
    done >>"$T/in"
    sed 's/"f":\[/"f":[1,~,/' <<<"$good" | tr '~' '\000' >>"$T/in" # a raw NUL byte
    sed -n 2p "$T/feat" >>"$T/in"
    run --separate-stderr predict <"$T/in"
    assert_success
    # Only the schema and the one good features line come through, and one prediction.
    [ "$(grep -c '"type":"features"' <<<"$output")" -eq 1 ]
    [ "$(grep -c '"type":"prediction"' <<<"$output")" -eq 1 ]
    [ "$(grep -c 'predict: error: line' <<<"$stderr")" -eq 12 ] || fail "$stderr"
    [[ $stderr == *'line 10: "f" holds a value that is neither null nor a number a float can hold'* ]] || fail "$stderr"
    # Every line written is valid JSON.
    jq -c . <<<"$output" >/dev/null
}
