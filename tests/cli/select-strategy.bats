#!/usr/bin/env bats
# select-strategy's contract: pass-through with decisions after the candles, byte-identical
# replays, the same decisions with or without featurize upstream, strategy files checked with
# file, line and key (--validate, --schema, --compile), --status from the store, pins from the
# config, --explain, the ml strategy on champions only, bad input.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
    export IN=$BATS_FILE_TMPDIR/in.ndjson
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" \
        "$SAMPLES/XRP-USDT_5m.csv" --to 2021-04-10 >"$IN"
}

setup() {
    T=$BATS_TEST_TMPDIR
    export OKXKIT_STORE=$T/s.db
}

@test "every input line comes through in order, decisions follow their candle" {
    select-strategy <"$IN" >"$T/out"
    # The input, exactly, once the decision lines are taken out.
    grep -v -E '"type":"(regime|assignment|signal|intent)"' "$T/out" | cmp - "$IN"
    run jq -r .type "$T/out"
    assert_output --partial assignment
    # Each decision line carries the ts of the candle just before it, of its instrument.
    run jq -rs '[foreach .[] as $m ({}; if $m.type == "candle" then .[$m.inst] = $m.ts
                 else . end; if $m.type != "candle" and .[$m.inst] != $m.ts then $m else
                 empty end)] | length' "$T/out"
    assert_output 0
    # Every line is a valid message.
    okx-stream --replay "$T/out" --strict >/dev/null
}

@test "the same input gives the same bytes, and featurize upstream changes no decision" {
    select-strategy --store "$T/a.db" <"$IN" >"$T/a"
    select-strategy --store "$T/b.db" <"$IN" >"$T/b"
    cmp "$T/a" "$T/b"
    featurize <"$IN" | select-strategy --store "$T/c.db" >"$T/c"
    diff <(grep -v -E '"type":"(candle|features|feature_schema)"' "$T/a") \
        <(grep -v -E '"type":"(candle|features|feature_schema)"' "$T/c")
    [ "$(grep -c '"type":"features"' "$T/c")" -gt 1000 ]
}

@test "--validate: every problem with file, line and key; JSON with --format json; exit 2" {
    printf 'kind = "grid"\nlevels = 1\nspacing = "log"\nshade = 2\n' >"$T/bad.toml"
    run -2 select-strategy --validate "$T/bad.toml" --format json
    run jq -c '.valid, [.errors[] | [.line, .key]]' <<<"$output"
    assert_line --index 0 false
    assert_line --index 1 '[[2,"levels"],[3,"spacing"],[4,"shade"]]'
    run -2 select-strategy --validate "$T/bad.toml"
    assert_line --index 0 "$T/bad.toml:2: key \"levels\": 1 is out of range: from 2 to 200"
    run -0 select-strategy --validate "$OKXKIT_SOURCE_DIR"/share/okxkit/strategies/*.toml
    assert_line --index 0 --partial "grid.toml: ok (kind grid"
    run -0 select-strategy --validate "$OKXKIT_SOURCE_DIR/share/okxkit/strategies/ml.toml" \
        --format json
    assert_output '{"valid":true,"files":1,"errors":[]}'
    # The same file given as a candidate stops the tool before any input is read.
    run -2 select-strategy --strategies "$T/bad.toml" </dev/null
    assert_output --partial "bad.toml:2: key \"levels\""
    assert_output --partial "and 2 more: select-strategy --validate"
}

@test "--schema is a JSON Schema of the five kinds; --compile prints the pipeline and crontab" {
    run -0 select-strategy --schema
    run jq -r '.oneOf[].properties.kind.const' <<<"$output"
    assert_output "$(printf 'grid\ntrend\nmean_reversion\nml\nrules')"
    run -0 select-strategy --compile "$OKXKIT_SOURCE_DIR/share/okxkit/strategies/trend.toml" \
        --store /srv/okx.db --run live1
    assert_output --partial "| select-strategy --strategies $OKXKIT_SOURCE_DIR/share/okxkit/strategies/trend.toml --bar 5m --store /srv/okx.db --run live1"
    assert_output --partial "okx-stream --channels candle5m --symbols BTC-USDT,ETH-USDT"
    assert_output --partial "*/15 * * * * select-strategy --status"
    refute_output --partial "predict"
    run -0 select-strategy --compile "$OKXKIT_SOURCE_DIR/share/okxkit/strategies/ml.toml"
    assert_output --partial "| predict --store"
    assert_output --partial "train --symbols"
    # The printed pipeline parses as shell.
    select-strategy --compile "$OKXKIT_SOURCE_DIR/share/okxkit/strategies/ml.toml" | bash -n
}

