#!/usr/bin/env bash
# audit report over a store with one million fills: a store is made with execute's schema and
# filled by SQL (100,000 portfolio snapshots of 5m bars, a year; one million fills: pairs of a
# buy and a sell on eight instruments, two strategies), then `audit report --format json` runs 5
# times: wall time p10/median/p90 (target < 2 s). Then `audit report --from/--to` of a month,
# `audit health` (its integrity_check reads the whole store) and `audit backup`, once each.
# Usage: bench/audit.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${OKXKIT_BUILD:-$root/build}/tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store=$work/s.db
"$bin/execute" --store "$store" </dev/null >/dev/null
sqlite3 "$store" <<'SQL'
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
INSERT INTO pnl_snapshots
SELECT 'bench', 1609459200000 + i * 300000, 5000, 10000 + ((i * 7919) % 1000) / 10.0 + i / 1000.0,
       CASE WHEN i % 3 = 0 THEN 0 ELSE 5000 END, 0, 0, 0, 0, 'penetration' FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO fills
SELECT 'bench', 'P' || i, 'o' || (i / 2), 1609459200000 + (i / 10) * 300000,
       'I' || ((i / 2) % 8) || '-USDT', CASE WHEN (i / 2) % 2 = 0 THEN 'a' ELSE 'b' END, 'l',
       CASE WHEN i % 2 = 0 THEN 'buy' ELSE 'sell' END,
       100 + ((i * 31) % 200) / 100.0, 0.5, 0.05, 'USDT', 'taker', 'paper' FROM n;
COMMIT;
SQL
fills=$(sqlite3 "$store" "SELECT count(*) FROM fills")
times=()
for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    "$bin/audit" report --store "$store" --run bench --format json >"$work/report.json"
    times+=("$(( ($(date +%s%N) - start) / 1000000 ))")
done
read -r -a s <<<"$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')"
echo "audit report: $fills fills, $(jq .bars "$work/report.json") bars, $(jq .trades "$work/report.json") trades: p10 ${s[0]} ms  median ${s[2]} ms  p90 ${s[4]} ms (target < 2000 ms)"
start=$(date +%s%N)
"$bin/audit" report --store "$store" --run bench --from 2021-06-01 --to 2021-06-30T23:59:59Z --format json >"$work/month.json"
echo "audit report --from/--to (a month): $(jq .fills "$work/month.json") fills in $(( ($(date +%s%N) - start) / 1000000 )) ms"
start=$(date +%s%N)
"$bin/audit" health --store "$store" --run bench --format json >"$work/health.json" || true
echo "audit health: $(jq '.checks | length' "$work/health.json") checks in $(( ($(date +%s%N) - start) / 1000000 )) ms (integrity_check of the whole store included)"
start=$(date +%s%N)
"$bin/audit" backup "$work/backups" --store "$store" >/dev/null
echo "audit backup: $(stat -c %s "$store") bytes in $(( ($(date +%s%N) - start) / 1000000 )) ms (copy, integrity check, test restore)"
