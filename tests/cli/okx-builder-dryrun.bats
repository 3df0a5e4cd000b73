#!/usr/bin/env bats
# okx-builder's live dry run (GET /api/dryrun/NAME, server-sent events) against tests/fake-okx:
# per candle, what the strategy's conditions and actions did equals select-strategy --explain
# run by hand on the same candles; the live candles follow a REST backfill with no bar lost or
# repeated; only okx-stream and select-strategy run (no risk-guard, no execute, no order), with
# no key; the children end when the page goes; bad requests are refused.

bats_require_minimum_version 1.5.0
load helpers

FAKE=${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx/fake-okx
T0=1617321600000 # the first bar of the test data
NOW=$((T0 + 300 * 60000)) # the fake's clock at the start: 300 bars of history before it

# A price walk of 5,000 1m bars of BTC-USDT (canonical numbers), made once for the file.
setup_file() {
    local data=$BATS_FILE_TMPDIR/data
    mkdir -p "$data"
    awk -v n=5000 -v t0=$T0 '
        function canon(x, s) { s = sprintf("%.2f", x); sub(/0+$/, "", s); sub(/\.$/, "", s); return s }
        BEGIN { srand(7); print "ts_ms,open,high,low,close,volume"; p = 100
            for (i = 0; i < n; i++) {
                o = canon(p); c = canon(p + (rand() - 0.5) * 2); if (c + 0 < 1) c = 1
                h = canon((o + 0 > c + 0 ? o : c) + rand()); l = canon((o + 0 < c + 0 ? o : c) - rand())
                if (l + 0 < 0.5) l = 0.5
                printf "%d,%s,%s,%s,%s,%s\n", t0 + i * 60000, o, h, l, c, canon(1 + rand() * 10)
                p = c } }' >"$data/BTC-USDT_1m.csv"
}

setup() {
    T=$BATS_TEST_TMPDIR
    export XDG_CONFIG_HOME=$T/config
    mkdir -p "$T/s"
    cp "$OKXKIT_SOURCE_DIR/share/okxkit/strategies/rules.toml" "$T/s/ema.toml"
}

teardown() {
    [[ -n ${PID:-} ]] && kill -TERM "$PID" 2>/dev/null
    [[ -n ${FAKE_PID:-} ]] && kill "$FAKE_PID" 2>/dev/null
    return 0
}

# fake-okx with its clock at NOW, one 1m bar per 20 ms of wall time once a WebSocket connects.
start_fake() {
    "$FAKE" --data "$BATS_FILE_TMPDIR/data" --now "$NOW" --port-file "$T/port" \
        --ws-interval-ms 20 2>"$T/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 200); do [[ -s $T/port ]] && break; sleep 0.05; done
    [[ -s $T/port ]] || fail "fake-okx did not start: $(cat "$T/fake.err")"
    FAKE_URL=http://127.0.0.1:$(cat "$T/port")
}

# okx-builder (BUILDER, default okx-builder) over $T/s, its dry runs reading the fake.
start() {
    "${BUILDER:-okx-builder}" --dir "$T/s" --port 0 --data "$OKXKIT_SOURCE_DIR/share/okxkit" \
        --rest-url "$FAKE_URL" --ws-business-url "ws://${FAKE_URL#http://}/ws/v5/business" 2>"$T/err" &
    PID=$!
    local line=
    for _ in $(seq 300); do # until it says where it listens (bounded; no timing asserted)
        line=$(grep -m1 'serving http://' "$T/err" || true)
        [[ -n $line ]] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ $line =~ serving\ (http://127\.0\.0\.1:[0-9]+)/\#token=([0-9a-f]{32})\  ]] ||
        fail "no address: $(cat "$T/err")"
    BASE=${BASH_REMATCH[1]}
    TOKEN=${BASH_REMATCH[2]}
}

# The dry run of NAME until N live candles (after the backfill) have been explained: the events'
# data lines, one JSON per line prefixed with the event's name, in $T/events.
dry_run() {
    local name=$1 n=$2
    # awk ends the stream once it has seen enough (curl then stops on the broken pipe); the
    # timeout only bounds a test that went wrong.
    timeout 120 curl -sN -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/$name?inst=BTC-USDT&bar=1m" |
        awk -v n="$n" -v now="$NOW" '
            /^event: / { ev = substr($0, 8); next }
            /^data: / { print ev " " substr($0, 7); fflush()
                if (ev == "explain" && match($0, /"ts":[0-9]+/) && substr($0, RSTART + 5, RLENGTH - 5) + 0 >= now && ++live >= n) exit }' \
        >"$T/events" || true
}

@test "per candle, what fired equals select-strategy --explain by hand on the same candles" {
    start_fake
    start
    dry_run ema.toml 40
    grep '^explain ' "$T/events" | cut -d' ' -f2- >"$T/explain"
    [[ $(wc -l <"$T/explain") -ge 150 ]] || fail "$(head -c 2000 "$T/events")"
    # The candles are every bar once, in order, from the backfill's first to the last live one.
    grep '^candle ' "$T/events" | cut -d' ' -f2- | jq -r .ts >"$T/ts"
    awk 'NR > 1 && $1 != prev + 60000 { print "not consecutive: " prev " then " $1; bad = 1 } { prev = $1 } END { exit bad }' "$T/ts"
    local first last
    first=$(head -1 "$T/ts")
    last=$(tail -1 "$T/ts")
    [[ $first -lt $NOW && $last -ge $NOW ]] # a warm-up from REST, then the live ones
    [[ $(grep -c '"warm":true' "$T/explain") -gt 40 ]]
    # By hand: the same bars from the fake's REST, through select-strategy --explain.
    : >"$T/empty.toml"
    okx-stream --config "$T/empty.toml" -q --rest-url "$FAKE_URL" --symbols BTC-USDT --bar 1m \
        --since "$first" --until $((last + 60000)) |
        select-strategy --config "$T/empty.toml" --strategies "$T/s/ema.toml" --bar 1m \
            --store "$T/hand.db" --explain --log-json 2>"$T/hand.err" >"$T/hand.out"
    jq -c 'select(has("holds")) | [.ts, .warm, .assigned, .holds, .fires]' "$T/hand.err" >"$T/want"
    jq -c '[.ts, .warm, .assigned, .holds, .fires]' "$T/explain" >"$T/got"
    diff "$T/want" "$T/got"
    # Something happened in it: conditions held, actions fired, and intents would have gone out.
    grep -q '"fires":\["enter"\]' "$T/explain"
    grep '^intent ' "$T/events" | cut -d' ' -f2- | jq -c '[.ts, .equity_frac]' >"$T/intents"
    jq -c 'select(.type == "intent") | [.ts, .equity_frac]' "$T/hand.out" >"$T/want_intents"
    [[ -s $T/intents ]]
    diff "$T/want_intents" "$T/intents"
}

@test "only okx-stream and select-strategy run, with no key; they end when the page goes" {
    start_fake
    # Each child says how it was run, then runs.
    mkdir -p "$T/bin" "$T/children"
    cp "$OKXKIT_BIN/okx-builder" "$T/bin/"
    local t
    for t in okx-stream select-strategy risk-guard execute audit; do
        printf '#!/bin/bash\n{ printf "argv:"; printf " %%q" "$0" "$@"; echo; env | sed "s/^/env: /"; } >%q.$$\nexec %q "$@"\n' \
            "$T/children/$t" "$OKXKIT_BIN/$t" >"$T/bin/$t"
        chmod +x "$T/bin/$t"
    done
    BUILDER=$T/bin/okx-builder
    mkdir -p "$XDG_CONFIG_HOME/okxkit"
    printf '[execute]\nmode = "live"\nlive = true\n' >"$XDG_CONFIG_HOME/okxkit/config.toml"
    OKX_API_KEY=sekret OKX_API_SECRET=sekret OKX_API_PASSPHRASE=sekret start
    dry_run ema.toml 5
    grep -q '^explain ' "$T/events" || fail "$(head -c 2000 "$T/events")"
    cat "$T/children"/* >"$T/children.log"
    run grep -c '^argv:' "$T/children.log"
    assert_output 3
    [[ $(grep '^argv:' "$T/children.log" | awk '{ print $2 }' | sort | uniq -c | awk '{ print $1 " " $2 }' |
        sed "s|$T/bin/||") == $'2 okx-stream\n1 select-strategy' ]]
    ! grep -q -e 'sekret' -e '^env: OKX' "$T/children.log" || fail "a key or OKX variable in a child"
    ! grep -q -e '--mode' "$T/children.log"
    [[ $(grep -c "^env: XDG_CONFIG_HOME=$T/s/.okx-builder/dryrun/config$" "$T/children.log") == 3 ]]
    # The page went (curl ended): the children are stopped. Waited for, bounded.
    for _ in $(seq 100); do
        pgrep -f "$T/s/.okx-builder/dryrun" >/dev/null || break
        sleep 0.1
    done
    ! pgrep -af "$T/s/.okx-builder/dryrun" || fail "children still running"
    # Nothing was sent anywhere but to the fake's public market data.
    ! grep -q -e '/api/v5/trade' -e 'ws/v5/private' "$T/fake.err"
}

@test "one dry run at a time; bad requests are refused before anything runs" {
    start_fake
    start
    local code
    code=$(curl -s -o "$T/body" -w '%{http_code}' "$BASE/api/dryrun/ema.toml")
    [[ $code == 403 ]]
    code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/ema.toml?inst=btc")
    [[ $code == 400 ]]
    code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/ema.toml?bar=7m")
    [[ $code == 400 ]]
    code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/none.toml")
    [[ $code == 404 ]]
    code=$(curl -s -o "$T/body" -w '%{http_code}' --path-as-is -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/../x.toml")
    [[ $code == 400 || $code == 404 ]]
    cp "$OKXKIT_SOURCE_DIR/share/okxkit/strategies/ml.toml" "$T/s/ml.toml"
    code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/ml.toml")
    [[ $code == 422 ]]
    printf 'kind = "rules"\n' >"$T/s/bad.toml"
    code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/bad.toml")
    [[ $code == 422 ]]
    jq -e '.valid == false' "$T/body" >/dev/null
    # While one goes on (its first event read), a second is 409.
    mkfifo "$T/stream"
    curl -sN -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/ema.toml" >"$T/stream" &
    local cpid=$!
    local fd line
    exec {fd}<"$T/stream"
    read -r -u "$fd" line
    [[ $line == "event: start" ]]
    code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Okxkit-Token: $TOKEN" "$BASE/api/dryrun/ema.toml")
    [[ $code == 409 ]] || fail "$code $(cat "$T/body")"
    kill "$cpid"
    exec {fd}<&-
}
