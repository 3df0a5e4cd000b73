#!/usr/bin/env bats
# audit's contract: its commands, and backups: a copy taken while another process writes is
# consistent and restorable, the checks catch a damaged copy, retention keeps the newest N,
# and a restore never replaces a store without --force (and keeps the one it replaced).

bats_require_minimum_version 1.5.0
load helpers

setup() {
    T=$BATS_TEST_TMPDIR
    export OKXKIT_STORE=$T/s.db
    # A real store: okx-stream's candles of one sample.
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" --to 2021-04-03 --store "$OKXKIT_STORE" \
        >/dev/null
}

# A paper run of BTC-USDT and ETH-USDT into the store: approved intents made from the candles
# (every 30 minutes a buy, 15 minutes later a sell of the same size, some at market), under
# the fill model $1 (penetration by default).
paper_run() {
    okx-stream --replay "$SAMPLES/BTC-USDT_5m.csv" "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-08 |
        jq -c 'if .type == "candle" then (.ts / 300000 | floor) as $n | .,
            (select($n % 3 == 0)
             | {type: "intent", v: 1, ts, inst, strategy: (if .inst == "BTC-USDT" then "a" else "b" end),
                leg: ("l" + ($n % 6 | tostring)), action: "place",
                side: (if $n % 6 == 0 then "buy" else "sell" end),
                ord_type: (if $n % 4 == 0 then "market" else "limit" end),
                px: (if $n % 6 == 0 then .c * 0.999 else .c * 1.001 end),
                sz: (if .inst == "BTC-USDT" then 0.01 else 0.2 end), approved: true}
             | if .ord_type == "market" then del(.px) else . end)
          else . end' |
        execute --store "$OKXKIT_STORE" --run paper --fill-model "${1:-penetration}" >/dev/null
}

@test "audit: lists its commands; no command or an unknown one is a usage error" {
    run audit --help
    assert_success
    assert_line --regexp '^  backup +a verified copy'
    assert_line --regexp '^  restore +'
    assert_line --regexp '^  report +'
    run -2 audit
    assert_output --partial 'a command is needed (commands: report, backup, restore'
    run -2 audit bakup
    assert_output --partial 'unknown command "bakup"'
    run audit --complete-commands
    assert_success
    assert_line --regexp $'^backup\t'
    run audit backup --complete-options
    assert_success
    assert_line --regexp $'^--keep\t\tN\t'
    run audit --version
    assert_output --regexp '^audit \(okxkit\) '
}

@test "audit backup: the copy has every table and row, passes its checks, and is named by time" {
    run audit backup "$T/bk"
    assert_success
    assert_output --regexp "^$T/bk/okxkit-[0-9]{8}T[0-9]{6}Z\\.db: .* bytes, schema [0-9]+, [0-9]+ tables, .* rows; integrity ok, test restore ok$"
    copy=$(ls "$T"/bk/okxkit-*.db)
    [[ $(sqlite3 "$copy" 'PRAGMA integrity_check') == ok ]]
    # One file: the copy is not left in WAL mode, and nothing else is left in the folder.
    [[ $(sqlite3 "$copy" 'PRAGMA journal_mode') == delete ]]
    [[ $(ls -A "$T/bk" | wc -l) -eq 1 ]]
    for table in candles runs schema_version; do
        [[ $(sqlite3 "$copy" "SELECT count(*) FROM $table") == \
            $(sqlite3 "$OKXKIT_STORE" "SELECT count(*) FROM $table") ]] || fail "$table differs"
    done
    [[ $(sqlite3 "$copy" 'SELECT count(*) FROM candles') -gt 500 ]]
    run audit backup "$T/bk" --format json
    assert_success
    [[ $(jq -r '.integrity, .test_restore' <<<"$output" | tr '\n' ' ') == "ok ok " ]]
    [[ $(jq -r '.tables.candles' <<<"$output") == $(sqlite3 "$OKXKIT_STORE" 'SELECT count(*) FROM candles') ]]
}

