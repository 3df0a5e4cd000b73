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
    assert_line --regexp '^  health +checks that pass, warn or fail'
    run -2 audit
    assert_output --partial 'a command is needed (commands: health, report, backup, restore, reconcile, gaps, metrics;'
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

# --- audit health --------------------------------------------------------------------------

ms() { echo $(($(date -u -d "$1" +%s) * 1000)); }

# A store where every check of audit health passes at $NOW: setup's BTC-USDT 5m candles (the
# last closed at 2021-04-03T00:00Z), a champion model with skill trained two days before, a
# strategy assigned in run paper, its portfolio well within the default limits, one working
# order, a connect event, and a backup an hour old in $T/backups.
NOW=2021-04-03T00:05:00Z
healthy_store() {
    local now
    now=$(ms $NOW)
    sqlite3 "$OKXKIT_STORE" "
        INSERT INTO models(id, inst, bar, horizon, threshold, schema, features, train_from, train_to,
            valid_from, valid_to, test_from, test_to, data_end, created_ms, params, metrics,
            importance, drift, dir, status)
        VALUES (1, 'BTC-USDT', '5m', 12, 0, 'x', 1, 0, 0, 0, 0, 0, 0, $now - 3 * 86400000,
            $now - 2 * 86400000, '{}', '{\"skill\": {\"auc_low\": 0.56}, \"recent\": {\"auc\": 0.58}}',
            '{}', '{}', 'm', 'champion');
        INSERT INTO strategy_assignments VALUES ('paper', 'BTC-USDT', '5m', $now - 86400000, 'trend',
            'trend', NULL, 0.8, NULL, '{}', '[\"trending\"]');
        INSERT INTO pnl_snapshots VALUES ('paper', $now - 300000, 5000, 10000, 5000, 5000, 0.02, 10, 0,
            'penetration');
        INSERT INTO positions VALUES ('paper', 'BTC-USDT', $now - 300000, 0.1, 50000, 50000, 0, 0);
        INSERT INTO orders VALUES ('paper', 'o1', $now - 300000, 'BTC-USDT', 'trend', 'l1', 'buy', 'limit',
            49000, 0.1, 'live', 0, NULL, NULL, 'paper', NULL);
        INSERT INTO health(ts, run_id, component, event) VALUES ($now - 3600000, 'live', 'ws', 'connect')"
    mkdir -p "$T/backups"
    cp "$OKXKIT_STORE" "$T/backups/okxkit-20210402T230000Z.db"
}

health() {
    audit health --run paper --now $NOW --backup-dir "$T/backups" "$@"
}

@test "audit health: a healthy store passes every check, each with its value and thresholds" {
    healthy_store
    run health
    assert_success
    assert_line --index 0 --regexp '^audit health at 2021-04-03T00:05:00Z: pass \(0 fail, 0 warn, [0-9]+ pass\)$'
    assert_line '  pass  freshness BTC-USDT 5m: 300 s (warn above 600 s, fail above 1,500 s); the last candle closed at 2021-04-03T00:00:00Z (thresholds: 2 and 5 bars)'
    assert_line '  pass  exposure run paper gross: 0.5 x equity (warn above 0.8 x equity, fail above 1 x equity); positions'"'"' value 5,000 on equity 10,000 at 2021-04-03T00:00:00Z (risk.max_gross_exposure)'
    run health --format json
    assert_success
    run jq -c '[.status, .fail, .warn, ([.checks[] | select(.status != "pass")] | length), [.checks[].check]]' <<<"$output"
    assert_output '["pass",0,0,0,["freshness","gaps","model_age","model_skill","drift","strategy","exposure","exposure","drawdown","halted","position","open_orders","reconnects","errors","integrity","disk","backup"]]'
    run health --format json
    run jq -c '.checks[] | select(.check == "backup" or .check == "model_age" or .check == "model_skill") | [.check, .value, .unit, .warn, .fail, .worse]' <<<"$output"
    assert_line '["model_age",2,"d",7,30,"above"]'
    assert_line '["model_skill",0.56,"AUC",0.52,0.5,"below"]'
    assert_line --regexp '^\["backup",1\.08333[0-9]*,"h",26,72,"above"\]$'
}

