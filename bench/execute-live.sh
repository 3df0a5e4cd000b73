#!/usr/bin/env bash
# execute --mode demo latency against tests/fake-okx (bench/execute_live.py): an approved
# intent to its order request at the server (target p99 < 200 µs), and an intent through
# risk-guard and execute to the same (target p99 < 1 ms), over the private WebSocket (the
# default), and the first again over REST. Usage: bench/execute-live.sh [SAMPLES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${OKXKIT_BUILD:-$here/../build}
"$here/execute_live.py" "$build" intent "${1:-300}" ws
"$here/execute_live.py" "$build" pipeline "${1:-300}" ws
"$here/execute_live.py" "$build" intent "${1:-300}" rest