@test "audit backup: a copy taken while another process writes is consistent and restorable" {
    sqlite3 "$OKXKIT_STORE" 'CREATE TABLE pairs (n INTEGER)'
    # A writer that commits two rows per transaction, many times over, each commit synced.
    {
        for i in $(seq 1 100000); do
            echo "BEGIN; INSERT INTO pairs VALUES ($i); INSERT INTO pairs VALUES ($i); COMMIT;"
        done
    } >"$T/writes.sql"
    sqlite3 "$OKXKIT_STORE" <"$T/writes.sql" &
    writer=$!
    # Wait for its first commits (a condition, not a time).
    until [[ $(sqlite3 "$OKXKIT_STORE" 'SELECT count(*) FROM pairs') -gt 0 ]]; do :; done
    copies=()
    for n in 1 2 3; do
        copies+=("$(audit backup "$T/bk" --keep 10 --format json | jq -r .path)")
    done
    kill -0 "$writer" || fail "the writer ended before the backups did: nothing was tested"
    kill "$writer"
    wait "$writer" || true
    [[ $(ls "$T"/bk/okxkit-*.db | wc -l) -eq 3 ]]
    last=0
    for copy in "${copies[@]}"; do
        [[ $(sqlite3 "$copy" 'PRAGMA integrity_check') == ok ]]
        rows=$(sqlite3 "$copy" 'SELECT count(*) FROM pairs')
        # Whole transactions only: never one row of a pair without the other.
        [[ $((rows % 2)) -eq 0 && $rows -gt 0 ]] || fail "$copy holds $rows rows of pairs"
        [[ $(sqlite3 "$copy" 'SELECT count(*) FROM (SELECT n FROM pairs GROUP BY n HAVING count(*) != 2)') -eq 0 ]]
        [[ $rows -ge $last ]] || fail "a later copy holds fewer rows"
        last=$rows
        # Restorable: a new store from it holds the same rows, and okxkit tools open it.
        rm -f "$T"/r.db*
        run audit restore "$copy" --store "$T/r.db"
        assert_success
        [[ $(sqlite3 "$T/r.db" 'SELECT count(*) FROM pairs') -eq $rows ]]
        [[ $(sqlite3 "$T/r.db" 'SELECT count(*) FROM candles') -gt 500 ]]
        [[ $(sqlite3 "$T/r.db" 'PRAGMA journal_mode') == wal ]]
    done
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-02 --store "$T/r.db" >/dev/null
}

@test "audit backup: keeps the newest N copies and touches nothing else in the folder" {
    mkdir -p "$T/bk"
    touch "$T/bk/notes.txt" "$T/bk/okxkit-old.db"
    # Copies named as audit names them, older than any it makes now.
    for s in 20200101T000000Z 20200101T000000Z-2 20200101T000000Z-10 20200102T000000Z; do
        cp "$OKXKIT_STORE" "$T/bk/okxkit-$s.db"
    done
    run audit backup "$T/bk" --keep 3
    assert_success
    assert_output --partial '; removed 2 older'
    run ls "$T/bk"
    # -10 is newer than -2 (numbers, not text), and the new copy is the newest.
    assert_line okxkit-20200101T000000Z-10.db
    assert_line okxkit-20200102T000000Z.db
    refute_line okxkit-20200101T000000Z.db
    refute_line okxkit-20200101T000000Z-2.db
    assert_line notes.txt
    assert_line okxkit-old.db
    [[ $(ls "$T"/bk/okxkit-2*.db | wc -l) -eq 3 ]]
    # Two copies in one second get distinct names.
    audit backup "$T/bk2" >/dev/null
    audit backup "$T/bk2" >/dev/null
    audit backup "$T/bk2" >/dev/null
    [[ $(ls "$T"/bk2/okxkit-*.db | wc -l) -eq 3 ]]
}

@test "audit restore: refuses to replace a store without --force, and keeps the one it replaced" {
    audit backup "$T/bk" >/dev/null
    copy=$(ls "$T"/bk/okxkit-*.db)
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" --to 2021-04-02 --store "$OKXKIT_STORE" \
        >/dev/null
    before=$(sqlite3 "$OKXKIT_STORE" 'SELECT count(*) FROM candles')
    run -2 audit restore "$copy"
    assert_output --partial "store $OKXKIT_STORE exists: a restore replaces it, so add --force"
    [[ $(sqlite3 "$OKXKIT_STORE" 'SELECT count(*) FROM candles') -eq $before ]]
    run audit restore "$copy" --force
    assert_success
    assert_output --partial "restored from $copy"
    [[ $(sqlite3 "$OKXKIT_STORE" 'SELECT count(*) FROM candles') -lt $before ]]
    [[ $(sqlite3 "$OKXKIT_STORE" "SELECT count(*) FROM candles WHERE inst = 'ETH-USDT'") -eq 0 ]]
    kept=$(ls "$T"/s.db.pre-restore-*.db)
    [[ $(sqlite3 "$kept" 'SELECT count(*) FROM candles') -eq $before ]]
    run audit restore --from "$copy" --force --format json
    assert_success
    [[ $(jq -r .kept <<<"$output") == "$T"/s.db.pre-restore-*.db ]]
}