# fails_on CHECK SUBJECT SQL [ARGS...]: on a copy of the healthy store changed by SQL, audit
# health fails, and CHECK of SUBJECT is among the failing checks.
fails_on() {
    local check=$1 subject=$2 sql=$3
    shift 3
    cp "$HEALTHY" "$OKXKIT_STORE"
    [[ -z $sql ]] || sqlite3 "$OKXKIT_STORE" "$sql"
    run health --format json "$@"
    [[ $status -eq 1 ]] || fail "$check: exit $status, not 1: $output"
    jq -e --arg c "$check" --arg s "$subject" \
        '.status == "fail" and any(.checks[]; .check == $c and .subject == $s and .status == "fail")' \
        <<<"$output" >/dev/null || fail "$check $subject does not fail: $output"
    run health "$@"
    [[ $status -eq 1 ]] || fail "$check: text exit $status"
    assert_line --partial "  FAIL  $check${subject:+ $subject}: "
}

@test "audit health: each check fails on a store built to fail it, and says why" {
    healthy_store
    HEALTHY=$T/healthy.db
    cp "$OKXKIT_STORE" "$HEALTHY"
    local now
    now=$(ms $NOW)
    fails_on freshness 'BTC-USDT 5m' '' --now 2021-04-03T01:00:00Z
    assert_line '  FAIL  freshness BTC-USDT 5m: 3,600 s (warn above 600 s, fail above 1,500 s); the last candle closed at 2021-04-03T00:00:00Z (thresholds: 2 and 5 bars)'
    fails_on gaps 'BTC-USDT 5m' "DELETE FROM candles WHERE ts BETWEEN $(ms 2021-04-02T12:00Z) AND $(ms 2021-04-02T12:55Z)"
    assert_line --partial 'FAIL  gaps BTC-USDT 5m: 12 bars (warn above 0 bars, fail above 10 bars); 1 hole in the window, the largest 12 bars from 2021-04-02T12:00:00Z'
    fails_on reconnects '' "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 21)
        INSERT INTO health(ts, run_id, component, event) SELECT $now - i * 60000, 'live', 'ws', 'reconnect' FROM n"
    assert_line --partial 'FAIL  reconnects: 21 events'
    fails_on errors '' "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 11)
        INSERT INTO health(ts, run_id, component, event, detail) SELECT $now - i * 60000, 'live', 'okx-rest', 'error', 'HTTP 503' FROM n"
    assert_line --partial 'the last at 2021-04-03T00:04:00Z from okx-rest: HTTP 503'
    fails_on model_age 'BTC-USDT 5m' "UPDATE models SET created_ms = $now - 31 * 86400000"
    fails_on model_skill 'BTC-USDT 5m' "UPDATE models SET metrics = '{\"skill\": {\"auc_low\": 0.49}}'"
    fails_on drift 'BTC-USDT 5m' "INSERT INTO health(ts, run_id, component, event, inst, value, detail)
        VALUES ($now - 600000, 'predict', 'predict', 'drift', 'BTC-USDT', 0.4,
            'model 1 of BTC-USDT 5m: input drifted: 3 of the 40 features are past their training range')"
    assert_line --partial 'FAIL  drift BTC-USDT 5m: 0.4 importance share; raised at 2021-04-02T23:55:00Z: model 1 of BTC-USDT 5m: input drifted'
    fails_on strategy BTC-USDT "UPDATE strategy_assignments SET inst = 'ETH-USDT'"
    fails_on exposure 'run paper gross' "UPDATE pnl_snapshots SET gross_exposure = 15000"
    fails_on exposure 'run paper net' "UPDATE pnl_snapshots SET net_exposure = -12000"
    fails_on drawdown 'run paper' "UPDATE pnl_snapshots SET drawdown = 0.25"
    fails_on halted 'run paper' "UPDATE pnl_snapshots SET halted = 1;
        INSERT INTO risk_events VALUES ('paper', $now - 600000, NULL, 'execute', 'halt', 'max_drawdown',
            'max_drawdown', 0.21, 0.2, NULL, NULL, 'drawdown 21% past 20%')"
    assert_line --partial 'since 2021-04-02T23:55:00Z (max_drawdown: drawdown 21% past 20%); nothing is traded until risk-guard --reset-halt --run paper'
    # Lifted by hand: the halt no longer holds, whatever the last snapshot says.
    run risk-guard --reset-halt --store "$OKXKIT_STORE" --run paper
    assert_success
    run health --format json
    run jq -r '.checks[] | select(.check == "halted") | [.status, .detail] | join(" ")' <<<"$output"
    assert_output 'pass resumed at 2021-04-02T23:55:00Z: reset by hand (risk-guard --reset-halt)'
    # A daily-loss halt lifts itself at the next UTC day (risk.resume = next_day), not before.
    cp "$HEALTHY" "$OKXKIT_STORE"
    sqlite3 "$OKXKIT_STORE" "UPDATE pnl_snapshots SET halted = 1; INSERT INTO risk_events VALUES ('paper',
        $(ms 2021-04-02T20:00Z), NULL, 'execute', 'halt', 'daily_loss', 'max_daily_loss', 0.06, 0.05, NULL, NULL, 'day loss 6%')"
    run health --format json
    [[ $(jq -r '.checks[] | select(.check == "halted") | .status' <<<"$output") == pass ]] || fail "$output"
    run health --format json --now 2021-04-02T23:00:00Z
    [[ $(jq -r '.checks[] | select(.check == "halted") | .status' <<<"$output") == fail ]] || fail "$output"
    printf '[risk]\nmax_position_notional = 1000\n' >"$T/position.toml"
    fails_on position 'BTC-USDT (run paper)' '' --config "$T/position.toml"
    printf '[risk]\nmax_open_orders = 2\n' >"$T/orders.toml"
    fails_on open_orders 'BTC-USDT (run paper)' "INSERT INTO orders SELECT run_id, 'o2', ts, inst, strategy, leg, side, ord_type, px, sz, state,
        filled_sz, avg_px, reason, mode, ord_id FROM orders; INSERT INTO orders SELECT run_id, 'o3', ts, inst, strategy, leg, side, ord_type, px, sz,
        state, filled_sz, avg_px, reason, mode, ord_id FROM orders WHERE cl_ord_id = 'o1'" --config "$T/orders.toml"
    # An index whose definition no longer matches its entries: the file opens and reads, and
    # only the integrity check sees it.
    fails_on integrity '' "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX health_by_time ON health(run_id)'
        WHERE name = 'health_by_time'"
    assert_line --partial 'FAIL  integrity: PRAGMA integrity_check: row 1 missing from index health_by_time'
    printf '[audit.health]\ndisk_warn_mb = 2e12\ndisk_fail_mb = 1e12\n' >"$T/disk.toml"
    fails_on disk "$T" '' --config "$T/disk.toml"
    mv "$T/backups/okxkit-20210402T230000Z.db" "$T/backups/okxkit-20210330T000000Z.db"
    fails_on backup "$T/backups" ''
    assert_line --partial 'FAIL  backup '"$T"'/backups: 96.08 h (warn above 26 h, fail above 72 h); the newest copy is okxkit-20210330T000000Z.db'
    rm "$T/backups/okxkit-20210330T000000Z.db"
    fails_on backup "$T/backups" ''
    assert_line --partial "no backup in the folder (audit backup $T/backups)"
}

