#!/usr/bin/env bats
# news' contract: VADER parity with NLTK on every shipped headline, the crypto overlay,
# replay in seen order (ts = published + --assume-delay), repeats dropped, symbol tags, the
# merge into a message stream at each candle's close, bad rows, exit codes, determinism.

bats_require_minimum_version 1.5.0
load helpers

HEADLINES=$OKXKIT_SOURCE_DIR/tests/cli/data/crypto_headlines.csv
SAMPLE_NEWS=$SAMPLES/news/headlines.csv
LEXICON=$OKXKIT_SOURCE_DIR/share/okxkit/lexicon/vader_lexicon.txt
OVERLAY=$OKXKIT_SOURCE_DIR/share/okxkit/lexicon/crypto-overlay.tsv
REFERENCE=$OKXKIT_SOURCE_DIR/tests/cli/helpers/vader_reference.py

setup() {
    T=$BATS_TEST_TMPDIR
}

# The items of a CSV's descriptions, as headlines (longer texts: more of the rules at work).
descriptions_csv() {
    /usr/bin/python3 -c '
import csv, sys
rows = csv.DictReader(open(sys.argv[1], encoding="utf-8"))
out = csv.writer(sys.stdout)
out.writerow(["published", "headline"])
for r in rows:
    if r["description"].strip():
        out.writerow([r["published"], r["description"]])' "$1"
}

# news' scores against NLTK's on the same items: prints the items that differ by more than
# 1e-4 and fails when any does or when the counts differ. ARGS: news options; reference files.
parity() { # OURS REF
    local ours=$1 ref=$2
    [[ $(wc -l <"$ours") -eq $(wc -l <"$ref") ]] || fail "$(wc -l <"$ours") items, $(wc -l <"$ref") scored by NLTK"
    [[ $(wc -l <"$ours") -gt 20 ]] || fail "too few items to compare: $(wc -l <"$ours")"
    run jq -n -c --slurpfile a "$ours" --slurpfile b "$ref" '
        [range(0; $a | length) as $i
         | select($a[$i].headline != $b[$i].headline or (($a[$i].sentiment - $b[$i].compound) | fabs) > 0.0001)
         | {headline: $a[$i].headline, news: $a[$i].sentiment, nltk: $b[$i].compound}]'
    assert_success
    assert_output '[]'
}

@test "sentiment equals NLTK's VADER to 1e-4 on every shipped headline and description, plain and with the overlay" {
    /usr/bin/python3 -c 'import nltk' 2>/dev/null ||
        fail "needs Debian's python3-nltk as the reference (./scripts/deps installs it)"
    descriptions_csv "$HEADLINES" >"$T/desc.csv"
    for input in "$HEADLINES" "$SAMPLE_NEWS" "$T/desc.csv"; do
        news --replay "$input" --overlay none >"$T/plain.ndjson"
        /usr/bin/python3 "$REFERENCE" "$LEXICON" <"$T/plain.ndjson" >"$T/plain.ref"
        parity "$T/plain.ndjson" "$T/plain.ref"
        news --replay "$input" >"$T/crypto.ndjson"
        /usr/bin/python3 "$REFERENCE" "$LEXICON" "$OVERLAY" <"$T/crypto.ndjson" >"$T/crypto.ref"
        parity "$T/crypto.ndjson" "$T/crypto.ref"
    done
    # The overlay is not a no-op on real headlines.
    run jq -n --slurpfile a "$T/plain.ndjson" --slurpfile b "$T/crypto.ndjson" \
        '[range(0; $a | length) as $i | select($a[$i].sentiment != $b[$i].sentiment)] | length'
    (( output > 20 )) || fail "the overlay changed only $output scores"
}

