#!/usr/bin/env bats
# train's contract: targets, registry, model files, the skill gate, champion/challenger,
# --promote [--force], --every, cron exit codes, model cards, featurize input. Small ensembles
# and few rounds keep it fast.

bats_require_minimum_version 1.5.0
load helpers
load synth

# ETH-USDT and BTC-USDT (the cross-asset reference) up to 2021-04-21, stored once per file;
# no model of them passes the skill gate. And synthetic candles: SIG-USDT, whose price follows
# a wave that its last bars reveal (a real signal), and RND-USDT, a random walk (none).
setup_file() {
    export BASE=$BATS_FILE_TMPDIR/base.db
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-21 \
        --store "$BASE" >/dev/null
    export SIG=$BATS_FILE_TMPDIR/SIG-USDT_5m.csv RND=$BATS_FILE_TMPDIR/RND-USDT_5m.csv
    synth_candles 8 6336 0.001 0.01 >"$SIG"
    synth_candles 7 6336 0.002 0 >"$RND"
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
    assert_output --partial "--force"
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

# Stores the synthetic series (SIG-USDT and RND-USDT) up to TIME in the test's store.
store_synth() {
    okx-stream --replay "$SIG" "$RND" --to "$1" --store "$T/store.db" >/dev/null
}

@test "a model without out-of-sample skill is rejected, says why, and the run exits 0" {
    run train --symbols ETHUSDT "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --regexp '^ETH-USDT 5m: model 1 rejected: out-of-sample AUC 0\.[0-9]{4}, 95% interval (0\.[0-9]{4})\.\.0\.[0-9]{4}: lower bound not above 0\.5 \(.*\); predict will not use it$'
    # Registered all the same, with its files.
    [[ -f $T/store.db.models/1/model.json && -f $T/store.db.models/1/member-0.json && -f $T/store.db.models/1/member-1.json ]]
    [[ ! -e $T/store.db.models/1/member-2.json ]]
    run train --list
    assert_success
    assert_line --index 0 $'id\tinst\tbar\thorizon\tstatus\tdata_end\tcreated\tauc\tlogloss\tpolicy_return\tauc_low\tauc_high'
    assert_line --index 1 --regexp $'^1\tETH-USDT\t5m\t12\trejected\t2021-04-20T23:55:00Z\t2021-04-21T00:00:00Z\t0\\.[0-9]{4}\t.*\t0\\.[0-9]{4}\t0\\.[0-9]{4}$'
    # The lower bound in the list is the one in the line, and not above 0.5.
    local low
    low=$(cut -f 11 <<<"${lines[1]}")
    [[ $low < 0.5 || $low == 0.5000 ]] || fail "auc_low $low"
    # No champion: predict has nothing to use.
    run sqlite3 "$T/store.db" "SELECT count(*) FROM models WHERE status = 'champion'"
    assert_output 0
}

@test "--show prints the model card with metrics, the skill gate, importance and drift" {
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    run train --show 1
    assert_success
    assert_line --index 0 "model 1: ETH-USDT 5m, horizon 12 bars, up means a log return above 0.00200"
    assert_line --index 1 --regexp '^status: rejected \(out-of-sample AUC 0\.[0-9]{4}, 95% interval [0-9.]+\.\.[0-9.]+: lower bound not above 0\.5\)$'
    assert_output --regexp 'feature schema: [0-9a-f]{16} \(218 features\)'
    assert_output --partial "out-of-sample, all folds: "
    assert_output --partial "policy return"
    assert_output --regexp 'skill gate: failed: out-of-sample auc 0\.[0-9]{4}, 95% interval [0-9.]+\.\.[0-9.]+ \(1000 block-bootstrap resamples, blocks of 24 rows\), policy return -?[0-9.]+ after fees; skill 0\.0000'
    assert_output --partial "importance (share of total gain):"
    assert_output --regexp 'drift \(PSI, training rows vs the recent window\): [0-9]+ features > 0.25'
    assert_output --partial "files: $T/store.db.models/1"
}

# The acceptance test of the gate: trained on a random walk, nothing is promoted, and the
# model's predictions, made all the same with --model, claim no confidence; exp_ret stays one
# value however p_up moves.
@test "trained on a random walk, no model is promoted and its confidence stays 0" {
    store_synth 2021-04-21
    run train --symbols RND-USDT "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --regexp '^RND-USDT 5m: model 1 rejected: '
    run train --list
    assert_line --index 1 --regexp $'^1\tRND-USDT\t5m\t12\trejected\t'
    okx-stream --replay "$RND" --from 2021-04-21 >"$T/later"
    run --separate-stderr predict --store "$T/store.db" <"$T/later"
    assert_success
    refute_output --partial '"type":"prediction"'
    [[ $stderr == *"no champion model for RND-USDT 5m"* ]] || fail "stderr: $stderr"
    run --separate-stderr predict --store "$T/store.db" --model 1 <"$T/later"
    assert_success
    [[ $stderr == *"model 1 of RND-USDT 5m failed the skill gate at training (out-of-sample AUC "*"): its predictions carry confidence 0"* ]] ||
        fail "stderr: $stderr"
    grep '"type":"prediction"' <<<"$output" >"$T/pred"
    [[ $(wc -l <"$T/pred") -gt 400 ]] || fail "$(wc -l <"$T/pred") predictions"
    run jq -s '[(map(.confidence) | max), (map(.exp_ret) | unique | length),
                (map(.p_up) | max) - (map(.p_up) | min) > 0.02]' -c "$T/pred"
    assert_output "[0,1,true]"
}

