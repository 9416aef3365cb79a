#!/usr/bin/env bash
# kill -9 soak of `ofa train --resume` (issue 21). See reliability/README-kill-soak.md.
#
# 1. An uninterrupted smoke-preset run with a fixed seed: the reference.
# 2. The same run killed with SIGKILL at KILLS random points, each time resumed with --resume.
#    A kill lands after a random sleep (uniform in [0, the reference's wall time]); every third
#    one instead waits (up to that long) for a checkpoint being written (a ckpt-* directory
#    without its manifest) and kills inside the write. A resume that exits with an error before
#    its kill fails the soak. When a killed run completes, its final checkpoint must be
#    bit-identical to the reference (SHA-256 of params.bin, optimizer.bin, teacher.bin) and a new
#    run starts, until KILLS kills are done; the last run is then resumed to its end and compared.
# 3. A run killed once two checkpoints exist, its newest checkpoint damaged (params.bin cut to
#    half): --resume must warn, fall back to the previous checkpoint and still end bit-identical.
#
# Usage: reliability/kill-soak.sh [WORK_DIR]       (default: a new /tmp/ofa-kill-soak.XXXXXX)
# Settings (environment): KILLS (30), SEED (training seed, 7), KILL_SEED (seed of the kill
# points, 1), PRESET (smoke), OFA (the launcher, <repo>/ofa).
# On a machine shared with other jobs: flock /tmp/ofa-heavy.lock reliability/kill-soak.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OFA="${OFA:-$root/ofa}"
KILLS="${KILLS:-30}"
SEED="${SEED:-7}"
KILL_SEED="${KILL_SEED:-1}"
PRESET="${PRESET:-smoke}"
work="${1:-$(mktemp -d /tmp/ofa-kill-soak.XXXXXX)}"
mkdir -p "$work/logs"
RANDOM="$KILL_SEED"
t_start=$(date +%s.%N)

say() { printf '%s\n' "$*" | tee -a "$work/summary.txt"; }
now_ms() { date +%s%3N; }
fail() { say "FAIL: $*"; exit 1; }

# the command under test; the run directory follows. $! of `"${train[@]}" DIR &` is the JVM's pid
# (the launcher execs java), so kill -9 hits the training process itself
train=("$OFA" train --preset "$PRESET" --seed "$SEED" --resume --out)

# SHA-256 of the final checkpoint's files, one line
final_hashes() {
  local run="$1" ck
  ck="$(tr -d '[:space:]' < "$run/latest")"
  (cd "$run/$ck" && sha256sum params.bin optimizer.bin teacher.bin | awk -v ck="$ck" 'BEGIN {printf "%s:", ck} {printf " %s=%s", $2, $1} END {print ""}')
}

# global step of the checkpoint `latest` names, or - without one
latest_step() {
  local f="$1/latest"
  if [ -s "$f" ]; then tr -d '[:space:]' < "$f" | sed 's/^ckpt-0*//; s/^$/0/'; else echo -; fi
}

# true while a checkpoint is being written: a ckpt-* directory without manifest.json
writing_checkpoint() {
  local d
  for d in "$1"/ckpt-*/; do
    [ -d "$d" ] && [ ! -f "$d/manifest.json" ] && return 0
  done
  return 1
}

"$OFA" --version > /dev/null # builds the application first, so that no kill lands in a build

# ---- 1. reference
say "work dir: $work"
say "command: ${train[*]} <dir>  (kill -9 at random points, then the same command again)"
t0=$(now_ms)
"${train[@]}" "$work/reference" > "$work/logs/reference.log" 2>&1 || fail "the reference run failed (log $work/logs/reference.log)"
ref_ms=$(( $(now_ms) - t0 ))
ref="$(final_hashes "$work/reference")"
say "reference: ${ref_ms} ms; $ref"

