#!/bin/bash
# How much of a traced write's cost is the collector draining at the same time on the other core: the "steady"
# workload of bench/run.sh (600,000 untimed writes, then 200,000 timed; io_loop's median call), untraced, traced
# with the session's collector draining, and traced with the collector stopped (SIGSTOP) for the whole run. A
# 128 MiB ring holds all 800,000 records, so the stopped case never waits for ring space.
#   bench/collector-interference.sh [ROUNDS]   (default 5; needs `make` first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
shim=$root/native-shim/build/libiotrace_shared.so
[ -e "$shim" ] || { echo "bench/collector-interference.sh: $shim missing: run make first" >&2; exit 1; }
make -s -C "$root/bench" >/dev/null
loop=$root/bench/build/io_loop
tmp=$(mktemp -d /dev/shm/iotrace-interference.XXXXXX)
export IOTRACE_RUNTIME_DIR=$tmp/rt
keeper=
cleanup() { [ -n "$keeper" ] && kill "$keeper" 2>/dev/null; sleep 0.5; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/data"
# a traced process that keeps the session (and its collector) alive
IOTRACE_DIR=$tmp/session IOTRACE_COLLECTOR_LINGER_MS=600000 LD_PRELOAD="$shim" sleep 3600 &
keeper=$!
for _ in $(seq 100); do
  cpid=$(pgrep -f -n "CollectorMain --session-dir $IOTRACE_RUNTIME_DIR" || true)
  [ -n "$cpid" ] && break
  sleep 0.1
done
[ -n "$cpid" ] || { echo "bench/collector-interference.sh: no collector started" >&2; exit 1; }
median_call() { awk '{for (i = 1; i < NF; i++) if ($i == "median_ns_per_call") print $(i + 1)}'; }
traced() { IOTRACE_RING_SIZE=134217728 IOTRACE_DIR=$tmp/session LD_PRELOAD="$shim" "$loop" write 200000 "$tmp/data" 600000; }
for _ in $(seq "$rounds"); do
  "$loop" write 200000 "$tmp/data" 600000 | median_call >> "$tmp/untraced"
  traced | median_call >> "$tmp/draining"
  sleep 1 # the collector catches up
  kill -STOP "$cpid"
  traced | median_call >> "$tmp/stopped"
  kill -CONT "$cpid"
  sleep 2 # it drains the stopped run's records before the next round
done
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
u=$(median < "$tmp/untraced"); d=$(median < "$tmp/draining"); s=$(median < "$tmp/stopped")
awk -v u="$u" -v d="$d" -v s="$s" -v r="$rounds" 'BEGIN {
  printf "write 4 KiB after 600,000 writes, median call, medians of %d rounds: untraced %.1f ns | traced, collector draining +%.1f ns | traced, collector stopped +%.1f ns\n", r, u, d - u, s - u }'
