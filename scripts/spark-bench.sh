#!/usr/bin/env bash
# Benchmark of the accuracy table on Spark (issue 23): the same N-subnet table of a trained run built
#   1. in-process (ofa predictor fit, --threads 2),
#   2. on an embedded Spark, --spark local[2] (2 tasks side by side, 1 thread each),
#   3. on a standalone cluster on 127.0.0.1: a Master and 2 Workers of 1 core each, separate JVMs
#      started here from the application's own jars (cli/target/lib) and stopped at the end,
# then checks that the three tables are the same bytes and prints wall time, subnets/s and the
# per-task figures Spark reports. Not a test: it needs a trained run and takes minutes.
#
#   flock /tmp/ofa-heavy.lock scripts/spark-bench.sh [RUN_DIR] [SUBNETS] [CALIBRATION_IMAGES]
#   (defaults: runs/quick 120 500, the quick preset's table; RUN_DIR is only read: its supernet/ is copied)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$(cd "${1:-$root/runs/quick}" && pwd)"
n="${2:-120}"
calib="${3:-500}"
scratch="$(mktemp -d /tmp/ofa-spark-bench.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    pkill -KILL -P "$p" 2>/dev/null || true   # the worker's executors (children of our own workers only)
    kill -KILL "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

"$root/ofa" --help >/dev/null   # builds the application when needed
for m in in-process local cluster; do
  mkdir -p "$scratch/$m"
  cp -r "$run/supernet" "$scratch/$m/supernet"
done

fit() { # $1 = copy, rest = extra options; prints the command's output, then the wall time
  local t0 t1
  t0=$(date +%s.%N)
  "$root/ofa" predictor fit --run "$scratch/$1" --samples "$n" --calibration-images "$calib" --cv 0 --quiet "${@:2}"
  t1=$(date +%s.%N)
  echo "command wall time: $(echo "$t1 - $t0" | bc) s"
}

echo "== in-process (--threads 2)"
fit in-process
echo "== --spark local[2]"
fit local --spark 'local[2]'

echo "== --spark spark://127.0.0.1:PORT (Master + 2 Workers x 1 core, separate JVMs)"
home="$scratch/spark-home"
mkdir -p "$home/jars"
ln -s "$root"/cli/target/lib/*.jar "$home/jars/"
echo "Spark jars of the ofa application" > "$home/RELEASE"
export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 OMP_WAIT_POLICY=PASSIVE
opens="$(sed -n '/^spark_opts=(/,/)$/p' "$root/ofa" | tr -d '()' | sed 's/spark_opts=//')"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
java -Xmx256m $opens -cp "$home/jars/*" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
  --webui-port 0 >"$scratch/master.log" 2>&1 &
pids+=($!)
for i in 1 2; do
  mkdir -p "$scratch/worker-$i"
  # shellcheck disable=SC2086
  java -Xmx256m $opens -cp "$home/jars/*" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 \
    --memory 3g --webui-port 0 --work-dir "$scratch/worker-$i" "spark://127.0.0.1:$port" >"$scratch/worker-$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 300); do
  [ "$(grep -c 'Registering worker' "$scratch/master.log" || true)" -ge 2 ] && break
  sleep 0.2
done
grep -c 'Registering worker' "$scratch/master.log" | grep -q 2 || { cat "$scratch/master.log"; exit 1; }
OFA_JAVA_OPTS="-Xmx8g -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 -Dspark.executor.memory=2g" \
  fit cluster --spark "spark://127.0.0.1:$port"
cleanup
pids=()

echo "== tables"
for m in local cluster; do
  if cmp -s "$scratch/in-process/predictor/accuracy.jsonl" "$scratch/$m/predictor/accuracy.jsonl"; then
    echo "$m: identical to in-process ($(wc -l <"$scratch/$m/predictor/accuracy.jsonl") rows)"
  else
    echo "$m: DIFFERS from in-process"
  fi
done
echo "scratch: $scratch"
