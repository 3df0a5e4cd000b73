#!/usr/bin/env bash
# okx-builder on one core (taskset): validations of a strategy file through the API, the call
# the page makes on every edit. One curl sends N POSTs of the rules template to /api/validate
# over one kept-alive connection; 5 rounds: validations per second of wall time (the client
# runs on another core), p10/median/p90; then the same for GET /api/schema.
# Usage: bench/builder.sh [CPU] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${OKXKIT_BUILD:-$root/build}/tools
cpu=${1:-0}
n=${2:-2000}
work=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -TERM $pid 2>/dev/null; rm -rf "$work"' EXIT
taskset -c "$cpu" "$bin/okx-builder" --dir "$work/s" --port 0 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q 'serving' "$work/err" && break; sleep 0.1; done
url=$(sed -n 's|.*serving \(http://[^ ]*\) .*|\1|p' "$work/err")
base=${url%/#*}
token=${url#*#token=}
rounds() { # PATH [curl options]: prints requests per second of 5 rounds, sorted
    local path=$1
    shift
    for _ in $(seq "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$base$path"; done >"$work/urls"
    for _ in 1 2 3 4 5; do
        local t0 t1
        t0=$(date +%s.%N)
        curl -sS -K "$work/urls" -H "X-Okxkit-Token: $token" "$@"
        t1=$(date +%s.%N)
        awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
    done | sort -n
}
read -r -a s <<<"$(rounds /api/validate --data-binary @"$root/share/okxkit/strategies/rules.toml" | tr '\n' ' ')"
echo "okx-builder /api/validate (rules.toml): $n requests, per second: p10 ${s[0]}  median ${s[2]}  p90 ${s[4]}"
read -r -a s <<<"$(rounds /api/schema | tr '\n' ' ')"
echo "okx-builder /api/schema: $n requests, per second: p10 ${s[0]}  median ${s[2]}  p90 ${s[4]}"