@test "a rules file: its graph decides, its problems name dotted keys, its pipeline compiles" {
    local rules=$OKXKIT_SOURCE_DIR/share/okxkit/strategies/rules.toml
    select-strategy --strategies "$rules" <"$IN" >"$T/out"
    run jq -r 'select(.type == "signal") | .strategy' "$T/out"
    [ "${#lines[@]}" -gt 20 ]
    assert_line --index 0 ema_cross
    refute_output --partial trend
    # Every buy comes from the golden cross, every sell from the death cross; targets alternate.
    run jq -r 'select(.type == "signal" and .inst == "ETH-USDT") | "\(.side) \(.reason)"' "$T/out"
    assert_line --index 0 --regexp '^buy enter: golden \(ema_12 [0-9.]+ crossed above ema_26 [0-9.]+\), hold 0.25 of the equity$'
    assert_line --index 1 --regexp '^sell exit: death \(ema_12 [0-9.]+ crossed below ema_26 [0-9.]+\), hold 0 of the equity$'
    run jq -s -r '[.[] | select(.type == "signal" and .inst == "ETH-USDT") | .side]
                  | [range(1; length) as $i | select(.[$i] == .[$i - 1])] | length' "$T/out"
    assert_output 0
    # Among the built-in kinds, it is one more candidate.
    run -0 --separate-stderr select-strategy --strategies trend,grid,"$rules" --explain <"$IN"
    [[ $stderr =~ $'\n'"  ema_cross "+"fit 0."[0-9]+"  signal P&L " ]] || fail "$stderr"
    # Problems: dotted keys, file order; a bare "rules" has no graph to run.
    cat >"$T/bad.toml" <<'TOML'
kind = "rules"
[indicators]
fast = "ema_012"
[conditions]
up = { op = "cross_above", a = "fast", b = "slow" }
[actions]
go = { when = "up", do = "target", equity_frac = 1.5 }
TOML
    run -2 select-strategy --validate "$T/bad.toml" --format json
    run jq -c '[.errors[] | [.line, .key]]' <<<"$output"
    assert_output '[[3,"indicators.fast"],[5,"conditions.up.b"],[7,"actions.go.equity_frac"]]'
    run -2 select-strategy --strategies rules </dev/null
    assert_output --partial "rules has no built-in graph: give a rules strategy file"
    run -0 select-strategy --compile "$rules"
    assert_output --partial "# okxkit pipeline for the rules strategy \"ema_cross\""
    select-strategy --compile "$rules" | bash -n
}

