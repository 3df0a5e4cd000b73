#!/usr/bin/env bats
# execute's contract: pass-through, no fill on the deciding bar, accounting that adds up at
# every portfolio line over thousands of fills, byte-identical runs (also through a slow
# relay), the hard limits from the config, the store, unapproved intents left alone, bad
# input. Demo and live modes: execute-demo.bats.

bats_require_minimum_version 1.5.0
load helpers

# Approved intents made from the candles of BTC-USDT and ETH-USDT, after their candle: every
# 30 minutes a buy, every 30 minutes (15 later) a sell of the same size, alternately at market
# and as a limit 0.2% away, some buys with a take-profit and a stop.
intents() {
    jq -c 'if .type == "candle" and (.inst == "BTC-USDT" or .inst == "ETH-USDT") then
        (.ts / 300000 | floor) as $n | .c as $c
        | ., (select($n % 3 == 0)
            | {type: "intent", v: 1, ts, inst, strategy: "t", leg: ("l" + ($n % 6 | tostring)),
               action: "place", side: (if $n % 6 == 0 then "buy" else "sell" end),
               ord_type: (if $n % 4 == 0 then "market" else "limit" end),
               px: (if $n % 6 == 0 then .c * 0.998 else .c * 1.002 end),
               sz: (if .inst == "BTC-USDT" then 0.01 else 0.2 end), approved: true}
            | if .ord_type == "market" then del(.px) else . end
            | if .side == "buy" and $n % 5 == 0 then
                  .tp = [{px: ($c * 1.01), frac: 0.5}, {px: ($c * 1.02), frac: 0.5}]
                  | .sl = {px: ($c * 0.98)}
              else . end)
      else . end'
}

setup_file() {
    export IN=$BATS_FILE_TMPDIR/in.ndjson
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-20 |
        intents >"$IN"
}

setup() {
    T=$BATS_TEST_TMPDIR
    export OKXKIT_STORE=$T/s.db
}

@test "every input line comes through in order, with the execution lines after them" {
    execute <"$IN" >"$T/out"
    grep -v -E '"type":"(order|fill|position|portfolio|risk)"' "$T/out" | cmp - "$IN"
    okx-stream --replay "$T/out" --strict >/dev/null # every line a valid message
}

@test "an order never fills on the bar that decided it; a market order fills at the next open plus slippage" {
    execute <"$IN" >"$T/out"
    # For every fill of an entry, the intent's ts (the order's first line) is before it.
    run jq -rs '[.[] | select(.type == "order" and .state == "live" and (.leg | test("-") | not))
                 | {key: .cl_ord_id, value: .ts}] | from_entries as $placed
                | [.[] | select(.type == "fill" and (.leg | test("-") | not))
                   | select(.ts <= $placed[.cl_ord_id])] | length' "$T/out"
    assert_output 0
    # A market buy: the open of the candle it filled on, times 1.0005.
    run jq -rs '([.[] | select(.type == "order" and .ord_type == "market" and .side == "buy")
                  | {key: .cl_ord_id, value: true}] | from_entries) as $market
                | [foreach .[] as $m ({}; if $m.type == "candle" then .[$m.inst] = $m.o else . end;
                   if $m.type == "fill" and $market[$m.cl_ord_id] then [$m.px, .[$m.inst] * 1.0005]
                   else empty end)]
                | [length, (map(select(((.[0] - .[1]) | fabs) > 1e-9 * .[1])) | length)] | @tsv' \
        "$T/out"
    assert_success
    [ "${output%%$'\t'*}" -gt 100 ] || fail "only ${output%%$'\t'*} market buy fills"
    [ "${output##*$'\t'}" -eq 0 ] || fail "${output##*$'\t'} market buys not at the next open"
}

