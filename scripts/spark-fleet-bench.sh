#!/usr/bin/env bash
# Benchmark of fleet specialisation on Spark (issue 23): the same fleet of latency budgets of a
# trained run sliced with ofa slice
#   1. in-process, today's shared closed loop (--threads 2; candidates timed on this machine),
#   2. in-process order on Spark with one slot, --spark local[1] --threads 1 (independent targets),
#   3. --spark local[2] --threads 1 (2 targets side by side),
# each on its own copy of the run (measured.jsonl as it was), then prints the wall times and checks
# that local[1] and local[2] delivered the same subnets (arch keys and predicted accuracies).
# Latency on Spark: --spark-latency profile (budgets checked by the profile's predictions).
# Not a test: it needs a trained run and takes minutes.
#
#   flock /tmp/ofa-heavy.lock scripts/spark-fleet-bench.sh [RUN_DIR] [BUDGETS_MS]
#   (defaults: runs/quick 0.14,0.16,0.18,0.2,0.22,0.25; RUN_DIR is only read: it is copied)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$(cd "${1:-$root/runs/quick}" && pwd)"
budgets="${2:-0.14,0.16,0.18,0.2,0.22,0.25}"
scratch="$(mktemp -d /tmp/ofa-spark-fleet-bench.XXXXXX)"

"$root/ofa" --help >/dev/null   # builds the application when needed
slice() { # $1 = name, rest = extra options
  local t0 t1
  mkdir -p "$scratch/$1"
  cp -r "$run/supernet" "$run/devices" "$run/predictor" "$scratch/$1/"
  t0=$(date +%s.%N)
  "$root/ofa" slice --run "$scratch/$1" --max-latency-ms "$budgets" --out "$scratch/$1/slices" --quiet "${@:2}" \
    > "$scratch/$1.log"
  t1=$(date +%s.%N)
  grep -v '^  ' "$scratch/$1.log" | grep -v '^$' || true
  echo "$1: command wall time $(echo "$t1 - $t0" | bc) s"
}

echo "== in-process, shared closed loop (--threads 2)"
slice in-process
echo "== --spark local[1] --threads 1"
slice local1 --spark 'local[1]' --threads 1
echo "== --spark local[2] --threads 1"
slice local2 --spark 'local[2]' --threads 1

keys() { # target, arch key, predicted accuracy of each slice report
  for f in "$scratch/$1/slices"/lat-*ms.json; do
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["target"], r["key"], r["predicted"]["accuracy"], r["measured"]["val_accuracy"])' "$f"
  done
}
echo "== delivered (target, arch key, predicted accuracy, measured val accuracy)"
for m in in-process local1 local2; do echo "-- $m"; keys "$m"; done
if diff <(keys local1) <(keys local2) >/dev/null; then
  echo "local[1] and local[2] delivered the same subnets"
else
  echo "local[1] and local[2] DIFFER"; exit 1
fi
echo "(scratch: $scratch)"
