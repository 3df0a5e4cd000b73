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

@test "audit: lists its commands; no command or an unknown one is a usage error" {
    run audit --help
    assert_success
    assert_line --regexp '^  backup +a verified copy'
    assert_line --regexp '^  restore +'
    run -2 audit
    assert_output --partial 'a command is needed (commands: backup, restore'
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