# A real signal passes the gate: promoted with its interval, and its predictions carry
# confidence and an exp_ret on the side p_up says.
@test "a series with a real signal passes the gate and its predictions claim confidence" {
    store_synth 2021-04-21
    run train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --regexp '^SIG-USDT 5m: model 1 promoted to champion: no champion for SIG-USDT 5m yet \(out-of-sample auc 0\.9[0-9]{3}, 95% interval 0\.9[0-9]{3}\.\.0\.9[0-9]{3}, logloss [0-9.]+, policy return [0-9.]+ over [0-9]+ rows\)$'
    okx-stream --replay "$SIG" --from 2021-04-21 | predict --store "$T/store.db" 2>/dev/null |
        grep '"type":"prediction"' >"$T/pred"
    run jq -s '[(map(.confidence) | min > 0.5), (map(select((.p_up > 0.5) != (.exp_ret > 0))) | length)]' -c "$T/pred"
    assert_output "[true,0]"
}

@test "the same data, seed and threads give byte-identical model files" {
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    cmp "$T/store.db.models/1/member-0.json" "$T/store.db.models/2/member-0.json"
    cmp "$T/store.db.models/1/member-1.json" "$T/store.db.models/2/member-1.json"
    # And model.json but for the id: the AUC interval (seeded bootstrap), the return curve and
    # the drift reference are the same too.
    cmp <(jq 'del(.id)' "$T/store.db.models/1/model.json") <(jq 'del(.id)' "$T/store.db.models/2/model.json")
    jq -e '.skill.auc_low > 0 and (.drift.limits | length) > 0' "$T/store.db.models/1/model.json" >/dev/null
}

@test "a challenger no better than the champion is kept as candidate, saying why (exit 0)" {
    store_synth 2021-04-21
    train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    run train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-21T01:00
    assert_success
    assert_output --regexp '^SIG-USDT 5m: model 2 kept as candidate: champion 1 is as good or better on the same [0-9]+ out-of-sample rows \(.*\): logloss'
    run train --list
    assert_line --index 1 --regexp $'^1\tSIG-USDT\t5m\t12\tchampion\t'
    assert_line --index 2 --regexp $'^2\tSIG-USDT\t5m\t12\tcandidate\t'
}

# With a fee of 5% a side, SIG-USDT's signal still ranks the rows but every trade loses: the
# gate fails on the policy return alone.
@test "the gate comes first: no skill, no promotion; a forced champion yields to a model with skill" {
    store_synth 2021-04-21
    local costly=(--fee 0.05 --threshold 0)
    run train --symbols SIG-USDT "${FAST[@]}" "${costly[@]}" --now 2021-04-21
    assert_success
    assert_output --regexp '^SIG-USDT 5m: model 1 rejected: policy return -[0-9.]+ after fees is below holding nothing \(out-of-sample auc 0\.9'
    train --promote 1 --force >/dev/null
    run train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-21T01:00
    assert_success
    assert_output --regexp '^SIG-USDT 5m: model 2 promoted to champion: champion 1 failed the skill gate \(policy return -[0-9.]+ after fees is below holding nothing\) and this model passed it \('
    # A challenger without skill is rejected, not compared, even with a champion in place.
    run train --symbols SIG-USDT "${FAST[@]}" "${costly[@]}" --now 2021-04-21T02:00
    assert_success
    assert_output --regexp '^SIG-USDT 5m: model 3 rejected: '
    run train --list
    assert_line --index 1 --regexp $'^1\tSIG-USDT\t.*\tretired\t'
    assert_line --index 2 --regexp $'^2\tSIG-USDT\t.*\tchampion\t'
    assert_line --index 3 --regexp $'^3\tSIG-USDT\t.*\trejected\t'
}