@test "the crypto overlay moves the obvious cases the right way; a user's overlay file replaces words; none is plain VADER" {
    cat >"$T/h.csv" <<'EOF'
published,headline
2021-04-01T00:00:00Z,Major exchange hacked
2021-04-01T00:01:00Z,SEC signals ETF approval
2021-04-01T00:02:00Z,Token delisted from Binance
2021-04-01T00:03:00Z,Bitcoin price surges
2021-04-01T00:04:00Z,Ether plunges as liquidations mount
EOF
    news --replay "$T/h.csv" --overlay none | jq -r '.sentiment' >"$T/plain"
    news --replay "$T/h.csv" | jq -r '.sentiment' >"$T/crypto"
    paste "$T/plain" "$T/crypto" >"$T/both"
    run awk '
        NR == 1 && !($2 < $1 && $2 < -0.5) { print "hacked: " $0 }
        NR == 2 && !($2 > 0.3)              { print "approval: " $0 }
        NR == 3 && !($1 == 0 && $2 < -0.3)  { print "delisted: " $0 }
        NR == 4 && !($1 == 0 && $2 > 0.3)   { print "surges: " $0 }
        NR == 5 && !($2 < -0.5)             { print "plunges: " $0 }' "$T/both"
    assert_output ''
    # A user's overlay: one word changed, the rest of VADER as it is.
    printf '# mine\nsurges\t-3\n' >"$T/mine.tsv"
    run news --replay "$T/h.csv" --overlay "$T/mine.tsv" --from 2021-04-01T00:08 --to 2021-04-01T00:09
    assert_success
    [[ $(jq -r .sentiment <<<"$output") == -0.6124 ]] || fail "$output"
    # Through the config file too.
    printf '[news]\noverlay = "none"\n' >"$T/c.toml"
    OKXKIT_CONFIG=$T/c.toml news --replay "$T/h.csv" | jq -r '.sentiment' | diff - "$T/plain"
    # --explain shows what moved the score.
    run news --replay "$T/h.csv" --explain --from 2021-04-01T00:09 --to 2021-04-01T00:10
    assert_success
    [[ $(jq -c .terms <<<"$output") == '[{"term":"plunges","valence":-2.2},{"term":"liquidations","valence":-1.8}]' ]] ||
        fail "$output"
}

