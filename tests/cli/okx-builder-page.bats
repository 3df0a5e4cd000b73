#!/usr/bin/env bats
# okx-builder's page in a real browser (Debian's chromium, headless, driven over the DevTools
# protocol by tests/browser/cdp.py): drag and drop and the keyboard build the golden EMA cross,
# every control has an accessible name, templates and hand-written files round-trip byte for
# byte, edits touch only their lines, invalid files outline exactly the reported nodes, and the
# page works opened from disk. OKXKIT_SCREENSHOTS=DIR keeps screenshots of the page.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
    export XDG_CONFIG_HOME=$T/config
}

teardown() {
    [[ -n ${PID:-} ]] && kill -TERM "$PID" 2>/dev/null || true
}

@test "the page in headless Chromium: mouse, keyboard, names, round trip, outlines, from disk" {
    command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium)"
    okx-builder --dir "$T/s" --port 0 --data "$OKXKIT_SOURCE_DIR/share/okxkit" 2>"$T/err" &
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
    run python3 "$OKXKIT_SOURCE_DIR/tests/browser/builder_test.py" "${BASH_REMATCH[1]}" \
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
