#!/usr/bin/env bats
# risk-guard's contract: decisions against execute's true account through the sync barrier
# (the same bytes on every run and through a relay that delays lines at random), targets
# turned into orders for the difference from the true position, sizing and the ladder, stable
# refusal codes, the kill switch (halted entries, exit 4 at start, --reset-halt), and the full
# paper backtest over the samples with its accounting.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
    export SS=$BATS_FILE_TMPDIR/ss.ndjson
    okx-stream --replay "$SAMPLES"/*.csv | select-strategy >"$SS"
    # Limits loose enough that the kill switch never trips: runs can be repeated on one store.
    export LOOSE=$BATS_FILE_TMPDIR/loose.toml
    printf '[risk]\nmax_daily_loss = 0.99\nmax_drawdown = 0.99\n' >"$LOOSE"
    export DEFAULTS=$BATS_FILE_TMPDIR/defaults.toml
    : >"$DEFAULTS"
}

setup() {
    T=$BATS_TEST_TMPDIR
}

pipeline() { # STORE RUN [CONFIG] < strategy output
    local store=$1 run=$2 config=${3:-$DEFAULTS}
    OKXKIT_CONFIG=$config risk-guard --store "$store" --run "$run" |
        OKXKIT_CONFIG=$config execute --store "$store" --run "$run"
}

@test "the full paper backtest: every line through, a barrier per decision, the same bytes every time" {
    pipeline "$T/a.db" a "$LOOSE" <"$SS" >"$T/a"
    pipeline "$T/b.db" b "$LOOSE" <"$SS" >"$T/b"
    # The run id is in the client order ids: the same run id gives the same bytes.
    pipeline "$T/b.db" a "$LOOSE" <"$SS" >"$T/a2"
    cmp "$T/a" "$T/a2"
    # A second run on the same store and run id must not take the first run's barriers.
    pipeline "$T/a.db" a "$LOOSE" <"$SS" >"$T/a3"
    cmp "$T/a" "$T/a3"
    [ "$(grep -c '"type":"fill"' "$T/a")" -gt 500 ]
    [ "$(grep -c '"type":"sync"' "$T/a")" -gt 1000 ]
    # Every input line comes through, in order (with execute's and risk-guard's own lines).
    grep -v -E '"type":"(order|fill|position|portfolio|risk|sync|intent)"' "$T/a" |
        cmp - <(grep -v '"type":"intent"' "$SS")
    okx-stream --replay "$T/a" --strict >/dev/null # every line a valid message
}

@test "decisions do not depend on timing: a relay that delays lines at random between the tools" {
    pipeline "$T/a.db" a "$LOOSE" <"$SS" >"$T/a"
    # (A stage between them must pass every line on as it comes, as okxkit's tools and pv do:
    # a sync line held in a buffer would hold risk-guard until --sync-timeout.)
    export OKXKIT_CONFIG=$LOOSE
    risk-guard --store "$T/b.db" --run a <"$SS" |
        awk 'BEGIN { srand(11) } { print; fflush(); if (rand() < 0.002) system("sleep 0.0" int(rand() * 5)) }' |
        execute --store "$T/b.db" --run a >"$T/b"
    cmp "$T/a" "$T/b"
    # And a slow upstream: the strategy's lines arrive in bursts.
    awk '{ print; if (NR % 5003 == 0) { fflush(); system("sleep 0.02") } }' "$SS" |
        pipeline "$T/c.db" a "$LOOSE" >"$T/c"
    cmp "$T/a" "$T/c"
}

@test "the accounting adds up at every portfolio line of the backtest" {
    pipeline "$T/s.db" a "$LOOSE" <"$SS" >"$T/out"
    run jq -rs --argjson cash 10000 '
        reduce .[] as $m ({cash: $cash, pos: {}, mark: {}, bad: 0, n: 0, rpl: 0};
          if $m.type == "fill" then
            (if $m.side == "buy" then .cash -= $m.px * $m.sz + $m.fee
             else .cash += $m.px * $m.sz - $m.fee end)
            | .pos[$m.inst] += (if $m.side == "buy" then $m.sz else -$m.sz end)
          elif $m.type == "candle" then .mark[$m.inst] = $m.c
          elif $m.type == "portfolio" then
            .n += 1
            | . as $s
            | ($s.cash + ([$s.pos | to_entries[] | .value * $s.mark[.key]] | add // 0)) as $eq
            | if (($eq - $m.equity) | fabs) > 1e-6 * $m.equity
                 or (($s.cash - $m.cash) | fabs) > 1e-6 * $m.equity
                 or ([$s.pos[] | select(. < -1e-9)] | length) > 0
              then .bad += 1 else . end
          else . end)
        | "\(.n) \(.bad)"' "$T/out"
    assert_success
    [ "${output% *}" -gt 8000 ] || fail "only ${output% *} portfolio lines"
    [ "${output#* }" -eq 0 ] || fail "${output#* } portfolio lines disagree with the fills"
}

@test "a target becomes an order for the difference from the true position" {
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-02 >"$T/k"
    # Half the equity in ETH after the 01:00 candle, then a fifth after 03:00.
    jq -c '., (select(.ts == 1617238800000) | {type: "intent", v: 1, ts, inst, strategy: "s",
              leg: "t", action: "target", equity_frac: 0.5}),
              (select(.ts == 1617246000000) | {type: "intent", v: 1, ts, inst, strategy: "s",
              leg: "t", action: "target", equity_frac: 0.2})' "$T/k" >"$T/in"
    pipeline "$T/s.db" t "$LOOSE" <"$T/in" >"$T/out"
    # The first: a market buy of 5000 USDT at the 01:00 close.
    run jq -rs '[.[] | select(.type == "intent" and .approved)] as $a
        | ([.[] | select(.type == "candle" and .ts == 1617238800000)][0].c) as $c
        | [($a | length), $a[0].side, $a[0].ord_type, (($a[0].sz * $c - 5000) | fabs < 1e-6)]
        | map(tostring) | join(" ")' "$T/out"
    assert_output "2 buy market true"
    # The second: sell what the position holds beyond a fifth of the equity, both as execute
    # reported them at 03:00 (the position line and the portfolio line of that bar).
    run jq -rs '([.[] | select(.type == "intent" and .approved)][1]) as $s
        | ([.[] | select(.type == "candle" and .ts == 1617246000000)][0].c) as $c
        | ([.[] | select(.type == "position" and .ts == 1617246000000)][0].sz) as $held
        | ([.[] | select(.type == "portfolio" and .ts == 1617246000000)][0].equity) as $eq
        | [$s.side, $s.reduce_only, ((($held - $s.sz) * $c - 0.2 * $eq) | fabs < 1e-6)]
        | map(tostring) | join(" ")' "$T/out"
    assert_output "sell true true"
}

@test "entries get their size and the ladder; what breaks a limit is refused with its code" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:10 >"$T/in"
    intent() { # leg side extra-fields
        printf '{"type":"intent","v":1,"ts":1617235500000,"inst":"BTC-USDT","strategy":"h","leg":"%s","action":"place","side":"%s","ord_type":"market"%s}\n' "$@"
    }
    {
        intent a buy ''                     # sized by the config: 10% of 10000
        intent b buy ',"notional":4000'     # fits: 5000 in all
        intent c buy ',"notional":9000'     # cut to what fits under 70% gross exposure
        intent d sell ',"sz":1'             # nothing held
        intent e buy ',"notional":50'       # no room left
    } >>"$T/in"
    printf '[risk]\nmax_gross_exposure = 0.7\nmax_open_orders = 4\nmin_notional = 10\n' >"$T/c.toml"
    run risk-guard --sync none --config "$T/c.toml" <"$T/in"
    assert_success
    run jq -rc 'select(.type == "intent" or .type == "risk")
        | [.leg, .type, .action, (.code // ""), ((.sz // 0) * 59030.01 | round), (.tp | length), (.sl.px // 0 | round)]
        | map(tostring) | join(" ")' <<<"$output"
    assert_output "a intent place  1000 2 58440
b intent place  4000 2 58440
c risk adjust gross_exposure 0 0 0
c intent place  1999 2 58440
d risk reject not_held 0 0 0
e risk reject gross_exposure 0 0 0"
}

@test "the kill switch: entries refused while halted, a halted run refuses to start, --reset-halt lifts it" {
    pipeline "$T/s.db" demo <"$SS" >"$T/out"
    # The default drawdown limit (20%) trips on this strategy and the samples.
    run sqlite3 "$T/s.db" "SELECT ts FROM risk_events WHERE run_id = 'demo' AND tool = 'execute' AND action = 'halt' AND code = 'drawdown'"
    assert_success
    local halt=$output
    [[ -n $halt ]]
    # After the halt, no buy is approved; the buys risk-guard saw were refused as halted.
    run jq -rs --argjson h "$halt" '[.[] | select(.ts > $h and .type == "intent" and .approved and .action == "place" and .side == "buy")] | length' "$T/out"
    assert_output 0
    run jq -rs --argjson h "$halt" '[.[] | select(.ts > $h and .type == "risk" and .code == "halted")] | length' "$T/out"
    [ "$output" -gt 100 ]
    # Starting again on that run: refused, with the way out.
    run risk-guard --store "$T/s.db" --run demo </dev/null
    [ "$status" -eq 4 ]
    assert_output --partial "risk-guard --reset-halt --store $T/s.db --run demo"
    run execute --store "$T/s.db" --run demo </dev/null
    [ "$status" -eq 4 ]
    run risk-guard --reset-halt --store "$T/s.db" --run demo
    assert_success
    run bash -c "risk-guard --store '$T/s.db' --run demo --sync none </dev/null"
    assert_success
    run execute --store "$T/s.db" --run demo </dev/null
    assert_success
}

@test "usage: --sync store needs a store, an intent that arrives approved is decided again" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:10 >"$T/in"
    echo '{"type":"intent","v":1,"ts":1617235500000,"inst":"BTC-USDT","strategy":"h","leg":"x","action":"place","side":"sell","ord_type":"market","sz":1,"approved":true}' >>"$T/in"
    run --separate-stderr risk-guard --sync none <"$T/in"
    assert_success
    assert_output --partial '"code":"not_held"'
    refute_output --partial '"approved":true'
    [[ $stderr == *"decides them again"* ]]
    run risk-guard --sync bogus </dev/null
    [ "$status" -eq 2 ]
}
