#!/usr/bin/env bats
# The property every filter tool keeps, whatever it is fed: each line it writes is one valid
# UTF-8 JSON object, and each valid input line comes out unchanged and in input order. The
# input mixes valid messages with hostile lines (random bytes, NUL, 0xFF, stray BOMs, valid
# lines with bytes changed, cut or extended); tests/tools/ndjson_prop.cpp makes and checks them.

bats_require_minimum_version 1.5.0
load helpers

PROP=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/ndjson-prop

setup_file() {
    # predict looks for champions in a store: an empty one (no model, lines pass through).
    export STORE=$BATS_FILE_TMPDIR/store.db
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:05 --store "$STORE" >/dev/null 2>&1
}

setup() {
    T=$BATS_TEST_TMPDIR
    [ -x "$PROP" ] || fail "$PROP is not built (cmake --build build --target ndjson-prop)"
}

check_tool() { # NAME COMMAND...: 25 seeds of 300 lines each
    local name=$1
    shift
    for seed in $(seq 1 25); do
        "$PROP" gen "$seed" 300 "$T/in" "$T/valid"
        "$@" <"$T/in" >"$T/out" 2>"$T/err" || fail "$name exit $? on seed $seed: $(tail -3 "$T/err")"
        "$PROP" check "$T/valid" "$T/out" || fail "$name broke the property on seed $seed"
        grep -q 'error: .*[0-9]: ' "$T/err" || fail "$name reported nothing on seed $seed"
    done
}

@test "featurize: every line written is valid JSON; valid input lines come out unchanged, in order" {
    check_tool featurize featurize
}

@test "predict: every line written is valid JSON; valid input lines come out unchanged, in order" {
    check_tool predict predict --store "$STORE"
}

@test "select-strategy: every line written is valid JSON; valid input lines come out unchanged, in order" {
    check_tool select-strategy select-strategy --store "$STORE"
}

@test "risk-guard: every line written is valid JSON; valid input lines come out unchanged, in order" {
    check_tool risk-guard risk-guard --sync none --store "$STORE"
}

@test "execute: every line written is valid JSON; valid input lines come out unchanged, in order" {
    check_tool execute execute --store "$STORE"
}

@test "okx-stream --replay -: every line written is valid JSON; valid lines come out in order" {
    check_tool okx-stream okx-stream --replay -
}
