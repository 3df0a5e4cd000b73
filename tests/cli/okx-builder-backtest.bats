#!/usr/bin/env bats
# okx-builder's backtest button (POST /api/backtest/NAME): its figures are audit report's of the
# README's backtest pipeline run by hand, a second request is served from the cache without
# running anything, the id follows the file's bytes, bad requests are refused, and the children
# run in paper mode only, with no key and no config of the user's.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
    export XDG_CONFIG_HOME=$T/config
    DATA=$OKXKIT_SOURCE_DIR/share/okxkit
    TREND=$DATA/strategies/trend.toml
    mkdir -p "$T/s"
}

teardown() {
    [[ -n ${PID:-} ]] && kill -TERM "$PID" 2>/dev/null || true
}

# Starts BUILDER (default okx-builder) on a free port over folder $T/s and the source tree's
# samples; sets PID, BASE and TOKEN from the line it prints.
start() {
    "${BUILDER:-okx-builder}" --dir "$T/s" --port 0 --data "$DATA" "$@" 2>"$T/err" &
    PID=$!
    local line=
    # Until it says where it listens (a readiness wait, bounded; no timing is asserted).
    for _ in $(seq 300); do
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

# POST /api/backtest/NAME [OUT]: the status on stdout, the body in OUT (default $T/body).
backtest() {
    curl -s -o "${2:-$T/body}" -w '%{http_code}' --path-as-is -H "X-Okxkit-Token: $TOKEN" \
        --data-binary '' "$BASE/api/backtest/$1"
}

code() {
    curl -s -o "$T/body" -w '%{http_code}' "$@"
}

@test "the button's figures are audit report's of the same pipeline run by hand" {
    cp "$TREND" "$T/s/trend.toml"
    start
    [[ $(backtest trend.toml) == 200 ]] || fail "$(cat "$T/body")"
    jq -e '.cached == false and (.id | test("^[0-9a-f]{64}$")) and (.command | length) == 5' \
        "$T/body" >/dev/null || fail "$(head -c 500 "$T/body")"
    # The README's backtest, by hand, in a store of its own and with an empty config as the
    # button's children have, so that neither reads the user's.
    : >"$T/empty.toml"
    local c=(--config "$T/empty.toml" -q) db=(--store "$T/hand.db" --run byhand)
    okx-stream "${c[@]}" --replay "$SAMPLES"/*_5m.csv |
        select-strategy --strategies "$T/s/trend.toml" --bar 5m "${db[@]}" "${c[@]}" |
        risk-guard "${db[@]}" --bar 5m "${c[@]}" |
        execute --mode paper "${db[@]}" --bar 5m "${c[@]}" >/dev/null
    audit report "${db[@]}" --format json "${c[@]}" >"$T/hand.json"
    jq -e '.fills > 0' "$T/hand.json" >/dev/null || fail "the run by hand made no fills"
    # Dropped before comparing: .run only, the run id ("backtest" in the button's store, "byhand"
    # here), which the report echoes. The report carries no path and no wall-clock time: .from
    # and .to are the samples' candle times, and the runs table's start and end times are not in
    # it. Every figure (returns, fills, fees, trades, by symbol and strategy) must be equal.
    diff <(jq -S 'del(.run)' "$T/hand.json") <(jq -S '.report | del(.run)' "$T/body")
    [[ $(jq -r .report.run "$T/body") == backtest ]]
    # The command it answers is the pipeline it ran: the samples, this file's copy, paper mode.
    local id
    id=$(jq -r .id "$T/body")
    jq -e --arg d "$T/s/.okx-builder/backtests/$id" '
        ([.command[][0] | split("/") | last] == ["okx-stream", "select-strategy", "risk-guard", "execute", "audit"])
        and (.command[3] as $e | $e[($e | index("--mode")) + 1] == "paper")
        and (.command[1] | index($d + "/strategy.toml") != null)' "$T/body" >/dev/null ||
        fail "command: $(jq -c .command "$T/body")"
    cmp "$T/s/.okx-builder/backtests/$id/strategy.toml" "$TREND"
}

@test "a second request is served from the cache: cached, nothing written, the same report" {
    cp "$TREND" "$T/s/trend.toml"
    start
    [[ $(backtest trend.toml "$T/first") == 200 ]] || fail "$(cat "$T/first")"
    local id dir
    id=$(jq -r .id "$T/first")
    dir=$T/s/.okx-builder/backtests/$id
    [[ -f $dir/store.db && -f $dir/report.json && -f $dir/stderr.log ]] || fail "$(ls -A "$dir")"
    local before
    before=$(stat -c '%i %y %s' "$dir/store.db" "$dir/report.json")
    touch "$T/marker"
    [[ $(backtest trend.toml "$T/second") == 200 ]] || fail "$(cat "$T/second")"
    jq -e '.cached == true' "$T/second" >/dev/null
    [[ $(stat -c '%i %y %s' "$dir/store.db" "$dir/report.json") == "$before" ]] ||
        fail "the store or report changed"
    [[ -z $(find "$T/s/.okx-builder" -newer "$T/marker") ]] ||
        fail "written: $(find "$T/s/.okx-builder" -newer "$T/marker")"
    diff <(jq -S 'del(.cached)' "$T/first") <(jq -S 'del(.cached)' "$T/second")
    # The saved answer by id; ids are 64 hex digits.
    [[ $(code -H "X-Okxkit-Token: $TOKEN" "$BASE/api/backtests/$id") == 200 ]]
    diff <(jq -S . "$T/body") <(jq -S . "$T/second")
    [[ $(code -H "X-Okxkit-Token: $TOKEN" "$BASE/api/backtests/$(printf '0%.0s' {1..64})") == 404 ]]
    for bad in xyz "${id^^}" "${id}0" ..%2F..%2Fx; do
        [[ $(code --path-as-is -H "X-Okxkit-Token: $TOKEN" "$BASE/api/backtests/$bad") == 400 ]] ||
            fail "GET backtests/$bad: $(cat "$T/body")"
    done
    # A run that never finished (no report.json) does not count as done: it runs again.
    rm "$dir/report.json"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" "$BASE/api/backtests/$id") == 404 ]]
    [[ $(backtest trend.toml "$T/third") == 200 ]]
    jq -e '.cached == false' "$T/third" >/dev/null
    diff <(jq -S .report "$T/first") <(jq -S .report "$T/third")
}

@test "changing the file changes the id" {
    cp "$TREND" "$T/s/trend.toml"
    start
    [[ $(backtest trend.toml "$T/a") == 200 ]]
    printf '# one more comment\n' >>"$T/s/trend.toml"
    [[ $(backtest trend.toml "$T/b") == 200 ]]
    jq -e '.cached == false' "$T/b" >/dev/null
    [[ $(jq -r .id "$T/a") != $(jq -r .id "$T/b") ]] || fail "same id"
    # Same figures: a comment changes no decision.
    diff <(jq -S .report "$T/a") <(jq -S .report "$T/b")
    # Another file of the same bytes is the same backtest.
    cp "$T/s/trend.toml" "$T/s/copy.toml"
    [[ $(backtest copy.toml "$T/c") == 200 ]]
    jq -e '.cached == true' "$T/c" >/dev/null
    [[ $(jq -r .id "$T/b") == $(jq -r .id "$T/c") ]]
}

@test "no token 403, a path 400, no file 404, ml and invalid strategies 422" {
    cp "$TREND" "$T/s/trend.toml"
    cp "$DATA/strategies/ml.toml" "$T/s/ml.toml"
    printf 'kind = "trend"\nfast = 50\nslow = 20\n' >"$T/s/bad.toml"
    start
    [[ $(code --data-binary '' "$BASE/api/backtest/trend.toml") == 403 ]] || fail "no token"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" "$BASE/api/backtests/$(printf 'a%.0s' {1..64})") != 403 ]]
    [[ $(code "$BASE/api/backtests/$(printf 'a%.0s' {1..64})") == 403 ]] || fail "GET without token"
    for name in ..%2Fx.toml ../x.toml %2E%2E%2Fx.toml x.txt .hidden.toml; do
        [[ $(backtest "$name") == 400 ]] || fail "$name: $(cat "$T/body")"
    done
    [[ $(backtest none.toml) == 404 ]]
    [[ $(backtest ml.toml) == 422 ]] || fail "ml: $(cat "$T/body")"
    jq -e '.error | test("predict")' "$T/body" >/dev/null || fail "ml: $(cat "$T/body")"
    [[ $(backtest bad.toml) == 422 ]] || fail "invalid: $(cat "$T/body")"
    jq -e '.valid == false and (.errors | length) > 0 and .errors[0].file == "bad.toml"' \
        "$T/body" >/dev/null || fail "invalid: $(cat "$T/body")"
    # None of these ran anything.
    [[ ! -e $T/s/.okx-builder ]] || fail "ran: $(ls -R "$T/s/.okx-builder")"
}

# A copy of okx-builder in $T/bin whose siblings are wrappers of the real tools: each records
# its argv and environment in $T/children/TOOL (a file each: the stages run at once, and their
# writes to one file would interleave), then runs the tool. A wrapper okx-stream waits
# while the FIFO $T/gate exists, and a wrapper risk-guard fails while $T/fail-risk exists.
wrap_tools() {
    mkdir -p "$T/bin" "$T/children"
    cp "$OKXKIT_BIN/okx-builder" "$T/bin/"
    local t
    for t in okx-stream select-strategy risk-guard execute audit; do
        {
            printf '#!/bin/bash\n'
            printf '{ printf "argv:"; printf " %%q" "$0" "$@"; echo; env | sed "s/^/env: /"; } >>%q\n' \
                "$T/children/$t"
            case $t in
            okx-stream) printf 'if [[ -p %q ]]; then : >%q; read -r _ <%q; fi\n' "$T/gate" "$T/held" "$T/gate" ;;
            risk-guard) printf 'if [[ -e %q ]]; then echo "risk-guard: error: injected failure" >&2; exit 2; fi\n' "$T/fail-risk" ;;
            esac
            printf 'exec %q "$@"\n' "$OKXKIT_BIN/$t"
        } >"$T/bin/$t"
        chmod +x "$T/bin/$t"
    done
    BUILDER=$T/bin/okx-builder
}

@test "paper only: no key, no config and no OKX variable reach the children" {
    wrap_tools
    cp "$TREND" "$T/s/trend.toml"
    # The user's config says live, and the environment holds a key: neither may reach a child.
    mkdir -p "$XDG_CONFIG_HOME/okxkit"
    printf '[execute]\nmode = "live"\nlive = true\n' >"$XDG_CONFIG_HOME/okxkit/config.toml"
    cp "$XDG_CONFIG_HOME/okxkit/config.toml" "$T/live.toml"
    OKX_API_KEY=sekret OKX_API_SECRET=sekret OKX_API_PASSPHRASE=sekret OKX_REST_URL=http://sekret.example \
        OKXKIT_STORE=$T/user.db OKXKIT_RUN=sekret OKXKIT_CONFIG=$T/live.toml start
    [[ $(backtest trend.toml) == 200 ]] || fail "$(cat "$T/body")"
    local id dir
    id=$(jq -r .id "$T/body")
    dir=$T/s/.okx-builder/backtests/$id
    cat "$T/children"/* >"$T/children.log"
    # Five children, each run by its absolute path, execute with --mode paper, none demo or live.
    [[ $(grep -c '^argv:' "$T/children.log") == 5 ]] || fail "$(grep '^argv:' "$T/children.log")"
    grep -q "^argv: $T/bin/execute .*--mode paper" "$T/children.log"
    ! grep -E -e '--mode (live|demo)' "$T/children.log" || fail "a child in demo or live mode"
    ! grep -q -e 'sekret' -e '^env: OKX' "$T/children.log" || fail "a key or OKX variable in a child"
    # Each child's config is the run's own empty one.
    [[ $(grep -c "^env: XDG_CONFIG_HOME=$dir/config$" "$T/children.log") == 5 ]]
    [[ ! -s $dir/config/okxkit/config.toml ]]
    # What execute stored is paper; the user's store was never made.
    [[ $(sqlite3 "$dir/store.db" "SELECT DISTINCT mode FROM orders UNION SELECT DISTINCT mode FROM fills") == paper ]]
    [[ $(sqlite3 "$dir/store.db" "SELECT detail FROM runs WHERE tool = 'execute'") == paper,* ]]
    jq -e '.report.fills > 0 and .report.optimistic == false' "$T/body" >/dev/null
    [[ ! -e $T/user.db ]]
    ! grep -r -l sekret "$T/s/.okx-builder" "$T/err" || fail "sekret written"
}

@test "one backtest at a time (409); a failed stage is 500 with its stderr and is not cached" {
    wrap_tools
    cp "$TREND" "$T/s/trend.toml"
    cp "$DATA/strategies/grid.toml" "$T/s/grid.toml"
    start
    # Hold the first run's okx-stream until the second request has been answered.
    mkfifo "$T/gate"
    backtest trend.toml "$T/first" >"$T/first.code" &
    local held=$!
    for _ in $(seq 300); do # a readiness wait, bounded
        [[ -e $T/held ]] && break
        sleep 0.1
    done
    [[ -e $T/held ]] || fail "the first run did not start"
    [[ $(backtest grid.toml) == 409 ]] || fail "second: $(cat "$T/body")"
    jq -e '.error | test("running")' "$T/body" >/dev/null
    echo go >"$T/gate"
    wait "$held"
    rm "$T/gate"
    [[ $(cat "$T/first.code") == 200 ]] || fail "first: $(cat "$T/first")"
    # risk-guard fails: 500 naming it with the end of its stderr; kept in stderr.log, not cached.
    touch "$T/fail-risk"
    [[ $(backtest grid.toml) == 500 ]] || fail "$(cat "$T/body")"
    jq -e '.error == "backtest failed: risk-guard exited with status 2: risk-guard: error: injected failure"' \
        "$T/body" >/dev/null || fail "$(cat "$T/body")"
    grep -q 'injected failure' "$T/s/.okx-builder/backtests"/*/stderr.log
    rm "$T/fail-risk"
    [[ $(backtest grid.toml) == 200 ]] || fail "$(cat "$T/body")"
    jq -e '.cached == false' "$T/body" >/dev/null
}