@test "the accounting adds up at every portfolio line, over thousands of fills" {
    execute <"$IN" >"$T/out"
    [ "$(grep -c '"type":"fill"' "$T/out")" -gt 1000 ]
    # Recomputed from the fill lines alone: cash, and each position at the last candle's close.
    run jq -rs --argjson cash 10000 '
        reduce .[] as $m ({cash: $cash, pos: {}, mark: {}, bad: 0, n: 0};
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
                 or ([$s.pos[] | select(. < -1e-12)] | length) > 0
              then .bad += 1 else . end
          else . end)
        | "\(.n) \(.bad)"' "$T/out"
    assert_success
    local n=${output% *} bad=${output#* }
    [ "$n" -gt 5000 ] || fail "only $n portfolio lines"
    [ "$bad" -eq 0 ] || fail "$bad portfolio lines disagree with the fills"
}

@test "the same input gives the same bytes, also through a relay that trickles the lines" {
    execute --store "$T/a.db" <"$IN" >"$T/a"
    execute --store "$T/b.db" <"$IN" >"$T/b"
    cmp "$T/a" "$T/b"
    # A relay that hands the lines on in small bursts with pauses between them.
    head -3000 "$IN" | awk '{ print; if (NR % 97 == 0) { fflush(); system("sleep 0.01") } }' |
        execute --store "$T/c.db" >"$T/c"
    head -3000 "$IN" | execute --store "$T/d.db" >"$T/d"
    cmp "$T/c" "$T/d"
    run sqlite3 "$T/a.db" "SELECT count(*) FROM fills; SELECT count(*) FROM pnl_snapshots"
    [ "${lines[0]}" -eq "$(grep -c '"type":"fill"' "$T/a")" ]
    [ "${lines[1]}" -eq "$(grep -c '"type":"portfolio"' "$T/a")" ]
}

@test "a limit that is only touched does not fill under penetration, and does under touch" {
    # The low of the 00:10 bar is 58965: a buy at 58965 is touched, not traded through.
    {
        okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:10
        echo '{"type":"intent","v":1,"ts":1617235500000,"inst":"BTC-USDT","strategy":"s","leg":"b","action":"place","side":"buy","ord_type":"limit","px":58965,"sz":0.01,"approved":true}'
        okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-01T00:10 --to 2021-04-01T00:15
    } >"$T/in"
    run -0 execute --store "$T/p.db" <"$T/in"
    refute_output --partial '"type":"fill"'
    run -0 execute --fill-model touch --store "$T/t.db" <"$T/in"
    run jq -c 'select(.type == "fill") | [.ts, .px, .liquidity]' <<<"$output"
    assert_output '[1617235800000,58965,"maker"]'
    run sqlite3 "$T/t.db" "SELECT DISTINCT fill_model FROM pnl_snapshots"
    assert_output touch
}

@test "the hard limits of the config cut an order and say so; the client id is journaled" {
    cat >"$T/config.toml" <<'EOF'
[risk]
max_position_notional = 300
EOF
    {
        okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:10
        echo '{"type":"intent","v":1,"ts":1617235500000,"inst":"BTC-USDT","strategy":"s","leg":"b","action":"place","side":"buy","ord_type":"limit","px":59000,"sz":0.01,"approved":true}'
    } >"$T/in"
    run -0 execute --config "$T/config.toml" --store "$T/r.db" <"$T/in"
    assert_line --partial '"type":"risk","v":1,"ts":1617235500000,"inst":"BTC-USDT","action":"adjust","code":"position_limit","limit":"risk.max_position_notional"'
    run jq -r 'select(.type == "order") | .sz * 59000 | . > 299.99 and . <= 300.000001' <<<"$output"
    assert_output true
    run sqlite3 "$T/r.db" "SELECT cl_ord_id, state FROM orders; SELECT code FROM risk_events"
    assert_line --regexp '^o[0-9A-Za-z]{11}\|live$'
    assert_line position_limit
}

@test "intents without approval pass through untouched; sync barriers are recorded" {
    {
        okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:10
        echo '{"type":"intent","v":1,"ts":1617235500000,"inst":"BTC-USDT","strategy":"s","leg":"b","action":"place","side":"buy","ord_type":"market","equity_frac":0.1}'
        echo '{"type":"sync","v":1,"ts":1617235500000,"id":7}'
        okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-01T00:10 --to 2021-04-01T00:20
    } >"$T/in"
    run -0 --separate-stderr execute -v --store "$T/u.db" <"$T/in"
    refute_output --partial '"type":"order"'
    assert_line "$(sed -n 3p "$T/in")"
    [[ $stderr == *"1 intents without \"approved\": true were passed on"* ]] || fail "$stderr"
    run sqlite3 "$T/u.db" "SELECT run_id, id, line FROM sync_points"
    assert_output "default|7|4"
}

@test "bad input: a target to act on is refused as a bad line; bad options are usage errors" {
    printf '%s\n' '{"type":"intent","v":1,"ts":1617235500000,"inst":"BTC-USDT","strategy":"s","leg":"t","action":"target","equity_frac":0.5,"approved":true}' \
        >"$T/in"
    run -3 --separate-stderr execute --store "$T/x.db" <"$T/in"
    [[ $stderr == *"risk-guard turns a target into an order"* ]] || fail "$stderr"
    run -2 --separate-stderr execute --fill-model optimistic </dev/null
    run -2 --separate-stderr execute --slippage 2 </dev/null
}

@test "trades fill orders when the stream has them: not inside the deciding bar, not on a touch, a share of each trade, and the candles then only mark" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:05 >"$T/in" # the 00:00 bar
    trade() { # ts px sz id
        printf '{"type":"trade","v":1,"ts":%s,"inst":"BTC-USDT","px":%s,"sz":%s,"side":"sell","trade_id":"%s"}\n' "$@"
    }
    {
        echo '{"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"h","leg":"b","action":"place","side":"buy","ord_type":"limit","px":58900,"sz":0.1,"approved":true}'
        trade 1617235380000 58800 5 t1  # 00:03, inside the bar that decided the order
        trade 1617235510000 59000 5 t2  # 00:05:10, the order arrives and rests
        trade 1617235530000 58900 5 t3  # 00:05:30, at its price: a touch
        trade 1617235560000 58899 0.4 t4 # through by a tick: 10% of 0.4
        trade 1617235570000 58890 10 t5 # the rest
    } >>"$T/in"
    # The 00:05 candle, whose low (58,720) is far below the price: it must not fill again.
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-01T00:05 --to 2021-04-01T00:10 >>"$T/in"
    execute --store "$T/s.db" <"$T/in" >"$T/out"
    run jq -rc 'select(.type == "fill") | [.ts, .px, (.sz * 1e9 | round / 1e9), .liquidity] | map(tostring) | join(" ")' "$T/out"
    assert_output "1617235560000 58900 0.04 maker
1617235570000 58900 0.06 maker"
    # And the candle marked the position at its close.
    run jq -rc 'select(.type == "position") | .mark_px' "$T/out"
    assert_line --index 2 "$(jq -r 'select(.type == "candle") | .c' "$T/in" | tail -1)"
}

