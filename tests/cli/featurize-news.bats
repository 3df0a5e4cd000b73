#!/usr/bin/env bats
# featurize's news feature group: asked for by a set file, free of lookahead (an item counts
# only for candles that close at or after its ts, and only after its line), the same bytes on
# every replay, and nothing changed for the default set when news lines are in the input.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
}

# Two hours of BTC-USDT 5m candles (2021-04-01 00:00 to 02:00) and a set of only the news
# group, once per test file.
setup_file() {
    export CANDLES=$BATS_FILE_TMPDIR/candles.ndjson NEWSSET=$BATS_FILE_TMPDIR/news.toml
    okx-stream --replay "$OKXKIT_SOURCE_DIR"/share/okxkit/samples/BTC-USDT_5m.csv \
        --to 2021-04-01T02:00 > "$CANDLES"
    printf 'default = false\ngroups = ["news"]\n' > "$NEWSSET"
}

# The features of the candle that opens at ts (ms), as an object keyed by name.
features_at() { # file ts
    jq -c --argjson ts "$2" 'select(.type == "features" and .ts == $ts) | .f' "$1"
}

# The features lines of the candles that close before ms.
features_before() { # file ms
    jq -c --argjson ms "$2" 'select(.type == "features" and .ts + 300000 < $ms)' "$1"
}

@test "the news group is off by default and listed with group, warm-up and definition when asked for" {
    run bash -c 'featurize --list | cut -f1 | grep -c "^news"'
    assert_output 0
    run featurize --list --set "$NEWSSET"
    assert_success
    [ "${#lines[@]}" -eq 14 ]
    for name in news_sent_1 news_sent_24 news_sent_mean_1 news_sent_mean_24 news_count_1 \
        news_count_24 news_age news_mkt_sent_1 news_mkt_sent_24 news_mkt_sent_mean_1 \
        news_mkt_sent_mean_24 news_mkt_count_1 news_mkt_count_24 news_mkt_age; do
        assert_line --regexp "^$name	news	1[^	]*	.+"
    done
    assert_line --partial "news_age	news	1; null before an item	hours from the latest"
    # By name, in a set with the default features.
    printf 'features = ["news_mkt_count_0.5"]\ndefault = true\n' > "$T/one.toml"
    run bash -c "featurize --list --set $T/one.toml | tail -1 | cut -f1-3"
    assert_output "news_mkt_count_0.5	news	1"
    printf 'groups = ["gossip"]\n' > "$T/bad.toml"
    run featurize --list --set "$T/bad.toml"
    assert_failure 2
    assert_output --regexp 'bad.toml:1: unknown group "gossip" \(groups: trend, .*news\)'
}

@test "an item seen inside a bar counts from that bar's close on, not for the bar before" {
    printf 'published,headline\n2021-04-01T00:07:00Z,Bitcoin price surges\n' > "$T/h.csv"
    # Seen at 00:08 (published + 1m): merged before the candle of 00:05, which closes at 00:10.
    news --replay "$T/h.csv" --merge --assume-delay 1m < "$CANDLES" > "$T/merged.ndjson"
    run grep -c '"type":"news"' "$T/merged.ndjson"
    assert_output 1
    featurize --set "$NEWSSET" --format object < "$T/merged.ndjson" > "$T/with.ndjson"
    featurize --set "$NEWSSET" --format object < "$CANDLES" > "$T/without.ndjson"
    # 00:00 closes at 00:05, before the item: as without it.
    [ "$(features_at "$T/with.ndjson" 1617235200000)" = "$(features_at "$T/without.ndjson" 1617235200000)" ]
    run features_at "$T/with.ndjson" 1617235200000
    assert_output --partial '"news_count_1":0,"news_count_24":0,"news_age":null'
    # 00:05 closes at 00:10: the item is 2 minutes old, about BTC-USDT, scored positive.
    run jq -r 'select(.type == "features" and .ts == 1617235500000) | .f |
        [.news_count_1, .news_mkt_count_24, .news_age, .news_mkt_age,
         (.news_sent_1 > 0), (.news_sent_mean_24 == .news_mkt_sent_mean_24)] | @tsv' "$T/with.ndjson"
    assert_output "$(printf '1\t1\t0.03333333333333333\t0.03333333333333333\ttrue\ttrue')"
    # An hour later it has left news_count_1 but not news_count_24, and it has decayed.
    run jq -r 'select(.type == "features" and .ts == 1617239100000) | .f |
        [.news_count_1, .news_count_24, .news_age] | @tsv' "$T/with.ndjson"
    assert_output "$(printf '0\t1\t1.0333333333333334')"
}