@test "--explain traces a rules file per candle: what held, what fired, and which candle sent it" {
    local rules=$OKXKIT_SOURCE_DIR/share/okxkit/strategies/rules.toml
    select-strategy --strategies "$rules" --explain --log-json <"$IN" >"$T/out" 2>"$T/err"
    jq -c 'select(.level == "explain" and has("holds"))' "$T/err" >"$T/trace"
    # One line per confirmed candle and instrument.
    [[ $(wc -l <"$T/trace") == $(jq -c 'select(.type == "candle" and .confirm)' "$IN" | wc -l) ]]
    # Warming up until both averages are finite and the cross has a candle before (27 bars).
    run jq -s -r '[.[] | select(.inst == "ETH-USDT")] | (map(.warm) | index(true))' "$T/trace"
    assert_output 26
    # Each signal is a candle where the assigned file's action fired with its condition
    # holding, and the other way round, except a view carried over at the assignment: the
    # first signal of an instrument, at its first assigned candle.
    jq -r 'select(.type == "signal") | "\(.inst) \(.ts) \(.reason | split(":")[0])"' "$T/out" >"$T/signals"
    jq -r 'select(.assigned) | "\(.inst) \(.ts)"' "$T/trace" | awk '!seen[$1]++' >"$T/assigned_at"
    awk 'NR == FNR { first[$1 " " $2] = 1; next } !(($1 " " $2) in first)' "$T/assigned_at" "$T/signals" >"$T/want"
    [[ $(wc -l <"$T/want") -gt 20 ]]
    jq -r 'select(.assigned and (.fires | length) > 0)
           | select(.fires[0] as $a | ($a == "enter" and (.holds | index("golden"))) or ($a == "exit" and (.holds | index("death"))))
           | "\(.inst) \(.ts) \(.fires[0])"' "$T/trace" |
        # an action that fires again while its target is held sends no new signal
        awk 'NR == FNR { held[$1] = $3; next } { if (held[$1] != $3) print; held[$1] = $3 }' \
            <(awk 'NR == FNR { first[$1 " " $2] = 1; next } (($1 " " $2) in first)' "$T/assigned_at" "$T/signals") - |
        grep -vFf <(cut -d' ' -f1,2 "$T/assigned_at") >"$T/got" || true
    diff "$T/want" "$T/got"
    # In words without --log-json; none of it with -q.
    run -0 --separate-stderr select-strategy --strategies "$rules" --explain <"$IN"
    [[ $stderr =~ "ETH-USDT 5m "[-0-9T:]+"Z: ema_cross (assigned) holds golden; fires enter" ]] || fail "${stderr:0:2000}"
    run -0 --separate-stderr select-strategy --strategies "$rules" --explain -q <"$IN"
    [[ -z $stderr ]]
}

@test "--status: strategy, since, suitability, regime and switches per instrument" {
    select-strategy --run r1 <"$IN" >/dev/null
    run -0 select-strategy --status --run r1
    assert_line --index 0 --regexp '^run r1: 3 instruments, market-wide regime score 0\.[0-9]{2} '
    assert_line --index 2 --regexp '^BTC-USDT +5m +(grid|trend|mean_reversion) '
    run -0 select-strategy --status --run r1 --format json
    run jq -c '[.symbols[].inst], (.market_score | type), ([.symbols[].switches] | min >= 0)' \
        <<<"$output"
    assert_line --index 0 '["BTC-USDT","ETH-USDT","XRP-USDT"]'
    assert_line --index 1 '"number"'
    # The market-wide score is the mean of the instruments' last scores.
    run sqlite3 "$OKXKIT_STORE" "SELECT count(*) FROM strategy_evaluations WHERE run_id = 'r1'"
    [ "$output" -gt 50 ]
    run -0 select-strategy --status --run nothing
    assert_output --partial "no evaluations of run nothing"
}

@test "a pin in the config turns selection off for its instrument" {
    cat >"$T/config.toml" <<'TOML'
[strategy.pin.BTC-USDT]
kind = "trend"
TOML
    select-strategy --config "$T/config.toml" <"$IN" >"$T/out"
    run jq -r 'select(.type == "assignment" and .inst == "BTC-USDT") | .strategy' "$T/out"
    assert_output trend
    run jq -r 'select(.type == "assignment" and .inst == "BTC-USDT") | .reasons[0]' "$T/out"
    assert_output --partial "pinned to trend in the config ($T/config.toml:1)"
    printf '[strategy.pin.BTC-USDT]\nkind = "scalper"\n' >"$T/bad.toml"
    run -2 select-strategy --config "$T/bad.toml" </dev/null
    assert_output --partial "bad.toml:1: [strategy.pin.BTC-USDT]: kind \"scalper\""
}

@test "--explain prints each evaluation's decision path on stderr" {
    run --separate-stderr select-strategy --explain <"$IN"
    [ "$status" -eq 0 ]
    [[ $stderr == *"BTC-USDT 5m 2021-04-"*": regime "* ]]
    [[ $stderr == *"decision: assign"* ]]
    [[ $stderr == *"suitability"* ]]
    [[ $output != *"decision:"* ]]
}

