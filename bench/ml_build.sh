#!/usr/bin/env bash
# Builds the ml_bench target (bench/ml_bench.cpp against the ml module) in the build tree and
# prints the path of the binary. Sourced by bench/train.sh and bench/predict.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
[[ -f $build/build.ninja || -f $build/Makefile ]] ||
    { echo "bench: no build in $build: run scripts/build first" >&2; exit 1; }
cmake --build "$build" --target ml_bench >&2
echo "$build/bench/ml_bench"