# ---- 2. kills at random points
kills=0; in_write=0; resumed_before_kill=0; attempts=0; from_ckpt=0; completed=0; runs=1; equal=0
run="$work/killed-1"
while [ "$kills" -lt "$KILLS" ]; do
  attempts=$((attempts + 1))
  log="$work/logs/attempt-$(printf %03d "$attempts").log"
  before="$(latest_step "$run")"
  [ "$before" != - ] && from_ckpt=$((from_ckpt + 1))
  "${train[@]}" "$run" > "$log" 2>&1 &
  pid=$!
  mode=random
  wait_ms=$(( (RANDOM * 32768 + RANDOM) % (ref_ms + 1) ))
  if [ $((attempts % 3)) -eq 0 ]; then
    mode=in-write
    deadline=$(( $(now_ms) + ref_ms ))
    until writing_checkpoint "$run" || [ "$(now_ms)" -ge "$deadline" ] || ! kill -0 "$pid" 2> /dev/null; do
      sleep 0.01
    done
  else
    sleep "$((wait_ms / 1000)).$(printf %03d $((wait_ms % 1000)))"
  fi
  if kill -0 "$pid" 2> /dev/null; then
    caught_write=no
    if [ "$mode" = in-write ] && writing_checkpoint "$run"; then caught_write=yes; fi
    kill -9 "$pid"
    wait "$pid" 2> /dev/null || true
    kills=$((kills + 1))
    [ "$caught_write" = yes ] && in_write=$((in_write + 1))
    grep -q "resuming " "$log" && resumed_before_kill=$((resumed_before_kill + 1))
    say "kill $kills ($mode$([ "$caught_write" = yes ] && echo ', inside a checkpoint write')): run $runs, latest step $before -> $(latest_step "$run")"
  else
    rc=0; wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "attempt $attempts: the resumed run exited with $rc before its kill (log $log)"
    completed=$((completed + 1))
    got="$(final_hashes "$run")"
    if [ "$got" = "$ref" ]; then equal=$((equal + 1)); else fail "run $runs ended with $got, the reference with $ref"; fi
    say "run $runs completed (attempt $attempts): final checkpoint bit-identical to the reference"
    runs=$((runs + 1))
    run="$work/killed-$runs"
  fi
done
if [ -d "$run" ]; then # the last killed run: resume to its end
  attempts=$((attempts + 1))
  [ "$(latest_step "$run")" != - ] && from_ckpt=$((from_ckpt + 1))
  log="$work/logs/attempt-$(printf %03d "$attempts").log"
  "${train[@]}" "$run" > "$log" 2>&1 || fail "the final resume of run $runs failed (log $log)"
  completed=$((completed + 1))
  got="$(final_hashes "$run")"
  [ "$got" = "$ref" ] || fail "run $runs ended with $got, the reference with $ref"
  equal=$((equal + 1))
  say "run $runs resumed to its end: final checkpoint bit-identical to the reference"
fi

# ---- 3. a damaged newest checkpoint
dmg="$work/damaged"
log="$work/logs/damaged-1.log"
"${train[@]}" "$dmg" > "$log" 2>&1 &
pid=$!
# true once `latest` names a checkpoint and an older complete one is kept beside it
two_checkpoints() {
  local newest d
  [ -s "$dmg/latest" ] || return 1
  newest="$(tr -d '[:space:]' < "$dmg/latest")"
  for d in "$dmg"/ckpt-*/; do
    d="$(basename "$d")"
    [ "$d" \< "$newest" ] && [ -f "$dmg/$d/manifest.json" ] && return 0
  done
  return 1
}
until two_checkpoints || ! kill -0 "$pid" 2> /dev/null; do sleep 0.01; done
kill -9 "$pid" 2> /dev/null || fail "the damaged-checkpoint run ended before it had two checkpoints"
wait "$pid" 2> /dev/null || true
newest="$(tr -d '[:space:]' < "$dmg/latest")"
size=$(stat -c %s "$dmg/$newest/params.bin")
truncate -s $((size / 2)) "$dmg/$newest/params.bin"
log="$work/logs/damaged-2.log"
"${train[@]}" "$dmg" > "$log" 2>&1 || fail "resume after damaging $newest/params.bin failed (log $log)"
grep -q "warning: checkpoint $newest is damaged" "$log" || fail "no warning about the damaged $newest (log $log)"
fallback="$(grep -o "resuming from ckpt-[0-9]*" "$log" | head -1 | sed 's/resuming from //')"
got="$(final_hashes "$dmg")"
[ "$got" = "$ref" ] || fail "the run resumed from $fallback ended with $got, the reference with $ref"
say "damaged newest checkpoint: $newest/params.bin cut from $size to $((size / 2)) bytes; resumed from $fallback with a warning; final checkpoint bit-identical to the reference"

wall=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
say "kills: $kills ($in_write inside a checkpoint write; $resumed_before_kill after the resumed process had loaded its checkpoint)"
say "resumes: $attempts started ($from_ckpt of them with a checkpoint to resume), none failed; runs completed: $completed, bit-identical to the reference: $equal (+1 after the damaged checkpoint)"
say "wall time: ${wall} s"
say "PASS"