@test "audit: a damaged copy, a file that is no store and a missing store are refused" {
    audit backup "$T/bk" >/dev/null
    copy=$(ls "$T"/bk/okxkit-*.db)
    cp "$copy" "$T/damaged.db"
    # Overwrite a page in the middle (a table's b-tree page) with garbage.
    size=$(stat -c %s "$T/damaged.db")
    head -c 4096 /dev/urandom | dd of="$T/damaged.db" bs=4096 seek=$((size / 4096 / 2)) \
        conv=notrunc status=none
    run -1 audit restore "$T/damaged.db" --store "$T/new.db"
    assert_output --regexp 'fails SQLite.s integrity check|malformed|not a database'
    [[ ! -e $T/new.db ]]
    echo 'not a database' >"$T/text.db"
    run -1 audit restore "$T/text.db" --store "$T/new.db"
    [[ ! -e $T/new.db ]]
    run -2 audit backup "$T/bk" --store "$T/missing.db"
    assert_output --partial "store $T/missing.db does not exist"
    run -2 audit backup
    assert_output --partial 'which folder?'
    run -2 audit backup "$T/bk" --keep 0
}

@test "audit report: the figures agree with the store, computed here another way" {
    paper_run
    run audit report --run paper --format json
    assert_success
    local r=$output
    # Plain recomputations from the stored snapshots and fills.
    sqlite3 -separator ' ' "$OKXKIT_STORE" \
        "SELECT ts, equity FROM pnl_snapshots WHERE run_id = 'paper' ORDER BY ts" >"$T/curve"
    read -r first last dd < <(awk 'NR == 1 { first = $2; peak = $2 }
        { if ($2 > peak) peak = $2; d = (peak - $2) / peak; if (d > dd) dd = d; last = $2 }
        END { printf "%.10f %.10f %.12f\n", first, last, dd + 0 }' "$T/curve")
    close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-6 * (1 + (b < 0 ? -b : b))) }'; }
    close "$(jq .start_equity <<<"$r")" "$first" || fail "start equity"
    close "$(jq .end_equity <<<"$r")" "$last" || fail "end equity"
    close "$(jq .total_return <<<"$r")" "$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.12f", b / a - 1 }')" ||
        fail "total return"
    close "$(jq .max_drawdown <<<"$r")" "$dd" || fail "max drawdown: $(jq .max_drawdown <<<"$r") against $dd"
    [[ $(jq .fills <<<"$r") -eq $(sqlite3 "$OKXKIT_STORE" "SELECT count(*) FROM fills WHERE run_id = 'paper'") ]]
    [[ $(jq .fills <<<"$r") -gt 100 ]]
    close "$(jq .fees <<<"$r")" "$(sqlite3 "$OKXKIT_STORE" "SELECT sum(fee) FROM fills WHERE run_id = 'paper'")" ||
        fail "fees"
    for inst in BTC-USDT ETH-USDT; do
        close "$(jq --arg i $inst '.by_symbol[$i].fees' <<<"$r")" \
            "$(sqlite3 "$OKXKIT_STORE" "SELECT sum(fee) FROM fills WHERE run_id = 'paper' AND inst = '$inst'")" ||
            fail "fees of $inst"
    done
    [[ $(jq -r '.by_strategy | keys | join(",")' <<<"$r") == a,b ]]
    [[ $(jq -r '.bar_ms, .optimistic, (.monthly | length)' <<<"$r" | tr '\n' ' ') == "300000 false 1 " ]]
    # Closed trades: as many as times a position went back to flat, counted from the fills.
    flats=$(sqlite3 -separator ' ' "$OKXKIT_STORE" \
        "SELECT inst, side, sz FROM fills WHERE run_id = 'paper' ORDER BY ts, rowid" |
        awk '{ p[$1] += ($2 == "buy" ? $3 : -$3); if ($2 == "sell" && p[$1] < 1e-9) { n++; p[$1] = 0 } } END { print n + 0 }')
    [[ $(jq .trades <<<"$r") -eq $flats ]] || fail "trades $(jq .trades <<<"$r"), flat again $flats times"
}

