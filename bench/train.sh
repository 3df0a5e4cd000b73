#!/usr/bin/env bash
# Training throughput of okxkit's ensemble trainer against a bare XGBoost C API loop on the
# same matrix (row*feature*round/s, p10/median/p90 over RUNS alternating runs), one core.
# Target: overhead <= 10%. Usage: bench/train.sh [ROWS] [FEATURES] [ROUNDS] [RUNS] [CPU]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$("$here/ml_build.sh")
rows=${1:-20000} cols=${2:-215} rounds=${3:-100} runs=${4:-5} cpu=${5:-0}
# One thread on one core: OpenMP must not spin up threads that then fight for the core.
OMP_NUM_THREADS=1 taskset -c "$cpu" "$bench" train "$rows" "$cols" "$rounds" 1 "$runs"
