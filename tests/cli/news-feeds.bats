#!/usr/bin/env bats
# news --feeds: live RSS and Atom feeds polled from a local server (tests/feed-server, on
# 127.0.0.1: never the internet). New items once, conditional GETs, the store's memory across
# restarts, --record then --replay, hostile and failing feeds, politeness, exit codes, signals.
# Time is driven by --once, --rounds and the server, never waited for.

bats_require_minimum_version 1.5.0
load helpers

FEED_SERVER=$OKXKIT_SOURCE_DIR/tests/feed-server/feed_server.py
FIXTURES=$OKXKIT_SOURCE_DIR/tests/cli/data/feeds

setup() {
    T=$BATS_TEST_TMPDIR
    [[ -x /usr/bin/python3 ]] || skip "the feed server needs /usr/bin/python3"
    /usr/bin/python3 "$FEED_SERVER" --dir "$FIXTURES" --log "$T/server.log" \
        --port-file "$T/port" 2>"$T/server.err" 3>&- &
    SERVER_PID=$!
    for _ in $(seq 200); do
        [[ -s $T/port ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$T/server.err" >&2; return 1; }
        sleep 0.05
    done
    [[ -s $T/port ]] || { echo "the feed server did not write its port file" >&2; return 1; }
    B=http://127.0.0.1:$(cat "$T/port")
    S=$T/store.db
}

# The server must still be there and stop cleanly (status 0 on SIGTERM).
teardown() {
    [[ -n ${SERVER_PID:-} ]] || return 0
    kill -TERM "$SERVER_PID"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    if [[ $rc != 0 ]]; then
        echo "the feed server exited $rc on SIGTERM" >&2
        cat "$T/server.err" >&2
        return 1
    fi
}

now_ms() {
    date +%s%3N
}

# The server's log as one JSON array.
requests() {
    jq -s . "$T/server.log"
}

@test "each new item once, oldest published first, ts when first seen; a repeat from another feed dropped" {
    local before after
    before=$(now_ms)
    run --separate-stderr news --feeds "$B/feeds/coins.rss" "$B/feeds/markets.atom" --once \
        --host-gap 10ms --store "$S"
    after=$(now_ms)
    assert_success
    [[ -z $stderr ]] || fail "stderr: $stderr"
    [[ ${#lines[@]} -eq 6 ]] || fail "expected 6 items, got: $output"
    # What the feeds said, cleaned: entities decoded once more, CDATA markup stripped, white
    # space evened out, a relative Atom link resolved, rel=alternate preferred over rel=self.
    printf '%s\n' "$output" | jq -c 'del(.ts, .sentiment)' >"$T/got"
    cat >"$T/want" <<EOF
{"type":"news","v":1,"published":1704187800000,"headline":"Bitcoin climbs past \$70,000 as ETF inflows surge","source":"Coin Wire","url":"https://coinwire.example/markets/btc-70k","symbols":["BTC-USDT"]}
{"type":"news","v":1,"published":1704188700000,"headline":"Exchange hack drains \$40M in XRP & other tokens","source":"Coin Wire","url":"https://coinwire.example/markets/xrp-hack","symbols":["XRP-USDT"]}
{"type":"news","v":1,"published":1704189000000,"headline":"Ethereum developers set a date for the next upgrade","source":"Coin Wire","url":"https://coinwire.example/tech/eth-upgrade","symbols":["ETH-USDT"]}
{"type":"news","v":1,"headline":"Regulators publish a stablecoin consultation","source":"Coin Wire","url":"https://coinwire.example/policy/stablecoins","symbols":[]}
{"type":"news","v":1,"published":1704183300000,"headline":"Cardano rallies after staking update","source":"Block Street Journal","url":"$B/posts/ada-rally","symbols":["ADA-USDT"]}
{"type":"news","v":1,"published":1704186000500,"headline":"Polkadot parachain auction ends quietly","source":"Block Street Journal","url":"https://blockstreet.example/posts/dot-auction","symbols":["DOT-USDT"]}
EOF
    diff -u "$T/want" "$T/got"
    # ts: the moment each was first seen, in order, within the run.
    printf '%s\n' "$output" | jq -e --argjson lo "$before" --argjson hi "$after" \
        '.ts >= $lo and .ts <= $hi and (.sentiment | type) == "number"' >/dev/null
    printf '%s\n' "$output" | jq -s -e '[.[].ts] == ([.[].ts] | sort)' >/dev/null
}

@test "the second poll is a conditional GET, answered 304 and costing nothing; also in the next run" {
    run --separate-stderr news --feeds "$B/feeds/coins.rss" "$B/lm/markets.atom" --rounds 2 \
        --every 10ms --host-gap 10ms --store "$S"
    assert_success
    [[ ${#lines[@]} -eq 6 ]] || fail "expected 6 items, got: $output"
    requests >"$T/r.json"
    # First polls: unconditional. Then the ETag goes back as If-None-Match (with the
    # Last-Modified as If-Modified-Since), and a feed with a Last-Modified only gets that back.
    jq -e 'map(select(.path == "/feeds/coins.rss")) |
        length == 2 and .[0].inm == null and .[0].status == 200 and
        (.[1].inm | test("^\"[0-9a-f]+\"$")) and .[1].ims == "Tue, 02 Jan 2024 10:00:00 GMT" and
        .[1].status == 304' "$T/r.json" >/dev/null || { cat "$T/r.json"; false; }
    jq -e 'map(select(.path == "/lm/markets.atom")) |
        length == 2 and .[0].ims == null and .[1].inm == null and
        .[1].ims == "Tue, 02 Jan 2024 10:00:00 GMT" and .[1].status == 304' \
        "$T/r.json" >/dev/null || { cat "$T/r.json"; false; }
    # A new process (cron with --once) sends the validators the store kept.
    run --separate-stderr news --feeds "$B/feeds/coins.rss" --once --store "$S" -v
    assert_success
    assert_output ''
    [[ $stderr == *"0 new items from 1 feeds in 1 requests (1 not modified, 0 failed)"* ]] ||
        fail "stderr: $stderr"
    [[ $(jq -s 'map(select(.path == "/feeds/coins.rss")) | last | .status' "$T/server.log") == 304 ]]
}

@test "a restart writes nothing it saw before, even from a feed that sends no validators" {
    run --separate-stderr news --feeds "$B/plain/coins.rss" --once --store "$S"
    assert_success
    [[ ${#lines[@]} -eq 4 ]] || fail "expected 4 items, got: $output"
    run --separate-stderr news --feeds "$B/plain/coins.rss" --once --store "$S" -v
    assert_success
    assert_output ''
    [[ $stderr == *"0 new items"*"4 seen before"* ]] || fail "stderr: $stderr"
    # Both polls were whole 200s: the store, not a 304, kept the items out.
    requests | jq -e 'length == 2 and all(.status == 200 and .inm == null and .ims == null)' \
        >/dev/null
    # The store keeps each item under its headline key and its URL key.
    run sqlite3 "$S" "SELECT count(*), count(DISTINCT headline) FROM news_seen WHERE feed = '$B/plain/coins.rss'"
    assert_output '8|4'
    # Another store has not seen them.
    run --separate-stderr news --feeds "$B/plain/coins.rss" --once --store "$T/other.db"
    assert_success
    [[ ${#lines[@]} -eq 4 ]]
}

@test "--forget: what no feed carried for that long is forgotten once every feed answered; what a feed still carries stays" {
    run --separate-stderr news --feeds "$B/plain/coins.rss" "$B/feeds/markets.atom" --once \
        --host-gap 10ms --store "$S"
    assert_success
    [[ ${#lines[@]} -eq 6 ]] || fail "expected 6 items, got: $output"
    # As if every item was last carried in 2001, plus an item that no feed lists any more.
    sqlite3 "$S" "UPDATE news_seen SET last_seen = 1000000000000;
        INSERT INTO news_seen(key, first_seen, last_seen, headline, source, feed)
        VALUES('h:gone', 1000000000000, 1000000000000, 'Gone', 'Old', '$B/plain/coins.rss')"
    # A run in which a feed never answers forgets nothing.
    run --separate-stderr news --feeds "$B/plain/coins.rss" "$B/no-such-thing" --once \
        --host-gap 10ms --store "$S" -v
    assert_success
    assert_output ''
    [[ $stderr != *forgotten* ]] || fail "stderr: $stderr"
    run sqlite3 "$S" "SELECT count(*) FROM news_seen WHERE last_seen = 1000000000000"
    assert_output 5 # markets.atom's 2 items under 2 keys each, and Gone
    # Both feeds answer (coins.rss listing its items again, markets.atom with a 304): only
    # Gone is forgotten, and nothing comes out again.
    run --separate-stderr news --feeds "$B/plain/coins.rss" "$B/feeds/markets.atom" --once \
        --host-gap 10ms --store "$S" -v
    assert_success
    assert_output ''
    [[ $stderr == *"0 new items from 2 feeds in 2 requests (1 not modified, 0 failed), 4 seen before, 1 forgotten"* ]] ||
        fail "stderr: $stderr"
    run sqlite3 "$S" "SELECT count(*), count(*) FILTER (WHERE last_seen > 1000000000000),
        count(*) FILTER (WHERE key = 'h:gone') FROM news_seen"
    assert_output '12|12|0'
    run --separate-stderr news --feeds "$B/plain/coins.rss" --once --store "$S" --forget 0s
    assert_failure 2
}

@test "--record then --replay of that file writes the same lines as the live run" {
    local opts=(--symbols BTC-USDT,ETH-USDT,ADA-USDT,SOL-USDT --alias ADA=cardano --explain)
    run --separate-stderr news --feeds "$B/feeds/coins.rss" "$B/feeds/markets.atom" --once \
        --host-gap 10ms --store "$S" --record "$T/rec.ndjson" "${opts[@]}"
    assert_success
    printf '%s\n' "$output" >"$T/live.ndjson"
    [[ $(wc -l <"$T/live.ndjson") -eq 6 ]]
    # The record holds what the feeds said and when, nothing computed from it.
    jq -e 'keys - ["type","v","ts","published","headline","source","url"] == []' \
        "$T/rec.ndjson" >/dev/null
    run --separate-stderr news --replay "$T/rec.ndjson" "${opts[@]}"
    assert_success
    printf '%s\n' "$output" >"$T/replay.ndjson"
    cmp "$T/live.ndjson" "$T/replay.ndjson"
    # Appended to, never rewritten: a later run adds only what is new (here nothing).
    run news --feeds "$B/plain/coins.rss" --once --store "$S" --record "$T/rec.ndjson"
    assert_success
    [[ $(wc -l <"$T/rec.ndjson") -eq 6 ]]
}

@test "malformed XML, an entity bomb, wrong bytes for the encoding, a web page: a warning each, the good feed flows" {
    run --separate-stderr news --feeds "$B/feeds/malformed.xml" "$B/feeds/billion-laughs.xml" \
        "$B/wrong-encoding" "$B/feeds/page.html" "$B/feeds/coins.rss" --once --host-gap 10ms \
        --store "$S"
    assert_success
    [[ ${#lines[@]} -eq 4 ]] || fail "expected coins.rss's 4 items, got: $output"
    [[ $(grep -c '' <<<"$stderr") -eq 4 ]] || fail "stderr: $stderr"
    [[ $stderr == *"news: warning: feed $B/feeds/malformed.xml: malformed XML at line 6: Opening and ending tag mismatch: title line 6 and titel"* ]]
    [[ $stderr == *"news: warning: feed $B/feeds/billion-laughs.xml: malformed XML at line 15: "* ]]
    [[ $stderr == *"news: warning: feed $B/wrong-encoding: malformed XML at line 2: Input is not proper UTF-8"* ]]
    [[ $stderr == *"news: warning: feed $B/feeds/page.html: not an RSS or Atom feed: the root element is <html>"* ]]
}

@test "external entities and DTDs are never read or fetched" {
    run --separate-stderr news --feeds "$B/feeds/external-entity.xml" "$B/feeds/external-dtd.xml" \
        --once --host-gap 10ms --store "$S"
    assert_success
    printf '%s\n' "$output" | jq -r .headline >"$T/h"
    printf '%s\n' "Solana outage resolved" "Chainlink adds a price feed" | diff -u - "$T/h"
    refute_output --partial 'root:'
    requests | jq -e 'map(.path) | sort == ["/feeds/external-dtd.xml", "/feeds/external-entity.xml"]' \
        >/dev/null || { cat "$T/server.log"; false; }
}

@test "a feed that answers too slowly times out with a warning; the other feed flows" {
    run --separate-stderr news --feeds "$B/slow/coins.rss?delay=5" "$B/feeds/markets.atom" \
        --once --timeout 300ms --host-gap 10ms --store "$S"
    assert_success
    [[ ${#lines[@]} -eq 3 ]] || fail "expected markets.atom's 3 items, got: $output"
    [[ $stderr == "news: warning: feed $B/slow/coins.rss?delay=5: timed out (--connect-timeout 10s, --timeout 300ms): operation timed out after "* ]] ||
        fail "stderr: $stderr"
}

@test "a 50 MB answer is refused at --max-size, with or without a length, gzipped or not" {
    run --separate-stderr news --feeds "$B/huge" "$B/huge-unsized" "$B/gzip-bomb" \
        "$B/feeds/markets.atom" --once --host-gap 10ms --store "$S"
    assert_success
    [[ ${#lines[@]} -eq 3 ]] || fail "expected markets.atom's 3 items, got: $output"
    local u
    for u in huge huge-unsized gzip-bomb; do
        [[ $stderr == *"news: warning: feed $B/$u: refused: the answer is larger than --max-size (10485760 bytes)"* ]] ||
            fail "no warning for $u: $stderr"
    done
    # The cap is an option.
    run --separate-stderr news --feeds "$B/feeds/coins.rss" --once --max-size 1024 --store "$S"
    assert_failure 5
    [[ $stderr == *"refused: the answer is larger than --max-size (1024 bytes)"* ]]
}

@test "gzip is accepted" {
    run --separate-stderr news --feeds "$B/gzip/markets.atom" --once --store "$S"
    assert_success
    [[ ${#lines[@]} -eq 3 ]]
    requests | jq -e '.[0].status == 200 and (.[0].ae | test("gzip"))' >/dev/null
}

@test "errors back off: each one in a row doubles the wait, a Retry-After is honoured" {
    run --separate-stderr news --feeds "$B/status/500" --rounds 3 --every 100ms --store "$S"
    assert_failure 5
    assert_output ''
    cat >"$T/want" <<EOF
news: warning: feed $B/status/500: HTTP 500; next try in 200ms
news: warning: feed $B/status/500: HTTP 500; next try in 400ms
news: warning: feed $B/status/500: HTTP 500
news: error: no feed answered: see the warnings above, and try again later
EOF
    diff -u "$T/want" <(printf '%s\n' "$stderr")
    run --separate-stderr news --feeds "$B/status/503?retry-after=1" --rounds 2 --every 100ms \
        --store "$S"
    assert_failure 5
    [[ $stderr == *"HTTP 503 (retry after 1s); next try in 1s"* ]] || fail "stderr: $stderr"
}

@test "one request at a time per host, --host-gap after each answer" {
    run --separate-stderr news --feeds "$B/feeds/coins.rss" "$B/feeds/markets.atom" \
        "$B/plain/coins.rss" "$B/status/500" --once --host-gap 300ms --store "$S"
    assert_success
    # The server logs `start` once a request is read and `sent` before its answer's first
    # byte: the next request can only start after the client had the answer and waited.
    requests | jq -e 'sort_by(.start) | length == 4 and
        ([range(1; length) as $i | .[$i].start - .[$i - 1].sent] | min >= 0.3)' >/dev/null ||
        { cat "$T/server.log"; false; }
}

@test "SIGINT and SIGTERM stop a live run with 130 and 143, what was seen written" {
    local sig code pid
    for sig in INT TERM; do
        rm -f "$T/out" "$T/store-$sig.db"
        news --feeds "$B/feeds/coins.rss" --every 1h --unbuffered --store "$T/store-$sig.db" \
            >"$T/out" 2>"$T/err" &
        pid=$!
        for _ in $(seq 200); do
            [[ -s $T/out && $(wc -l <"$T/out") -ge 4 ]] && break
            sleep 0.05
        done
        [[ $(wc -l <"$T/out") -eq 4 ]] || fail "the run wrote no items"
        kill -"$sig" "$pid"
        code=0
        wait "$pid" || code=$?
        [[ $code -eq $([[ $sig == INT ]] && echo 130 || echo 143) ]] || fail "$sig: exit $code"
        jq -e . "$T/out" >/dev/null
        run sqlite3 "$T/store-$sig.db" "SELECT count(DISTINCT headline) FROM news_seen"
        assert_output 4
    done
}

@test "news.feeds and the other live keys from the config file; a --replay ignores them" {
    mkdir -p "$XDG_CONFIG_HOME/okxkit"
    cat >"$XDG_CONFIG_HOME/okxkit/config.toml" <<EOF
[news]
feeds = ["$B/feeds/coins.rss", "$B/feeds/markets.atom"]
host_gap = "10ms"
timeout = "5s"
EOF
    run --separate-stderr news --once --store "$S" --record "$T/rec.ndjson"
    assert_success
    [[ ${#lines[@]} -eq 6 ]] || fail "got: $output / $stderr"
    # A --replay reads its files only, whatever feeds the config names.
    run --separate-stderr news --replay "$T/rec.ndjson"
    assert_success
    [[ ${#lines[@]} -eq 6 ]] || fail "got: $output / $stderr"
    requests | jq -e 'length == 2' >/dev/null
}

@test "usage errors exit 2; no feed answering a --once exits 5" {
    run --separate-stderr news --feeds ftp://example.com/x --once --store "$S"
    assert_failure 2
    [[ $stderr == "news: error: --feeds ftp://example.com/x: not an http:// or https:// URL"* ]]
    run --separate-stderr news --feeds "$B/feeds/coins.rss" --replay "$FIXTURES/coins.rss"
    assert_failure 2
    run --separate-stderr news --replay /dev/null --once
    assert_failure 2
    [[ $stderr == *"--once is for live feeds: give --feeds URL too"* ]]
    run --separate-stderr news --feeds "$B/feeds/coins.rss" --merge --store "$S"
    assert_failure 2
    [[ $stderr == *"--merge is for --replay"* ]]
    run --separate-stderr news --feeds "$B/feeds/coins.rss" --once --rounds 2 --store "$S"
    assert_failure 2
    run --separate-stderr news --feeds "$B/feeds/coins.rss" --every 0s --store "$S"
    assert_failure 2
    run --separate-stderr news --feeds "$B/no-such-thing" --once --store "$S"
    assert_failure 5
    [[ $stderr == *"news: warning: feed $B/no-such-thing: HTTP 404"* ]]
    [[ $stderr == *"news: error: no feed answered"* ]]
    # Nothing listens on the port of a server that stopped.
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    SERVER_PID=
    run --separate-stderr news --feeds "$B/feeds/coins.rss" --once --store "$S"
    assert_failure 5
    [[ $stderr == *"news: warning: feed $B/feeds/coins.rss: "*"onnect"* ]] || fail "$stderr"
}