@test "audit report: text, markdown, and a run under the touch model labelled optimistic" {
    paper_run touch
    run --separate-stderr audit report --run paper --format text
    assert_success
    [[ $stderr == *"warning: run paper filled under the touch model"* ]] || fail "stderr: $stderr"
    assert_line --index 0 --partial 'OPTIMISTIC: fill model touch'
    assert_line --index 1 --regexp '^okxkit report: run paper, 2021-04-01T00:00:00Z to .*; fill model touch$'
    assert_line --regexp '^  Sharpe +-?[0-9.]+$'
    assert_line --regexp '^  BTC-USDT +'
    [[ ${lines[-1]} == OPTIMISTIC:* ]]
    run --separate-stderr audit report --run paper --format markdown
    assert_success
    assert_line '# okxkit report'
    assert_line --partial '**OPTIMISTIC: fill model touch'
    assert_line '| --- | ---: |'
    assert_line --regexp '^\| ETH-USDT +\|'
    # Strategy switches as select-strategy stores them: unknown when the store holds none of
    # the run's assignments, listed with their reasons when it does.
    run --separate-stderr audit report --run paper --format json
    [[ $(jq -c .switches <<<"$output") == null ]]
    sqlite3 "$OKXKIT_STORE" "INSERT INTO strategy_assignments VALUES
        ('paper', 'BTC-USDT', '5m', 1617235200000, 'grid', 'grid', NULL, 0.7, NULL, '{}', '[\"ranging\"]'),
        ('paper', 'BTC-USDT', '5m', 1617256800000, 'trend', 'trend', 'grid', 0.8, NULL, '{}',
         '[\"adx 31 > 25\", \"held 6h\"]')"
    run --separate-stderr audit report --run paper --format text
    assert_line --regexp '^  strategy switches +1$'
    assert_line '  2021-04-01T06:00:00Z BTC-USDT: grid -> trend (adx 31 > 25; held 6h)'
    run --separate-stderr audit report --run paper --format json
    [[ $(jq -c '.switches[0] | [.inst, .from, .to, .reasons[1]]' <<<"$output") == '["BTC-USDT","grid","trend","held 6h"]' ]]
    # Not a terminal: JSON unless told otherwise.
    run --separate-stderr audit report --run paper
    [[ $(jq -r .optimistic <<<"$output") == true ]]
}

@test "audit report: a run the store does not hold, and no store" {
    paper_run
    run -2 audit report --run nope
    assert_output --partial 'holds no portfolio of run "nope"'
    assert_output --partial 'runs there: "paper"'
    run -2 audit report --store "$T/none.db"
    assert_output --partial "store $T/none.db does not exist"
    [[ ! -e $T/none.db ]]
}

@test "audit reconcile: a paper run passes; a changed position, a lost order or a lost fill fail" {
    paper_run
    run audit reconcile --run paper
    assert_success
    assert_line --index 0 'reconcile run paper: pass'
    assert_line --regexp '^  pass  positions recomputed from [0-9]+ fills against the 2 stored'
    cp "$OKXKIT_STORE" "$T/base.db"

    sqlite3 "$OKXKIT_STORE" "UPDATE positions SET rpl = rpl + 0.01 WHERE run_id = 'paper' AND inst = 'ETH-USDT'"
    run -1 audit reconcile --run paper
    assert_line --index 0 'reconcile run paper: FAIL'
    assert_line --regexp '^        ETH-USDT: realised P&L stored .*, from the fills '
    refute_line --partial 'BTC-USDT:'

    cp "$T/base.db" "$OKXKIT_STORE"
    id=$(sqlite3 "$OKXKIT_STORE" "SELECT cl_ord_id FROM fills WHERE run_id = 'paper' LIMIT 1")
    sqlite3 "$OKXKIT_STORE" "DELETE FROM orders WHERE run_id = 'paper' AND cl_ord_id = '$id'"
    run -1 audit reconcile --run paper --format json
    [[ $(jq -r '.status, (.checks[] | select(.check == "fills_have_orders") | .status)' <<<"$output" | tr '\n' ' ') == "fail fail " ]]
    [[ $(jq -r '.checks[] | select(.check == "fills_have_orders") | .shown[0]' <<<"$output") == *"for order \"$id\", which the store does not hold" ]]

    # A fill lost from the store: the order's filled size and the position both disagree.
    cp "$T/base.db" "$OKXKIT_STORE"
    sqlite3 "$OKXKIT_STORE" "DELETE FROM fills WHERE rowid = (SELECT max(rowid) FROM fills WHERE run_id = 'paper')"
    run -1 audit reconcile --run paper --format json
    [[ $(jq -r '[.checks[] | select(.status == "fail") | .check] | join(",")' <<<"$output") == positions,order_fills ]]

    run -2 audit reconcile --run nope
    assert_output --partial 'holds no order, fill or position of run "nope"'
}

