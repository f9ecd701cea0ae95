#!/bin/bash
# Instructions per traced call on the app thread, counted by callgrind (repeatable on a noisy shared machine, unlike
# wall-clock time): the difference of two runs of N and 2N calls, divided by N, so process start-up cancels out.
# Traced runs use IOTRACE_COLLECTOR=none (the shim alone; the events stay in the ring and are then discarded) and
# IOTRACE_CLOCK=realtime: under valgrind a clock_gettime takes longer than the TSC anchor's pair may (2^10 ticks, see
# native-shim/src/clock.c), so with the TSC every timestamp would take the re-anchoring path, which real runs take
# once per ~0.8 ms; with clock_gettime timestamps every run takes one path, the same every time.
# Usage: bench/instructions.sh [N] [modes...]   (needs `make` first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20000}; shift || true
modes=${*:-write pread openclose fwrite1}
shim=$root/native-shim/build/libiotrace_shared.so
make -s -C "$root/bench" >/dev/null
loop=$root/bench/build/io_loop
tmp=$(mktemp -d /dev/shm/iotrace-instr.XXXXXX)   # rings under it too (IOTRACE_RUNTIME_DIR)
trap 'rm -rf "$tmp"' EXIT
count() { # $1 = mode, $2 = calls, rest = env assignments; prints the instructions of the whole run
  local out=$tmp/cg.out
  env "${@:3}" valgrind --tool=callgrind --callgrind-out-file="$out" "$loop" "$1" "$2" "$tmp" >/dev/null 2>&1
  awk '/^totals:/ {print $2}' "$out"
}
printf "%-10s %12s %12s %10s\n" mode untraced traced added
for m in $modes; do
  u1=$(count "$m" "$n" X=1); u2=$(count "$m" $((2 * n)) X=1)
  traced=(IOTRACE_RUNTIME_DIR="$tmp/rt" IOTRACE_COLLECTOR=none IOTRACE_CLOCK=realtime LD_PRELOAD="$shim")
  t1=$(count "$m" "$n" IOTRACE_DIR="$tmp/t1" "${traced[@]}")
  t2=$(count "$m" $((2 * n)) IOTRACE_DIR="$tmp/t2" "${traced[@]}")
  rm -rf "$tmp/t1" "$tmp/t2" "$tmp/rt"
  awk -v m="$m" -v n="$n" -v u1="$u1" -v u2="$u2" -v t1="$t1" -v t2="$t2" 'BEGIN {
    u = (u2 - u1) / n; t = (t2 - t1) / n
    printf "%-10s %12.1f %12.1f %10.1f  instructions per call\n", m, u, t, t - u }'
done