@test "audit health: a warning passes, unless --warnings-fail (or audit.health.warnings_fail) says it fails" {
    healthy_store
    sqlite3 "$OKXKIT_STORE" "UPDATE models SET created_ms = $(ms $NOW) - 10 * 86400000"
    run health
    assert_success
    assert_line --index 0 --regexp '^audit health at .*: pass with warnings \(0 fail, 1 warn, [0-9]+ pass\)$'
    assert_line --partial '  WARN  model_age BTC-USDT 5m: 10 d (warn above 7 d, fail above 30 d)'
    run health --warnings-fail
    assert_failure 1
    printf '[audit.health]\nwarnings_fail = true\nmodel_age_warn_days = 14\n' >"$T/c.toml"
    run health --config "$T/c.toml"
    assert_success # 10 days is within 14
    printf '[audit.health]\nwarnings_fail = true\n' >"$T/c.toml"
    run health --config "$T/c.toml"
    assert_failure 1
    # No backup folder, no portfolio of the run: warnings that say what to set.
    run audit health --run other --now $NOW
    assert_line --partial 'WARN  backup: no backup folder set (audit.backup_dir in the config, or --backup-dir)'
    assert_line --partial 'WARN  exposure run other: no portfolio of run other in the store'
    assert_line --partial 'WARN  strategy run other: no strategy assigned in run other'
}