@test "champion and challenger are judged on the same rows the champion never saw" {
    # The champion learns from data up to 2021-04-14; the challenger from up to 2021-04-21.
    store_synth 2021-04-14
    train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-14 >/dev/null
    okx-stream --replay "$SIG" --from 2021-04-14 --to 2021-04-21 --store "$T/store.db" >/dev/null
    run train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-21
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
    store_synth 2021-04-21
    train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    train --symbols SIG-USDT "${FAST[@]}" --now 2021-04-21T01:00 >/dev/null
    run train --promote 2
    assert_success
    assert_output "SIG-USDT 5m: model 2 promoted to champion by hand"
    run train --list
    assert_line --index 1 --regexp $'^1\t.*\tretired\t'
    assert_line --index 2 --regexp $'^2\t.*\tchampion\t'
}

@test "--promote refuses a rejected model with exit 4 and says how; --force promotes it" {
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    run --separate-stderr train --promote 1
    assert_failure 4
    [[ $stderr =~ ^"train: error: model 1 failed the skill gate (out-of-sample AUC "[0-9.]+", 95% interval "[0-9.]+\.\.[0-9.]+": lower bound not above 0.5): train --promote 1 --force to promote it anyway (its predictions will carry confidence 0)"$ ]] ||
        fail "stderr: $stderr"
    run train --list
    assert_line --index 1 --regexp $'^1\t.*\trejected\t'
    run train --promote 1 --force
    assert_success
    assert_output "ETH-USDT 5m: model 1 promoted to champion by hand"
    run train --show 1
    assert_line --index 1 --regexp '^status: champion \(promoted by hand with --force; it failed the skill gate \(out-of-sample AUC '
}

@test "--every: a second run inside the period does not train, a later one does" {
    run train --symbols ETH-USDT "${FAST[@]}" --every 24h --now 2021-04-21T00:00
    assert_success
    assert_output --partial "ETH-USDT 5m: model 1 rejected: "
    run train --symbols ETH-USDT "${FAST[@]}" --every 24h --now 2021-04-21T23:59
    assert_success
    assert_output "ETH-USDT 5m: skipped: last trained at 2021-04-21T00:00:00Z, less than --every ago"
    [[ ! -e $T/store.db.models/2 ]]
    run train --symbols ETH-USDT "${FAST[@]}" --every 24h --now 2021-04-22T00:00
    assert_success
    assert_output --partial "ETH-USDT 5m: model 2 rejected: "
}

@test "--all trains the configured symbols; a series without data is skipped, none at all is exit 1" {
    printf 'symbols = ["ETH-USDT", "XRP-USDT"]\n' >"$T/config.toml"
    run --separate-stderr train --config "$T/config.toml" --all "${FAST[@]}" --now 2021-04-21
    assert_success
    assert_output --partial "ETH-USDT 5m: model 1 rejected: "
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
    assert_output --partial "ETH-USDT 5m: model 1 rejected: "
    train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-21 >/dev/null
    # Same features, labels, seed: the same model as the one trained from the store.
    cmp "$T/store.db.models/1/member-0.json" "$T/store.db.models/2/member-0.json"
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
    [ ! -e "$T/store.db.models" ] || [ -z "$(ls "$T/store.db.models")" ]
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

@test "a summary line on a terminal, none in a pipe or cron" {
    command -v script >/dev/null || skip "no script(1) to give train a terminal"
    script -qec "OKXKIT_STORE='$T/store.db' train --symbols ETH-USDT ${FAST[*]} --now 2021-04-21" /dev/null >"$T/tty"
    grep -q "train: note: 1 series in [0-9.]* s: 0 promoted, 0 kept, 1 rejected, 0 skipped (--every), 0 without enough data, 0 failed" "$T/tty" ||
        fail "$(cat -v "$T/tty")"
    run --separate-stderr train --symbols ETH-USDT "${FAST[@]}" --now 2021-04-22
    assert_success
    [ -z "$stderr" ] || fail "$stderr"
}