@test "audit gaps: each series with its holes, found again here from the stored timestamps" {
    okx-stream --replay "$SAMPLES/ETH-USDT_5m.csv" --store "$OKXKIT_STORE" >/dev/null
    # A hole made on purpose in BTC-USDT: 2021-04-02T00:00Z to 00:25Z, six bars.
    sqlite3 "$OKXKIT_STORE" "DELETE FROM candles WHERE inst = 'BTC-USDT' AND ts BETWEEN 1617321600000 AND 1617323100000"
    run audit gaps --format text
    assert_success
    assert_line --regexp '^BTC-USDT 5m: [0-9,]+ candles, 2021-04-01T00:00:00Z to 2021-04-02T23:55:00Z, 6 bars missing in 1 hole$'
    assert_line '  2021-04-02T00:00:00Z to 2021-04-02T00:25:00Z: 6 missing'
    assert_line --regexp '^ETH-USDT 5m: '
    # The real sample's holes, counted here from the stored timestamps another way.
    want=$(sqlite3 "$OKXKIT_STORE" "SELECT ts FROM candles WHERE inst = 'ETH-USDT' ORDER BY ts" |
        awk 'NR > 1 && $1 - p > 300000 { n++; m += ($1 - p) / 300000 - 1 } { p = $1 } END { print n + 0, m + 0 }')
    run audit gaps --inst eth-usdt --bar 5m --format json
    assert_success
    [[ $(jq -r '.series | length' <<<"$output") -eq 1 ]]
    [[ $(jq -r '.series[0] | "\(.holes | length) \(.missing)"' <<<"$output") == "$want" ]]
    [[ $want != "0 0" ]] || fail "the ETH-USDT sample has holes: none found"
    run audit gaps --bar 1H
    assert_success
    assert_output 'no stored candles of those instruments and bar'
}

@test "audit report: one self-contained HTML page whose charts Chromium draws" {
    paper_run
    run --separate-stderr audit report --run paper --format html
    assert_success
    printf '%s\n' "$output" >"$T/r.html"
    [[ ${lines[0]} == '<!DOCTYPE html>' ]]
    for id in equity drawdown pnl-symbol pnl-strategy monthly; do
        grep -q "<svg id=\"$id\" class=\"chart\"" "$T/r.html" || fail "no chart $id"
    done
    # Nothing to fetch and nothing to run: no script, no link, no src, no url(), no address but
    # the SVG namespace's.
    ! grep -qiE '<script|<link|src=|url\(' "$T/r.html"
    [[ -z $(grep -oE 'https?://[^"]*' "$T/r.html" | grep -vx 'http://www.w3.org/2000/svg') ]]
    grep -q '<td>BTC-USDT</td>' "$T/r.html"
    ! grep -q 'OPTIMISTIC' "$T/r.html"

    command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium)"
    HOME=$T chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$T/chromium" --window-size=1000,2600 --screenshot="$T/r.png" \
        "file://$T/r.html" 2>/dev/null
    [[ -s $T/r.png ]] || fail "chromium wrote no screenshot"
    run "$OKXKIT_SOURCE_DIR/tests/tools/png_colors" "$T/r.png" '#1f77b4' '#d62728'
    assert_success
    local blue red nonwhite total
    blue=$(awk '$1 == "#1f77b4" { print $2 }' <<<"$output")
    red=$(awk '$1 == "#d62728" { print $2 }' <<<"$output")
    nonwhite=$(awk '$1 == "nonwhite" { print $2 }' <<<"$output")
    total=$(awk '$1 == "total" { print $2 }' <<<"$output")
    # The equity line (blue, 2 px wide across 780 px) and the drawdown area (red) are drawn.
    [[ $blue -gt 1200 ]] || fail "the equity line is not drawn: $blue blue pixels"
    [[ $red -gt 2000 ]] || fail "the drawdown is not drawn: $red red pixels"
    [[ $((nonwhite * 100 / total)) -ge 2 ]] || fail "a blank page: $nonwhite of $total pixels"
}