@test "audit health --notify-cmd: the failing checks go to the command as JSON; a failing notifier is reported" {
    healthy_store
    run health --notify-cmd "touch $T/called"
    assert_success
    [[ ! -e $T/called ]] || fail "the notifier ran on a healthy store"
    sqlite3 "$OKXKIT_STORE" "UPDATE pnl_snapshots SET drawdown = 0.25"
    run --separate-stderr health --format json --notify-cmd "cat > $T/alert.json; echo sent"
    assert_failure 1
    # The notifier's own output goes to stderr: stdout stays one JSON object.
    [[ $stderr == *sent* ]] || fail "stderr: $stderr"
    jq -e '.checks[-1] | .check == "notify" and .status == "pass"' <<<"$output" >/dev/null || fail "$output"
    run jq -c '[.tool, .run, .now_iso, .status, [.failing[] | [.check, .subject, .status, .value, .fail]]]' "$T/alert.json"
    assert_output '["audit health","paper","2021-04-03T00:05:00Z","fail",[["drawdown","run paper","fail",0.25,0.2]]]'
    # A notifier that fails, or is not found: a failing check of its own, and an error.
    run --separate-stderr health --notify-cmd 'cat >/dev/null; exit 3'
    assert_failure 1
    assert_line '  FAIL  notify: the notify command exited with status 3: nobody was told of the failures'
    [[ $stderr == *"audit health: error: --notify-cmd exited with status 3: the failing checks were not sent"* ]] || fail "stderr: $stderr"
    run --separate-stderr health --notify-cmd "$T/no-such-notifier"
    assert_failure 1
    assert_line --partial 'FAIL  notify: the notify command exited with status 127 (command not found?)'
    # One that does not read its input at all still counts by its exit status.
    run health --notify-cmd 'true'
    assert_failure 1
    assert_line '  pass  notify: the notify command took the failing checks'
}

