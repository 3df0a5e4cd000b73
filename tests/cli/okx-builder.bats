#!/usr/bin/env bats
# okx-builder's contract: loopback only, the token on every API call, foreign Host and Origin
# refused, file names confined to the folder, the API's answers equal to select-strategy's own
# (--schema, --validate --format json, --compile), atomic saves, a clean stop on SIGTERM.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
    export XDG_CONFIG_HOME=$T/config
}

teardown() {
    [[ -n ${PID:-} ]] && kill -TERM "$PID" 2>/dev/null || true
}

# Starts the server on a free port with folder $T/s; sets PID, BASE (http://127.0.0.1:PORT),
# PORT and TOKEN from the line it prints.
start() {
    okx-builder --dir "$T/s" --port 0 "$@" 2>"$T/err" &
    PID=$!
    local line=
    # Until it says where it listens (a readiness wait, bounded; no timing is asserted).
    for _ in $(seq 300); do
        line=$(grep -m1 'serving http://' "$T/err" || true)
        [[ -n $line ]] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ $line =~ serving\ (http://127\.0\.0\.1:([0-9]+))/\#token=([0-9a-f]{32})\  ]] ||
        fail "no address: $(cat "$T/err")"
    BASE=${BASH_REMATCH[1]}
    PORT=${BASH_REMATCH[2]}
    TOKEN=${BASH_REMATCH[3]}
}

# The status code of a request (curl arguments).
code() {
    curl -s -o "$T/body" -w '%{http_code}' "$@"
}

api() { # PATH [curl arguments]: GET with the token, body on stdout
    local path=$1
    shift
    curl -sS -H "X-Okxkit-Token: $TOKEN" "$@" "$BASE$path"
}

@test "it listens on loopback only and stops with 0 on SIGTERM" {
    start
    run ss -ltnH "sport = :$PORT"
    if [[ $status -eq 0 && -n $output ]]; then
        [[ $output == *"127.0.0.1:$PORT"* ]] || fail "not on loopback: $output"
    fi
    kill -TERM "$PID"
    wait "$PID" || fail "exit $? after SIGTERM"
    PID=
    # The folder is made when missing.
    [[ -d $T/s ]]
}

@test "no token, a wrong token, a foreign Host or Origin: 403; the right ones pass" {
    start
    [[ $(code "$BASE/api/files") == 403 ]] || fail "no token: $(cat "$T/body")"
    grep -q 'X-Okxkit-Token' "$T/body"
    # The last digit changed (to 0, or to 1 when it is 0: one token in 16 ends in 0).
    local wrong=${TOKEN%?}0
    [[ $wrong != "$TOKEN" ]] || wrong=${TOKEN%?}1
    [[ $(code -H "X-Okxkit-Token: $wrong" "$BASE/api/files") == 403 ]] || fail "wrong token"
    [[ $(code -H "X-Okxkit-Token: x$TOKEN" "$BASE/api/files") == 403 ]] || fail "longer token"
    # DNS rebinding: the right token cannot help a request that names another host.
    [[ $(code -H "X-Okxkit-Token: $TOKEN" -H "Host: attacker.example:$PORT" "$BASE/api/files") == 403 ]] ||
        fail "foreign Host"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" -H "Host: 127.0.0.1:1" "$BASE/api/files") == 403 ]] ||
        fail "another port in Host"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" -H "Origin: http://attacker.example" "$BASE/api/files") == 403 ]] ||
        fail "foreign Origin"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" -H "Origin: null" "$BASE/api/files") == 403 ]] ||
        fail "null Origin"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" -H "Origin: http://127.0.0.1:$PORT" "$BASE/api/files") == 200 ]] ||
        fail "own Origin"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" -H "Host: localhost:$PORT" "$BASE/api/files") == 200 ]] ||
        fail "localhost"
    # The page's files need no token, but a right Host all the same.
    [[ $(code -H "Host: attacker.example" "$BASE/") == 403 ]] || fail "page with a foreign Host"
    # The token is not written anywhere but the start line.
    [[ $(grep -c "$TOKEN" "$T/err") == 1 ]]
}

@test "names are file names in the folder: paths and other names get 400, nothing is written outside" {
    start
    mkdir -p "$T/s"
    local h="X-Okxkit-Token: $TOKEN"
    for name in ../x.toml ..%2Fx.toml %2E%2E%2Fx.toml ..%2F..%2Fetc%2Fpasswd x.txt .hidden.toml \
        a..b.toml "$(printf 'a%.0s' {1..70}).toml" %2Ftmp%2Fx.toml; do
        [[ $(code --path-as-is -H "$h" -X PUT --data-binary 'kind = "grid"' "$BASE/api/files/$name") == 400 ]] ||
            fail "PUT $name: $(cat "$T/body")"
        [[ $(code --path-as-is -H "$h" "$BASE/api/files/$name") == 400 ]] || fail "GET $name"
        [[ $(code --path-as-is -H "$h" "$BASE/api/templates/$name") == 400 ]] || fail "template $name"
        [[ $(code --path-as-is -H "$h" "$BASE/api/compile/$name") == 400 ]] || fail "compile $name"
    done
    [[ ! -e $T/x.toml && ! -e $T/s/x.txt ]] || fail "a file was written"
    [[ -z $(ls -A "$T/s") ]] || fail "the folder is not empty: $(ls -A "$T/s")"
}

@test "the API answers as select-strategy does: schema, validation, save, compile" {
    start --store "$T/o.db" --bar 1H
    local rules=$OKXKIT_SOURCE_DIR/share/okxkit/strategies/rules.toml
    # The palette's source is the engine's own schema.
    diff <(api /api/schema) <(select-strategy --schema)
    # Templates: listed and served as shipped.
    run api /api/files
    assert_output --partial '"files":[]'
    assert_output --partial '"rules.toml"'
    cmp <(api /api/templates/rules.toml) "$rules"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" "$BASE/api/templates/none.toml") == 404 ]]
    # Validation of a body: the keys and lines of --validate --format json.
    cat >"$T/bad.toml" <<'TOML'
kind = "rules"
[indicators]
fast = "ema_012"
[conditions]
up = { op = "cross_above", a = "fast", b = "slow" }
[actions]
go = { when = "up", do = "target", equity_frac = 1.5 }
TOML
    diff <(api '/api/validate?name=bad.toml' -X POST --data-binary @"$T/bad.toml" | jq -c '[.valid, [.errors[] | [.line, .key, .message]]]') \
        <(cd "$T" && select-strategy --validate bad.toml --format json | jq -c '[.valid, [.errors[] | [.line, .key, .message]]]')
    # Saving: the bytes as sent, the answer its validation, atomically (no temporary left).
    run api /api/files/mine.toml -X PUT --data-binary @"$rules"
    assert_output --partial '{"valid":true,"files":1,"errors":[],"warmup":{'
    # Warm-ups: ema_12 gives a value from the 12th candle, ema_26 from the 26th, a cross reads
    # the candle before as well, an action waits for its condition; "" is the whole strategy.
    [[ $(jq -c .warmup <<<"$output") == '{"":27,"indicators.fast":12,"indicators.slow":26,"conditions.golden":27,"conditions.death":27,"actions.enter":27,"actions.exit":27}' ]] ||
        fail "warm-ups: $(jq -c .warmup <<<"$output")"
    run api /api/validate -X POST --data-binary @"$OKXKIT_SOURCE_DIR/share/okxkit/strategies/trend.toml"
    [[ $(jq -c .warmup <<<"$output") =~ ^\{\"\":[0-9]+\}$ ]] || fail "a built-in kind's warm-up: $output"
    cmp "$T/s/mine.toml" "$rules"
    cmp <(api /api/files/mine.toml) "$rules"
    [[ $(ls -A "$T/s") == mine.toml ]] || fail "left: $(ls -A "$T/s")"
    run api /api/files/broken.toml -X PUT --data-binary @"$T/bad.toml"
    assert_output --partial '"valid":false'
    cmp "$T/s/broken.toml" "$T/bad.toml" # work in progress is kept
    run api /api/files
    assert_output --partial '"files":["broken.toml","mine.toml"]'
    # The deploy view: select-strategy --compile's text; a file with problems gets 422.
    diff <(api /api/compile/mine.toml) \
        <(select-strategy --compile "$T/s/mine.toml" --store "$T/o.db" --bar 1H --run default)
    [[ $(code -H "X-Okxkit-Token: $TOKEN" "$BASE/api/compile/broken.toml") == 422 ]]
    jq -e '.valid == false' "$T/body" >/dev/null
    # Nothing it prints runs against an exchange's demo or live accounts.
    ! api /api/compile/mine.toml | grep -e '--mode' || fail "a --mode in the pipeline"
}

@test "bodies over 1 MiB are refused; an unknown path is a JSON 404; the page says when it is missing" {
    start --data "$T/data"
    mkdir -p "$T/data/strategies"
    head -c 2000000 /dev/zero | tr '\0' '#' >"$T/big"
    [[ $(code -H "X-Okxkit-Token: $TOKEN" -X PUT --data-binary @"$T/big" "$BASE/api/files/big.toml") == 413 ]] ||
        fail "big body: $(head -c 200 "$T/body")"
    [[ ! -e $T/s/big.toml ]]
    [[ $(code -H "X-Okxkit-Token: $TOKEN" "$BASE/api/nothing") == 404 ]]
    jq -e .error "$T/body" >/dev/null
    [[ $(code "$BASE/") == 404 ]]
    grep -q "the page is not installed ($T/data/builder/index.html)" "$T/body"
    mkdir -p "$T/data/builder"
    printf '<!doctype html><title>b</title>\n' >"$T/data/builder/index.html"
    [[ $(code -D "$T/head" "$BASE/") == 200 ]]
    grep -qi '^Content-Security-Policy: default-src .self.' "$T/head"
    cmp "$T/body" "$T/data/builder/index.html"
}

@test "a port in use is exit 1 with what to do; a bad port or bar is a usage error" {
    start
    run okx-builder --dir "$T/s2" --port "$PORT"
    assert_failure 1
    assert_output --partial "cannot listen on 127.0.0.1:$PORT (in use? try --port 0"
    run okx-builder --port 70000
    assert_failure 2
    run okx-builder --port 0 --bar 7m --dir "$T/s3"
    assert_failure 2
    assert_output --partial "--bar 7m: not a bar"
}
