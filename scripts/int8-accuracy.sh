#!/usr/bin/env bash
# FP32 vs INT8 top-1 (ONNX Runtime) and file sizes of max, min and every slice of a run:
#   scripts/int8-accuracy.sh SUPERNET_DIR SLICES_DIR OUT_DIR [METHOD...]
# SUPERNET_DIR is read by 'ofa export' (give a copy when the run must stay untouched); each slice's
# arch is taken from its report (SLICES_DIR/<target>.json). METHOD: percentile (default), minmax.
# Prints one line per subnet and method: name, method, FP32 and INT8 validation and test top-1,
# FP32 and INT8 bytes and their ratio.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
supernet="$1"; slices="$2"; out="$3"; shift 3
methods=("${@:-percentile}")
mkdir -p "$out/archs"
archs=(max min)
for f in "$slices"/*.json; do
  t="$(basename "$f" .json)"
  python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["arch"], open(sys.argv[2], "w"))' "$f" "$out/archs/$t.json"
  archs+=("$t")
done
for a in "${archs[@]}"; do
  spec="$a"; [ -f "$out/archs/$a.json" ] && spec="$out/archs/$a.json"
  "$root/ofa" export --supernet "$supernet" --arch "$spec" --out "$out/$a.onnx" --quiet >/dev/null
  for m in "${methods[@]}"; do
    line="$("$root/ofa" export --supernet "$supernet" --arch "$spec" --precision int8 --int8-calibration "$m" \
      --out "$out/$a.$m.int8.onnx" --verify --quiet | grep 'FP32 -> INT8')"
    fp="$(stat -c %s "$out/$a.onnx")"; q="$(stat -c %s "$out/$a.$m.int8.onnx")"
    echo "$a $m | $line | FP32 $fp B, INT8 $q B, ratio $(python3 -c "print(round($q/$fp, 3))")"
  done
done
