#!/usr/bin/env bats
# train's contract: targets, registry, model files, champion/challenger, --every, cron exit
# codes, model cards, featurize input. Small ensembles and few rounds keep it fast.

bats_require_minimum_version 1.5.0
load helpers

# ETH-USDT and BTC-USDT (the cross-asset reference) up to 2021-04-21, stored once per file.
setup_file() {
    export BASE=$BATS_FILE_TMPDIR/base.db
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-21 \
        --store "$BASE" >/dev/null
}

setup() {
    T=$BATS_TEST_TMPDIR
    cp "$BASE" "$T/store.db"
    export OKXKIT_STORE=$T/store.db
    FAST=(--members 2 --rounds 20 --folds 1)
}

@test "--help describes the tool and exits 0" {
    run train --help
    assert_success
    assert_output --partial "Usage: train"
    assert_output --partial "--every"
    assert_output --partial "--max-line"
}

@test "nothing to train, a bad option value or an embargo below the horizon is exit 2" {
    run train
    assert_failure 2
    assert_output --partial "say what to train"
    run train --symbols ETH-USDT --horizon 12 --embargo 6
    assert_failure 2
    assert_output --partial "--embargo (6) must be at least --horizon (12)"
    run train --symbols ETH-USDT --every soon
    assert_failure 2
    assert_output --partial "--every wants a duration"
    run train --symbols "BTC USDT!"
    assert_failure 2
    run train --show 42
    assert_failure 2
    assert_output --partial "no model 42"
}

@test "the first model becomes champion, says why, and is registered with its files" {
    run train --symbols ETHUSDT "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --regexp '^ETH-USDT 5m: model 1 promoted to champion: no champion for ETH-USDT 5m yet \(out-of-sample auc [0-9.]+, logloss [0-9.]+'
    [[ -f $T/models/1/model.json && -f $T/models/1/member-0.json && -f $T/models/1/member-1.json ]]
    [[ ! -e $T/models/1/member-2.json ]]
    run train --list
    assert_success
    assert_line --index 0 $'id\tinst\tbar\thorizon\tstatus\tdata_end\tcreated\tauc\tlogloss\tpolicy_return'
    assert_line --index 1 --regexp $'^1\tETH-USDT\t5m\t12\tchampion\t2021-04-20T23:55:00Z\t2021-04-21T00:00:00Z\t'
}

@test "--show prints the model card with metrics, importance and drift" {
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    run train --show 1
    assert_success
    assert_line --index 0 "model 1: ETH-USDT 5m, horizon 12 bars, up means a log return above 0.00200"
    assert_line --index 1 "status: champion (no champion for ETH-USDT 5m yet)"
    assert_output --regexp 'feature schema: [0-9a-f]{16} \(218 features\)'
    assert_output --partial "out-of-sample, all folds: "
    assert_output --partial "policy return"
    assert_output --partial "importance (share of total gain):"
    assert_output --regexp 'drift \(PSI, training rows vs the recent window\): [0-9]+ features > 0.25'
    assert_output --partial "files: $T/models/1"
}

@test "the same data, seed and threads give byte-identical model files" {
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    cmp "$T/models/1/member-0.json" "$T/models/2/member-0.json"
    cmp "$T/models/1/member-1.json" "$T/models/2/member-1.json"
}

@test "a challenger no better than the champion is kept as candidate, saying why (exit 0)" {
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    run train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21T01:00
    assert_success
    assert_output --regexp '^ETH-USDT 5m: model 2 kept as candidate: champion 1 is as good or better on the same [0-9]+ out-of-sample rows \(.*\): logloss'
    run train --list
    assert_line --index 1 --regexp $'^1\tETH-USDT\t5m\t12\tchampion\t'
    assert_line --index 2 --regexp $'^2\tETH-USDT\t5m\t12\tcandidate\t'
}