@test "tickers fill orders when the stream has them (and no trades): buys at the ask, sells at the bid, a limit only when the ask goes through it, a share of the size shown" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T00:05 >"$T/in" # the 00:00 bar
    ticker() { # ts bid bid_sz ask ask_sz last
        printf '{"type":"ticker","v":1,"ts":%s,"inst":"BTC-USDT","last":%s,"bid":%s,"bid_sz":%s,"ask":%s,"ask_sz":%s}\n' \
            "$1" "$6" "$2" "$3" "$4" "$5"
    }
    {
        echo '{"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"h","leg":"b","action":"place","side":"buy","ord_type":"limit","px":58900,"sz":0.1,"approved":true}'
        ticker 1617235380000 58790 5 58800 5 58795    # 00:03, inside the bar that decided it
        ticker 1617235510000 58990 5 59000 5 58995    # 00:05:10, it arrives and rests
        ticker 1617235520000 59300 5 58950 5 58900    # crossed (bid above ask): not a price
        ticker 1617235530000 58890 5 58900 5 58900    # the ask at its price: a touch
        ticker 1617235540000 58890 5 58899 0.4 58899  # through by a tick: 10% of 0.4 shown
        ticker 1617235550000 58880 5 58890 10 58890   # the rest
    } >>"$T/in"
    # The 00:05 candle (low 58,720): it only marks now. Then a market sell decided on it.
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --from 2021-04-01T00:05 --to 2021-04-01T00:10 >>"$T/in"
    echo '{"type":"intent","v":1,"ts":1617235500000,"inst":"BTC-USDT","strategy":"h","leg":"s","action":"place","side":"sell","ord_type":"market","sz":0.1,"approved":true}' >>"$T/in"
    {
        ticker 1617235560000 59000 5 59010 5 59005    # 00:06, inside the sell's bar
        ticker 1617235805000 59100 5 59110 5 59105    # 00:10:05: the sell gets the bid
    } >>"$T/in"
    execute --store "$T/s.db" --slippage 0 <"$T/in" >"$T/out"
    run jq -rc 'select(.type == "fill") | [.ts, .side, .px, (.sz * 1e9 | round / 1e9), .liquidity] | map(tostring) | join(" ")' "$T/out"
    assert_output "1617235540000 buy 58900 0.04 maker
1617235550000 buy 58900 0.06 maker
1617235805000 sell 59100 0.1 taker"
    # The position after the sell is marked at the ticker's last trade price.
    run jq -rc 'select(.type == "position") | [.sz, .mark_px] | map(tostring) | join(" ")' "$T/out"
    assert_line --index -1 "0 59105"
    # An instrument with trades fills from them: its tickers are then ignored for fills.
    {
        head -n 1 "$T/in"
        echo '{"type":"intent","v":1,"ts":1617235200000,"inst":"BTC-USDT","strategy":"h","leg":"b","action":"place","side":"buy","ord_type":"limit","px":58950,"sz":0.1,"approved":true}'
        echo '{"type":"trade","v":1,"ts":1617235505000,"inst":"BTC-USDT","px":59000,"sz":5,"side":"sell","trade_id":"t1"}'
        ticker 1617235510000 58890 5 58900 5 58895 # would fill it, were there no trades
        echo '{"type":"trade","v":1,"ts":1617235515000,"inst":"BTC-USDT","px":58940,"sz":5,"side":"sell","trade_id":"t2"}'
    } >"$T/in2"
    execute --store "$T/t.db" --slippage 0 <"$T/in2" >"$T/out2"
    run jq -rc 'select(.type == "fill") | [.ts, .px, .liquidity] | map(tostring) | join(" ")' "$T/out2"
    assert_output "1617235515000 58950 maker"
}