@test "audit report: the HTML page of a run under the touch model says so at the top and bottom" {
    paper_run touch
    run --separate-stderr audit report --run paper --format html
    assert_success
    [[ $(grep -c '<p class="optimistic">OPTIMISTIC: fill model touch' <<<"$output") -eq 2 ]]
    [[ $(grep -n 'class="optimistic"' <<<"$output" | head -1 | cut -d: -f1) -lt \
        $(grep -n '<h1>' <<<"$output" | cut -d: -f1) ]]
}

@test "audit metrics: Prometheus' text format, written atomically, that promtool accepts" {
    paper_run
    # A hole, a champion model and two reconnects, as the tools record them.
    sqlite3 "$OKXKIT_STORE" "DELETE FROM candles WHERE inst = 'BTC-USDT' AND ts BETWEEN 1617321600000 AND 1617323100000;
        INSERT INTO models(id, inst, bar, horizon, threshold, schema, features, train_from, train_to,
            valid_from, valid_to, test_from, test_to, data_end, created_ms, params, metrics,
            importance, drift, dir, status)
        VALUES (1, 'BTC-USDT', '5m', 12, 0, 'x', 1, 0, 0, 0, 0, 0, 0, 1617400000000, 1617408000000,
            '{}', '{}', '{}', '{}', 'm', 'champion');
        INSERT INTO health(ts, run_id, component, event) VALUES (1617408000000, 'live', 'ws', 'reconnect'),
            (1617409000000, 'live', 'ws', 'reconnect'), (1617409000000, 'live', 'rest', 'error')"
    # 2021-04-09T00:00Z: the last BTC-USDT candle okx-stream stored (2021-04-07T23:55Z) closed
    # 86,400 s before.
    run audit metrics --now 2021-04-09T00:00:00Z --prometheus "$T/okxkit.prom"
    assert_success
    assert_output ''
    [[ $(stat -c %a "$T/okxkit.prom") == 644 ]]
    [[ $(ls -A "$T" | grep -c '^\.okxkit\.prom') -eq 0 ]] || fail "a temporary file was left"
    run cat "$T/okxkit.prom"
    assert_line 'okxkit_candle_age_seconds{inst="BTC-USDT",bar="5m"} 86400'
    assert_line 'okxkit_candles_missing{inst="BTC-USDT",bar="5m"} 6'
    assert_line '# TYPE okxkit_feed_reconnects_total counter'
    assert_line 'okxkit_feed_reconnects_total{run="live"} 2'
    assert_line 'okxkit_error_events_total{run="live",component="rest"} 1'
    assert_line 'okxkit_model_age_seconds{inst="BTC-USDT",bar="5m"} 518400'
    assert_line 'okxkit_model_data_age_seconds{inst="BTC-USDT",bar="5m"} 526400'
    assert_line 'okxkit_halted{run="paper"} 0'
    assert_line "okxkit_fills_total{run=\"paper\"} $(sqlite3 "$OKXKIT_STORE" "SELECT count(*) FROM fills WHERE run_id = 'paper'")"
    last=$(sqlite3 "$OKXKIT_STORE" "SELECT equity FROM pnl_snapshots WHERE run_id = 'paper' ORDER BY ts DESC LIMIT 1")
    awk -v want="$last" '$1 == "okxkit_equity{run=\"paper\"}" { d = $2 - want; found = 1 }
        END { exit !(found && d < 1e-6 && d > -1e-6) }' "$T/okxkit.prom" || fail "equity is not $last"
    # Every family once, with its HELP and TYPE before its samples.
    [[ $(grep -c '^# TYPE' "$T/okxkit.prom") -eq $(grep -v '^#' "$T/okxkit.prom" | sed 's/[{ ].*//' | sort -u | wc -l) ]]
    # The same store and time: the same bytes, on standard output too.
    run audit metrics --now 2021-04-09T00:00:00Z
    [[ $output == "$(cat "$T/okxkit.prom")" ]]
    command -v promtool >/dev/null || skip "promtool is not installed (apt-get install prometheus)"
    run promtool check metrics <"$T/okxkit.prom"
    assert_success
}