@test "champion and challenger are judged on the same rows the champion never saw" {
    # The champion learns from data up to 2021-04-14; the challenger from up to 2021-04-21.
    rm -f "$T"/store.db*
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-14 \
        --store "$T/store.db" >/dev/null
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-14 >/dev/null
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" \
        --from 2021-04-14 --to 2021-04-21 --store "$T/store.db" >/dev/null
    run train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21
    assert_success
    local said=$output
    if [[ $output == *"promoted to champion: beats champion 1 on the same"* ]]; then
        run train --list
        assert_line --index 1 --regexp $'^1\t.*\tretired\t'
        assert_line --index 2 --regexp $'^2\t.*\tchampion\t'
    else
        assert_output --partial "kept as candidate: champion 1 is as good or better on the same"
        run train --list
        assert_line --index 1 --regexp $'^1\t.*\tchampion\t'
        assert_line --index 2 --regexp $'^2\t.*\tcandidate\t'
    fi
    # The rows compared start after the champion's data (2021-04-14) and its label window.
    [[ $said =~ rows\ \((2021-04-[0-9T:]+Z) ]]
    [[ ${BASH_REMATCH[1]} > 2021-04-14T01 ]]
}

@test "--promote makes a candidate the champion and retires the old one" {
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21T01:00 >/dev/null
    run train --promote 2
    assert_success
    assert_output "ETH-USDT 5m: model 2 promoted to champion by hand"
    run train --list
    assert_line --index 1 --regexp $'^1\t.*\tretired\t'
    assert_line --index 2 --regexp $'^2\t.*\tchampion\t'
}

@test "--every: a second run inside the period does not train, a later one does" {
    run train --symbols ETH-USDT "${FAST[@]}" --every 24h --now 2021-04-21T00:00
    assert_success
    assert_output --partial "model 1 promoted"
    run train --symbols ETH-USDT "${FAST[@]}" --every 24h --now 2021-04-21T23:59
    assert_success
    assert_output "ETH-USDT 5m: skipped: last trained at 2021-04-21T00:00:00Z, less than --every ago"
    [[ ! -e $T/models/2 ]]
    run train --symbols ETH-USDT "${FAST[@]}" --every 24h --now 2021-04-22T00:00
    assert_success
    assert_output --partial "model 2 kept as candidate"
}

@test "--all trains the configured symbols; a series without data is skipped, none at all is exit 1" {
    printf 'symbols = ["ETH-USDT", "XRP-USDT"]\n' >"$T/config.toml"
    run --separate-stderr train --config "$T/config.toml" --all "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --partial "ETH-USDT 5m: model 1 promoted"
    [[ $stderr == *"warning: XRP-USDT 5m: no candles in the store"*"okx-stream --backfill"* ]]
    # Too little data is not an outage: not exit 5 (cron would retry), and it says how much.
    run --separate-stderr train --symbols ETH-USDT "${FAST[@]}" --window 1d
    assert_failure 1
    [[ $stderr == *"ETH-USDT 5m: not trained: too little data: "*" labelled rows (of "*" candles), but 1 fold needs at least 1000"* ]] || fail "$stderr"
    [[ $stderr == *"error: nothing trained"* ]] || fail "$stderr"
    # Without a config, --all takes every instrument in the store.
    run train --all "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_line --index 0 --partial "BTC-USDT 5m: model"
    assert_line --index 1 --partial "ETH-USDT 5m: model"
}

@test "--features trains on featurize's output, with the same features as from the store" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-21 |
        featurize >"$T/features.ndjson"
    run train --features "$T/features.ndjson" --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --partial "ETH-USDT 5m: model 1 promoted"
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    # Same features, labels, seed: the same model as the one trained from the store.
    cmp "$T/models/1/member-0.json" "$T/models/2/member-0.json"
    run train --features - --symbols ETH-USDT "${FAST[@]}" </dev/null
    assert_failure 1
    assert_output --partial "no features of bar 5m"
}

# train reading featurize's output from a pipe that has sent part of it, stopped by SIG while
# it waits for the rest: exit STATUS, nothing trained or registered from the truncated input,
# and the run recorded as interrupted (only an orderly exit records it).
interrupted_read() { # SIG STATUS
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-21 |
        featurize >"$T/features.ndjson"
    mkfifo "$T/fifo"
    train --features "$T/fifo" --symbols ETH-USDT "${FAST[@]}" --run cut >"$T/out" 2>"$T/err" &
    pid=$!
    # The open returns once train has opened the pipe: its signal handlers are in place.
    exec 7>"$T/fifo"
    head -4000 "$T/features.ndjson" >&7
    kill -"$1" $pid
    status=0
    wait $pid || status=$?
    exec 7>&-
    [ "$status" -eq "$2" ] || fail "exit $status: $(cat "$T/err")"
    grep -q 'interrupted while reading .*: nothing was trained' "$T/err" || fail "$(cat "$T/err")"
    [ ! -s "$T/out" ]
    run sqlite3 "$T/store.db" "SELECT COUNT(*) FROM models; SELECT status || ' ' || count FROM runs WHERE run_id = 'cut' AND tool = 'train';"
    assert_output $'0\ninterrupted 0'
    [ ! -e "$T/models" ] || [ -z "$(ls "$T/models")" ]
}

@test "SIGINT in the middle of reading --features: exit 130, no model registered" {
    interrupted_read INT 130
}

@test "SIGTERM in the middle of reading --features: exit 143, no model registered" {
    interrupted_read TERM 143
}

@test "--strict stops at a malformed --features line with exit 3; without it the line is skipped" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-21 |
        featurize >"$T/features.ndjson"
    { head -100 "$T/features.ndjson"; echo 'not json'; tail -n +101 "$T/features.ndjson"; } >"$T/bad.ndjson"
    run --separate-stderr train --features "$T/bad.ndjson" --symbols ETH-USDT "${FAST[@]}" --strict
    assert_failure 3
    [[ $stderr == *"bad.ndjson:101: not valid JSON"*"--strict: nothing was trained"* ]] || fail "$stderr"
    run sqlite3 "$T/store.db" "SELECT COUNT(*) FROM models; SELECT status FROM runs WHERE tool = 'train'"
    assert_output $'0\nbad-input'
    run --separate-stderr train --features "$T/bad.ndjson" --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --partial "ETH-USDT 5m: model 1"
    [[ $stderr == *"bad.ndjson:101: not valid JSON"* ]] || fail "$stderr"
}

@test "--list, --show and --promote do not create a store that is not there" {
    for args in --list "--show 1" "--promote 1"; do
        run train $args --store "$T/nope/dir/none.db"
        assert_failure 2
        assert_output --partial "store $T/nope/dir/none.db does not exist: fill it first"
        [ ! -e "$T/nope" ] || fail "$args created $T/nope"
    done
}
