#!/usr/bin/env bats
# okx-builder's page in a real browser (Debian's chromium, headless, driven over the DevTools
# protocol by tests/browser/cdp.py; the dry run reads tests/fake-okx): drag and drop and the
# keyboard build the golden EMA cross, every control has an accessible name, templates and
# hand-written files round-trip byte for byte, edits touch only their lines, invalid files
# outline exactly the reported nodes, the page works opened from disk, the backtest button
# shows audit report's figures, and the dry run shows per candle what select-strategy
# --explain says. OKXKIT_SCREENSHOTS=DIR keeps screenshots of the page.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
    export XDG_CONFIG_HOME=$T/config
}

teardown() {
    [[ -n ${PID:-} ]] && kill -TERM "$PID" 2>/dev/null
    [[ -n ${FAKE_PID:-} ]] && kill "$FAKE_PID" 2>/dev/null
    return 0
}

# fake-okx serving a price walk of BTC-USDT 1m candles, for the dry run: its clock starts 300
# bars into the data and moves a bar per 20 ms once a WebSocket connects. Sets FAKE_URL.
start_fake() {
    local t0=1617321600000
    mkdir -p "$T/data"
    awk -v n=5000 -v t0=$t0 '
        function canon(x, s) { s = sprintf("%.2f", x); sub(/0+$/, "", s); sub(/\.$/, "", s); return s }
        BEGIN { srand(7); print "ts_ms,open,high,low,close,volume"; p = 100
            for (i = 0; i < n; i++) {
                o = canon(p); c = canon(p + (rand() - 0.5) * 2); if (c + 0 < 1) c = 1
                h = canon((o + 0 > c + 0 ? o : c) + rand()); l = canon((o + 0 < c + 0 ? o : c) - rand())
                if (l + 0 < 0.5) l = 0.5
                printf "%d,%s,%s,%s,%s,%s\n", t0 + i * 60000, o, h, l, c, canon(1 + rand() * 10)
                p = c } }' >"$T/data/BTC-USDT_1m.csv"
    "${OKXKIT_BUILD_DIR:-$OKXKIT_SOURCE_DIR/build}/tests/fake-okx/fake-okx" --data "$T/data" \
        --now $((t0 + 300 * 60000)) --port-file "$T/port" --ws-interval-ms 20 2>"$T/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 200); do [[ -s $T/port ]] && break; sleep 0.05; done
    [[ -s $T/port ]] || fail "fake-okx did not start: $(cat "$T/fake.err")"
    FAKE_URL=http://127.0.0.1:$(cat "$T/port")
}

@test "the page in headless Chromium: mouse, keyboard, names, round trip, outlines, from disk, backtest, dry run" {
    command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium)"
    start_fake
    okx-builder --dir "$T/s" --port 0 --data "$OKXKIT_SOURCE_DIR/share/okxkit" \
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
    FAKE_URL=$FAKE_URL run python3 "$OKXKIT_SOURCE_DIR/tests/browser/builder_test.py" "${BASH_REMATCH[1]}" \
        "${BASH_REMATCH[2]}" "$T/s" "$OKXKIT_SOURCE_DIR" "$OKXKIT_BIN" "${OKXKIT_SCREENSHOTS:-}"
    echo "$output"
    assert_success
    refute_output --partial "not ok"
}

@test "the page's offline.js holds the schema and templates the tools give now" {
    OKXKIT_BIN=$OKXKIT_BIN run "$OKXKIT_SOURCE_DIR/scripts/builder-offline" --check
    assert_success
}

@test "the DevTools client the page tests use: clicks, drags, keys, names, no stray chromium" {
    command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium)"
    run python3 "$OKXKIT_SOURCE_DIR/tests/browser/cdp_selftest.py"
    echo "$output"
    assert_success
    refute_output --partial "not ok"
}
