#!/usr/bin/env bash
# Builds bench/ml_bench.cpp against the built libokxkit.a (run scripts/build first) and prints
# the path of the binary. Sourced by bench/train.sh and bench/predict.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${OKXKIT_BUILD:-$root/build}
lib=$build/lib/libokxkit.a
[[ -f $lib ]] || { echo "bench: $lib not found: run scripts/build first" >&2; exit 1; }
out=$build/bench-ml
mkdir -p "$out"
if [[ ! -x $out/ml_bench || $out/ml_bench -ot $lib || $out/ml_bench -ot $root/bench/ml_bench.cpp ]]; then
    ${CXX:-c++} -O3 -DNDEBUG -std=c++20 -Wall -Wextra -I"$root/lib" "$root/bench/ml_bench.cpp" \
        "$lib" -lxgboost -o "$out/ml_bench"
fi
echo "$out/ml_bench"