@test "bad lines are reported and skipped; --strict stops with exit 3" {
    { head -n 5 "$IN"; echo '{"type":"candle"'; echo '{"type":"intent","v":1,"ts":1,"inst":"BTC-USDT","strategy":"x","leg":"t","action":"target"}'; sed -n '6,$p' "$IN"; } >"$T/in"
    run --separate-stderr select-strategy <"$T/in"
    [ "$status" -eq 0 ]
    [[ $stderr == *"line 6: "* ]]
    [[ $stderr == *'line 7: an intent with action target needs field "equity_frac"'* ]]
    [ "$(grep -c '"type":"candle"' <<<"$output")" -eq "$(wc -l <"$IN")" ]
    run -3 select-strategy --strict <"$T/in"
}

@test "ml acts on champions' predictions only" {
    export BASE=$T/ml.db
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-21 --store "$BASE" >/dev/null
    train --store "$BASE" --symbols BTC-USDT --members 2 --rounds 20 --folds 1 \
        --now 2021-04-21 >/dev/null
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-21 --to 2021-04-24 >"$T/in"
    # No model is a champion yet (it failed the skill gate): predictions are ignored.
    predict --store "$BASE" --model 1 <"$T/in" >"$T/pred"
    [ "$(grep -c '"type":"prediction"' "$T/pred")" -gt 100 ]
    printf 'kind = "ml"\nmin_confidence = 0\nmin_p_up = 0.5\n' >"$T/ml.toml"
    run --separate-stderr select-strategy --store "$BASE" --strategies "$T/ml.toml" <"$T/pred"
    [ "$status" -eq 0 ]
    [[ $stderr == *"model 1 of the predictions for BTC-USDT is not a champion"* ]]
    [[ $output != *'"type":"assignment"'* ]]
    # Once it is the champion, the strategy is assigned and acts on its predictions.
    train --store "$BASE" --promote 1 --force >/dev/null
    select-strategy --store "$BASE" --strategies "$T/ml.toml" --run ml2 <"$T/pred" >"$T/out"
    run jq -r 'select(.type == "assignment") | .strategy' "$T/out"
    assert_output ml
    run jq -r 'select(.type == "intent") | .action' "$T/out"
    assert_line --index 0 target
    run jq -r 'select(.type == "signal") | .reason' "$T/out"
    assert_line --index 0 --partial "champion model: p_up"
}

@test "on the 8 real samples every switch clears the hysteresis after the minimum hold" {
    okx-stream --replay "$SAMPLES"/*-USDT_5m.csv | select-strategy --run all >"$T/out"
    # Every switch: the challenger's suitability beat the incumbent's by 0.1 or more.
    run sqlite3 "$OKXKIT_STORE" "SELECT count(*) FROM strategy_evaluations e WHERE run_id = 'all'
        AND decision = 'switch' AND (SELECT json_extract(c.value, '$.suitability') FROM
        json_each(e.candidates) c WHERE json_extract(c.value, '$.name') = e.chosen) <
        (SELECT json_extract(c.value, '$.suitability') FROM json_each(e.candidates) c WHERE
        json_extract(c.value, '$.name') = e.incumbent) + 0.1 - 1e-9"
    assert_output 0
    run sqlite3 "$OKXKIT_STORE" "SELECT count(*) FROM strategy_evaluations WHERE run_id = 'all'
        AND decision = 'switch'"
    [ "$output" -gt 8 ]
    # Each instrument holds every strategy for 24 hours at least.
    run jq -rs 'map(select(.type == "assignment")) | group_by(.inst) | map([.[].ts] |
        [range(1; length) as $i | .[$i] - .[$i - 1]] | min // 86400000) | min' "$T/out"
    [ "$output" -ge 86400000 ]
    # One evaluation per instrument every 6 hours of event time, none before warm-up.
    run sqlite3 "$OKXKIT_STORE" "SELECT count(*), count(DISTINCT inst) FROM strategy_evaluations
        WHERE run_id = 'all' AND decision != 'assign' AND (ts + 300000) % 21600000 != 0"
    assert_output "0|0"
}