@test "an item early in the stream with a later ts changes no earlier candle" {
    # Seen (ts) at 01:00 but written first: it waits for the candle that closes at 01:00.
    item='{"type":"news","v":1,"ts":1617238800000,"headline":"Ether rallies","source":"test","symbols":["ETH-USDT"],"sentiment":0.5}'
    { echo "$item"; cat "$CANDLES"; } > "$T/early.ndjson"
    featurize --set "$NEWSSET" --format object < "$T/early.ndjson" > "$T/with.ndjson"
    featurize --set "$NEWSSET" --format object < "$CANDLES" > "$T/without.ndjson"
    run diff <(features_before "$T/with.ndjson" 1617238800000) \
        <(features_before "$T/without.ndjson" 1617238800000)
    assert_success
    [ "$(features_before "$T/with.ndjson" 1617238800000 | wc -l)" -eq 11 ]
    # 00:55 closes at 01:00 exactly: the item counts market-wide (it names ETH-USDT only).
    run jq -r 'select(.type == "features" and .ts == 1617238500000) | .f |
        [.news_mkt_count_1, .news_mkt_age, .news_mkt_sent_1, .news_count_1, .news_age] | @tsv' \
        "$T/with.ndjson"
    assert_output "$(printf '1\t0\t0.5\t0\t')"
    # The item line itself passed through first, unchanged.
    [ "$(head -1 "$T/with.ndjson")" = "$item" ]
}

@test "an item seen after the candle it could have counted for only counts for later ones" {
    # ts 00:07, but its line comes after the candle of 00:05 (that closes at 00:10): late.
    item='{"type":"news","v":1,"ts":1617235620000,"headline":"late","source":"test","symbols":["BTC-USDT"],"sentiment":-0.5}'
    awk -v item="$item" '{ print } /"ts":1617235500000,/ { print item }' "$CANDLES" > "$T/late.ndjson"
    featurize --set "$NEWSSET" --format object < "$T/late.ndjson" > "$T/with.ndjson"
    featurize --set "$NEWSSET" --format object < "$CANDLES" > "$T/without.ndjson"
    [ "$(features_at "$T/with.ndjson" 1617235500000)" = "$(features_at "$T/without.ndjson" 1617235500000)" ]
    run jq -r 'select(.type == "features" and .ts == 1617235800000) | .f |
        [.news_count_1, .news_age] | @tsv' "$T/with.ndjson"
    assert_output "$(printf '1\t0.13333333333333333')"
}

@test "the news features are byte-identical across two replays" {
    cat > "$T/h.csv" <<'EOF'
published,headline
2021-04-01T00:07:00Z,Bitcoin price surges
2021-04-01T00:31:00Z,Ethereum slumps as traders panic
2021-04-01T00:31:30Z,Regulators meet on crypto rules
2021-04-01T01:12:00Z,Bitcoin and Cardano rally
2021-04-01T01:50:00Z,Exchange hacked: bitcoin withdrawals halted
EOF
    for run in 1 2; do
        okx-stream --replay "$OKXKIT_SOURCE_DIR"/share/okxkit/samples/BTC-USDT_5m.csv \
            --to 2021-04-01T02:00 | news --replay "$T/h.csv" --merge --assume-delay 1m |
            featurize --set "$NEWSSET" > "$T/run$run.ndjson"
    done
    cmp "$T/run1.ndjson" "$T/run2.ndjson"
    [ "$(grep -c '"type":"news"' "$T/run1.ndjson")" -eq 5 ]
    [ "$(grep -c '"type":"features"' "$T/run1.ndjson")" -eq 24 ]
    # Something really was computed: the last candle saw all five items within 24 h.
    run jq -r 'select(.type == "features") | .f[12]' "$T/run1.ndjson"
    assert_line --index 23 5
}

@test "the default set writes the same bytes with news lines in its input, and passes them on" {
    cat > "$T/h.csv" <<'EOF'
published,headline
2021-04-01T00:07:00Z,Bitcoin price surges
2021-04-01T01:12:00Z,Bitcoin and Cardano rally
EOF
    news --replay "$T/h.csv" --merge --assume-delay 1m < "$CANDLES" > "$T/merged.ndjson"
    featurize < "$CANDLES" > "$T/plain.ndjson"
    featurize < "$T/merged.ndjson" > "$T/with.ndjson"
    run diff <(grep -v '"type":"news"' "$T/with.ndjson") "$T/plain.ndjson"
    assert_success
    run diff <(grep '"type":"news"' "$T/with.ndjson") <(grep '"type":"news"' "$T/merged.ndjson")
    assert_success
    [ "$(grep -c '"type":"news"' "$T/with.ndjson")" -eq 2 ]
    # The default set's schema: 218 names and the hash it had before the news group.
    run jq -r 'select(.type == "feature_schema") | "\(.schema) \(.names | length)"' "$T/with.ndjson"
    assert_output "0bf90c2e228c1e68 218"
}