@test "replay: ts is published + --assume-delay, items in ts order (ties in input order), NDJSON news lines keep their ts" {
    cat >"$T/a.csv" <<'EOF'
published,headline,url,source
2021-04-01T00:10:00Z,Third by published time,,a
2021-04-01T00:00:00Z,First by published time,https://x.example/1,a
2021-04-01T00:05:00Z,Second,,a
EOF
    printf '%s\n' '{"type":"news","v":1,"ts":1617235260000,"published":1617235200000,"headline":"Recorded at 00:01","source":"r"}' \
        '{"type":"candle","v":1,"ts":1}' >"$T/b.ndjson"
    run news --replay "$T/a.csv" "$T/b.ndjson" --assume-delay 1m
    assert_success
    run jq -r '[.ts, .published, .headline] | @tsv' <<<"$output"
    assert_output "$(printf '%s\t%s\t%s\n' \
        1617235260000 1617235200000 "First by published time" \
        1617235260000 1617235200000 "Recorded at 00:01" \
        1617235560000 1617235500000 "Second" \
        1617235860000 1617235800000 "Third by published time")"
    # The default delay is 5 minutes: the pessimistic side of a backtest.
    run news --replay "$T/a.csv"
    [[ $(head -n 1 <<<"$output" | jq .ts) == $((1617235200000 + 300000)) ]] || fail "$output"
    # Standard input is a file like any other.
    run news --replay - --assume-delay 1m <"$T/a.csv"
    assert_success
    [[ $(jq -r .source <<<"$output" | sort -u) == a ]] || fail "$output"
    [[ ${#lines[@]} -eq 3 ]] || fail "$output"
    # --from/--to select by ts, not by published.
    run news --replay "$T/a.csv" --assume-delay 1m --from 2021-04-01T00:06 --to 2021-04-01T00:11:00
    assert_output --partial '"headline":"Second"'
    [[ ${#lines[@]} -eq 1 ]] || fail "$output" # "Third": published 00:10, seen 00:11
}

@test "repeats: the same headline (case, punctuation) or the same URL (scheme, www, utm_*) is one item, the first seen" {
    cat >"$T/a.csv" <<'EOF'
published,headline,url,source
2021-04-01T00:00:00Z,Bitcoin rallies past $60K,https://www.News.example/btc?utm_source=rss,a
2021-04-01T00:01:00Z,"BITCOIN RALLIES PAST $60K!",,b
2021-04-01T00:02:00Z,Another title for the same story,http://news.example/btc/,c
2021-04-01T00:03:00Z,A different story,https://news.example/other,d
EOF
    run news -v --replay "$T/a.csv"
    assert_success
    assert_line --partial 'news: note: 2 items, 2 repeats dropped'
    run news --replay "$T/a.csv"
    run jq -r .source <<<"$output"
    assert_output $'a\nd'
}

@test "symbols: tickers, names and aliases map to the configured instruments; other coins' names and lower-case words do not" {
    cat >"$T/a.csv" <<'EOF'
published,headline
2021-04-01T00:00:00Z,Bitcoin and $eth lead; XBT futures rise
2021-04-01T00:01:00Z,Polkadot (DOT) news; read the link
2021-04-01T00:02:00Z,Bitcoin Cash and Ethereum Classic jump
2021-04-01T00:03:00Z,Solana outage halts the network
2021-04-01T00:04:00Z,Fed holds rates steady
EOF
    run news --replay "$T/a.csv" --symbols BTC-USDT,ETH-USDT,DOT-USDT,LINK-USDT,SOL-USDT --alias SOL=solana
    assert_success
    run jq -c .symbols <<<"$output"
    assert_output $'["BTC-USDT","ETH-USDT"]\n["DOT-USDT"]\n[]\n["SOL-USDT"]\n[]'
    # Without the alias, Solana is market-wide news; SOL is not among the defaults either.
    run news --replay "$T/a.csv"
    [[ $(sed -n 4p <<<"$output" | jq -c .symbols) == '[]' ]] || fail "$output"
    run news --replay "$T/a.csv" --alias solana
    assert_failure 2
    assert_output --partial 'write BASE=NAME'
}

@test "--merge: every line through unchanged, each item before the first candle that closes at or after its ts, the rest at the end" {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-01T01:00 >"$T/candles.ndjson"
    cat >"$T/a.csv" <<'EOF'
published,headline
2021-04-01T00:09:00Z,Seen at 00:10: the candle of 00:05 closes then
2021-04-01T00:11:00Z,Seen at 00:12: inside the bar of 00:10
2021-04-02T00:00:00Z,After the last candle
EOF
    news --replay "$T/a.csv" --assume-delay 1m --merge <"$T/candles.ndjson" >"$T/out"
    # The input, byte for byte, once the items are taken out.
    grep -v '"type":"news"' "$T/out" | cmp - "$T/candles.ndjson"
    run jq -r '[.type, .ts] | @tsv' "$T/out"
    assert_line --index 0 $'candle\t1617235200000'
    assert_line --index 1 $'news\t1617235800000'
    assert_line --index 2 $'candle\t1617235500000'
    assert_line --index 3 $'news\t1617235920000'
    assert_line --index 4 $'candle\t1617235800000'
    assert_line --index 14 $'news\t1617321660000'
    [[ ${#lines[@]} -eq 15 ]] || fail "$output"
    # The same input, the same bytes.
    news --replay "$T/a.csv" --assume-delay 1m --merge <"$T/candles.ndjson" | cmp - "$T/out"
    # stdin is the stream: the items cannot come from it too.
    run news --replay - --merge <"$T/candles.ndjson"
    assert_failure 2
    assert_output --partial '--merge reads the message stream on stdin'
}

@test "bad input: unreadable rows are reported with file and line and skipped; --strict stops with exit 3; a wrong header, a missing file or no --replay is exit 2" {
    cat >"$T/a.csv" <<'EOF'
published,headline
2021-04-01T00:00:00Z,Good row
yesterday,Bad time
2021-04-01T00:02:00Z,
2021-04-01T00:03:00Z,"Unclosed quote
EOF
    # A row in Latin-1, before the unclosed quote.
    sed -i '4a 2021-04-01T00:02:30Z,Caf\xe9 in Latin-1' "$T/a.csv"
    run --separate-stderr news --replay "$T/a.csv"
    assert_success
    [[ $(jq -r .headline <<<"$output") == "Good row" ]] || fail "$output"
    [[ $stderr == *"$T/a.csv:3: published \"yesterday\" is not a time"* ]] || fail "$stderr"
    [[ $stderr == *"$T/a.csv:4: the headline is empty; skipped"* ]] || fail "$stderr"
    [[ $stderr == *"$T/a.csv:5: not valid UTF-8 (news reads UTF-8: convert the file"* ]] || fail "$stderr"
    [[ $stderr == *"$T/a.csv:6: a quoted field is not closed"* ]] || fail "$stderr"
    run --separate-stderr news --replay "$T/a.csv" --strict
    assert_failure 3
    [[ $output == '' ]] || fail "wrote $output"
    printf 'time,title\n1,x\n' >"$T/b.csv"
    run news --replay "$T/b.csv"
    assert_failure 2
    assert_output --partial 'no "published" and "headline" columns'
    run news --replay "$T/missing.csv"
    assert_failure 2
    assert_output --partial 'missing.csv'
    run news
    assert_failure 2
    assert_output --partial 'give --replay FILE'
    printf 'surges 2\n' >"$T/bad.tsv"
    run news --replay "$T/a.csv" --overlay "$T/bad.tsv"
    assert_failure 2
    assert_output --partial "$T/bad.tsv:1: no tab"
}

@test "a reader that goes away ends news quietly (SIGPIPE, exit 141)" {
    # 20,000 items (some 4 MB): far more than a pipe holds once head has gone.
    awk 'BEGIN { print "published,headline"
                 for (i = 0; i < 20000; i++) printf "%d,Headline number %d of a long test file about Bitcoin and Ether\n", 1617235200000 + i * 1000, i }' >"$T/big.csv"
    run bash -c 'news --replay "$1" | head -n 1 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$T/big.csv"
    assert_output 141
}
