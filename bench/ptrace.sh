#!/bin/bash
# ptrace fallback benchmark: ns per openat+close pair, untraced / traced / traced with IOTRACE_PTRACE=on, for pairs
# made through libc (the wrappers see them; the seccomp filter lets them through) and with a raw syscall
# instruction (only the fallback sees them: two ptrace stops per pair). Then ns per 4 KiB write of a statically
# linked program (bench/io_loop write) untraced and under `iotrace run --ptrace-only`, where every write stops
# (a seccomp stop and its exit stop) and is recorded, and their ratio. Medians of interleaved rounds.
# Usage: bench/ptrace.sh [rounds] [pairs] [writes]   (needs `make` first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
pairs=${2:-20000}
writes=${3:-20000}
shim=$root/native-shim/build/libiotrace_shared.so
collector=$root/native-shim/build/iotrace-collector
make -s -C "$root/bench" >/dev/null
loop=$root/bench/build/openclose_loop
tmp=$(mktemp -d /tmp/iotrace-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

echo "== openat(/dev/null)+close x $pairs, ns per pair (in-loop), $rounds rounds interleaved"
for mode in libc raw; do
  for kind in untraced traced fallback; do : > "$tmp/$mode-$kind"; done
done
for r in $(seq "$rounds"); do
  for mode in libc raw; do
    "$loop" "$mode" "$pairs" | awk '{print $2}' >> "$tmp/$mode-untraced"
    IOTRACE_DIR="$tmp/t-$mode-$r" LD_PRELOAD="$shim" "$loop" "$mode" "$pairs" | awk '{print $2}' >> "$tmp/$mode-traced"
    "$collector" await "$tmp/t-$mode-$r" >/dev/null 2>&1 || true
    IOTRACE_PTRACE=on IOTRACE_DIR="$tmp/p-$mode-$r" LD_PRELOAD="$shim" "$loop" "$mode" "$pairs" \
      | awk '{print $2}' >> "$tmp/$mode-fallback"
    "$collector" await "$tmp/p-$mode-$r" >/dev/null 2>&1 || true
    rm -rf "$tmp/t-$mode-$r" "$tmp/p-$mode-$r"
  done
done
printf "%-6s %12s %12s %22s\n" calls untraced traced "traced+ptrace fallback"
for mode in libc raw; do
  printf "%-6s %12s %12s %22s\n" "$mode" "$(median < "$tmp/$mode-untraced")" "$(median < "$tmp/$mode-traced")" \
    "$(median < "$tmp/$mode-fallback")"
done
echo "(libc pairs never stop under the fallback's filter; raw pairs are invisible without it and stop twice each with it)"

echo
echo "== write(4 KiB) x $writes of a static program, ns per call (in-loop wall-clock), $rounds rounds interleaved"
static_loop=$root/bench/build/io_loop-static
iotrace=$root/bin/iotrace
# free: the tracer may run on the other CPU; pinned: program and tracer on CPU 0 (taskset; the collector unbinds
# itself), where a stop costs a switch between the two instead of a wake-up across CPUs
for placement in free pinned; do : > "$tmp/w-$placement-untraced"; : > "$tmp/w-$placement-ptrace"; done
for r in $(seq "$rounds"); do
  for placement in free pinned; do
    pin=(); [ "$placement" = pinned ] && pin=(taskset -c 0)
    mkdir -p "$tmp/w"
    "${pin[@]}" "$static_loop" write "$writes" "$tmp/w" | awk '{print $2}' >> "$tmp/w-$placement-untraced"
    "${pin[@]}" "$iotrace" run --ptrace-only -d "$tmp/pw-$r" -- "$static_loop" write "$writes" "$tmp/w" 2>/dev/null \
      | awk '{print $2}' >> "$tmp/w-$placement-ptrace"
    rm -rf "$tmp/pw-$r"
  done
done
printf "%-8s %12s %26s %8s\n" "" untraced "iotrace run --ptrace-only" ratio
for placement in free pinned; do
  untraced=$(median < "$tmp/w-$placement-untraced")
  ptraced=$(median < "$tmp/w-$placement-ptrace")
  printf "%-8s %12s %26s %8s\n" "$placement" "$untraced" "$ptraced" \
    "$(awk -v a="$ptraced" -v b="$untraced" 'BEGIN {printf "x%.1f", a / b}')"
done
echo "(each write stops twice: the seccomp stop, then its exit stop for the result; nothing is preloaded)"