@test "audit report --from/--to: a part of the run, its figures recomputed here from the rows inside" {
    paper_run
    local from to
    from=$(ms 2021-04-03T00:00Z)
    to=$(ms 2021-04-05T12:00Z)
    run audit report --run paper --from 2021-04-03 --to 2021-04-05T12:00Z --format json
    assert_success
    local r=$output
    sqlite3 -separator ' ' "$OKXKIT_STORE" "SELECT ts, equity FROM pnl_snapshots WHERE run_id = 'paper'
        AND ts BETWEEN $from AND $to ORDER BY ts" >"$T/curve"
    read -r t0 first t1 last < <(awk 'NR == 1 { t0 = $1; first = $2 } { t1 = $1; last = $2 } END { print t0, first, t1, last }' "$T/curve")
    [[ $(jq -c '[.from, .to]' <<<"$r") == "[$t0,$t1]" ]] || fail "$(jq -c '[.from, .to]' <<<"$r") against [$t0,$t1]"
    [[ $t0 -ge $from && $t1 -le $to ]]
    close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-6 * (1 + (b < 0 ? -b : b))) }'; }
    close "$(jq .start_equity <<<"$r")" "$first" || fail "start equity"
    close "$(jq .end_equity <<<"$r")" "$last" || fail "end equity"
    # The fills inside; a sell of what was bought before the range is left out of the trades
    # (cut to what was bought inside when it sells more).
    sqlite3 -separator ' ' "$OKXKIT_STORE" "SELECT inst, side, sz, fee FROM fills WHERE run_id = 'paper'
        AND ts BETWEEN $from AND $to ORDER BY rowid" |
        awk '{ if ($2 == "buy") { h[$1] += $3; n++; fee += $4 }
               else if ($3 > h[$1] * (1 + 1e-9)) { out++; if (h[$1] > 0) { n++; fee += $4 * h[$1] / $3; h[$1] = 0 } }
               else { h[$1] -= $3; n++; fee += $4 } }
             END { printf "%d %d %.10f\n", n, out, fee }' >"$T/fills"
    read -r kept left fees <"$T/fills"
    [[ $(jq .fills <<<"$r") -eq $kept ]] || fail "fills $(jq .fills <<<"$r"), recomputed $kept"
    [[ $(jq .fills_before_range <<<"$r") -eq $left && $left -gt 0 ]] || fail "left out $(jq .fills_before_range <<<"$r"), recomputed $left"
    close "$(jq .fees <<<"$r")" "$fees" || fail "fees $(jq .fees <<<"$r"), recomputed $fees"
    run audit report --run paper --from 2021-04-03 --to 2021-04-05T12:00Z --format text
    assert_line --index 0 --regexp "^okxkit report: run paper, 2021-04-03T00:00:00Z to 2021-04-05T12:00:00Z, .*; [0-9]+ sells of positions bought before the range left out of the trades$"
    # A range the run does not reach, and one backwards.
    run audit report --run paper --from 2022-01-01
    assert_failure 2
    assert_output --partial 'run "paper" has no portfolio snapshot from 2022-01-01T00:00:00Z on (it runs from 2021-04-01T00:00:00Z to 2021-04-07T23:55:00Z; see --from and --to)'
    run audit report --run paper --from 2021-04-05 --to 2021-04-03
    assert_failure 2
    assert_output --partial '--from is after --to'
}

@test "audit metrics --listen: /metrics over HTTP on loopback, the same text, until SIGTERM" {
    paper_run
    audit metrics --listen 0 --now 2021-04-09T00:00:00Z 2>"$T/err" &
    local pid=$! addr=
    # Until it says where it listens (a readiness wait, bounded; no timing is asserted).
    for _ in $(seq 300); do
        addr=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$T/err")
        [[ -n $addr ]] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    [[ $addr == 127.0.0.1:* ]] || fail "not on loopback: $(cat "$T/err")"
    curl -sS -D "$T/head" "http://$addr/metrics" >"$T/scraped"
    grep -q '^HTTP/1.1 200' "$T/head" || fail "$(cat "$T/head")"
    grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/head" || fail "$(cat "$T/head")"
    [[ $(cat "$T/scraped") == "$(audit metrics --now 2021-04-09T00:00:00Z)" ]] || fail "scraped text differs"
    grep -q '^okxkit_halted{run="paper"} 0$' "$T/scraped"
    # Each scrape reads the store afresh.
    sqlite3 "$OKXKIT_STORE" "UPDATE pnl_snapshots SET halted = 1 WHERE run_id = 'paper'"
    curl -sS "http://$addr/metrics" | grep -q '^okxkit_halted{run="paper"} 1$' || fail "not read afresh"
    run curl -s -o /dev/null -w '%{http_code}' "http://$addr/nothing"
    assert_output 404
    run curl -s -o /dev/null -w '%{http_code}' -X POST "http://$addr/metrics"
    assert_output 405
    kill -TERM $pid
    wait $pid || fail "exit $? after SIGTERM"
    if command -v promtool >/dev/null; then
        promtool check metrics <"$T/scraped" || fail "promtool"
    fi
    # Addresses: a bad one is a usage error; --listen and --prometheus are one or the other.
    run audit metrics --listen 127.0.0.1:http
    assert_failure 2
    assert_output --partial 'the port must be a number from 0 to 65535'
    run audit metrics --listen 0 --prometheus "$T/x.prom"
    assert_failure 2
    assert_output --partial 'choose one'
}
