#!/bin/bash
# Foundation benchmark: prints per-call overhead on a 200,000 x 4 KiB write loop, start-up cost, collector RSS
# and collector throughput, each against an untraced run measured alongside it (rounds interleaved, medians).
# Usage: bench/foundation.sh [rounds]   (needs `make` first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
shim=$root/native-shim/build/libiotrace_shared.so
collector=$root/native-shim/build/iotrace-collector
make -s -C "$root/bench" >/dev/null
loop=$root/bench/build/write_loop
tmp=$(mktemp -d /tmp/iotrace-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

echo "== write(4 KiB) x 200000 to tmpfs, ns per call (in-loop), $rounds rounds interleaved"
: > "$tmp/plain"; : > "$tmp/traced"; : > "$tmp/alone"
for r in $(seq "$rounds"); do
  "$loop" 200000 4096 "$tmp/data" | awk '{print $2}' >> "$tmp/plain"
  # the shim alone: no collector competing for the second core (the ring is left for recover, then removed)
  IOTRACE_DIR="$tmp/alone-$r" IOTRACE_COLLECTOR=none LD_PRELOAD="$shim" "$loop" 200000 4096 "$tmp/data" \
    | awk '{print $2}' >> "$tmp/alone"
  "$collector" recover "$tmp/alone-$r" >/dev/null 2>&1 || true
  IOTRACE_DIR="$tmp/trace-$r" IOTRACE_COLLECTOR_LINGER_MS=5000 LD_PRELOAD="$shim" "$loop" 200000 4096 "$tmp/data" \
    | awk '{print $2}' >> "$tmp/traced"
  "$collector" await "$tmp/trace-$r" >/dev/null 2>&1 || true
done
p=$(median < "$tmp/plain"); t=$(median < "$tmp/traced")
a=$(median < "$tmp/alone")
awk -v p="$p" -v t="$t" 'BEGIN {printf "untraced %.1f ns  traced %.1f ns  ratio %.2f  added %.1f ns per call\n", p, t, t/p, t-p}'
awk -v p="$p" -v t="$a" 'BEGIN {printf "shim alone (no collector running): %.1f ns  ratio %.2f  added %.1f ns per call\n", t, t/p, t-p}'
writes=$(cat "$tmp"/trace-1/*.jsonl | grep -c '"function_name":"write"')
echo "write records in round 1: $writes (expected 200000)"

echo "== collector RSS while draining the write loop (VmHWM, MB)"
IOTRACE_DIR="$tmp/trace-rss" IOTRACE_COLLECTOR_LINGER_MS=3000 LD_PRELOAD="$shim" "$loop" 200000 4096 "$tmp/data" >/dev/null
sleep 0.5
cpid=$(pgrep -f -n "CollectorMain --session-dir" || true)
if [ -n "$cpid" ]; then
  awk '/VmHWM/ {h=$2} /RssAnon/ {a=$2} /RssShmem/ {s=$2} /RssFile/ {f=$2}
       END {printf "collector peak RSS %.1f MB; now: %.1f MB anonymous (JVM), %.1f MB mapped rings, %.1f MB files\n",
            h/1024, a/1024, s/1024, f/1024}' "/proc/$cpid/status"
fi
"$collector" await "$tmp/trace-rss" >/dev/null 2>&1 || true

echo "== start-up: /bin/true, 100 runs, ms per run"
startup() { # $1 = label, rest = env assignments
  local s e; s=$(date +%s%N)
  for i in $(seq 100); do env "${@:2}" /bin/true; done
  e=$(date +%s%N); awk -v ns="$(( e - s ))" 'BEGIN {printf "%.4f\n", ns / 100 / 1e6}'
}
IOTRACE_DIR="$tmp/trace-keep" IOTRACE_COLLECTOR_LINGER_MS=60000 LD_PRELOAD="$shim" sleep 60 &
keeper=$!
sleep 1.5
: > "$tmp/s-plain"; : > "$tmp/s-traced"
for r in $(seq "$rounds"); do
  startup plain X=1 >> "$tmp/s-plain"
  startup traced IOTRACE_DIR="$tmp/trace-keep" LD_PRELOAD="$shim" >> "$tmp/s-traced"
done
kill "$keeper" 2>/dev/null || true
sp=$(median < "$tmp/s-plain"); st=$(median < "$tmp/s-traced")
awk -v p="$sp" -v t="$st" 'BEGIN {printf "collector running: untraced %.3f ms  traced %.3f ms  added %.3f ms per process\n", p, t, t-p}'
s=$(date +%s%N)
for i in $(seq 10); do IOTRACE_DIR="$tmp/trace-spawn-$i" LD_PRELOAD="$shim" /bin/true; done
e=$(date +%s%N)
for i in $(seq 10); do "$collector" await "$tmp/trace-spawn-$i" >/dev/null 2>&1 || true; done
awk -v d="$(( (e - s) / 10 ))" -v p="$sp" 'BEGIN {printf "spawning the collector: traced %.3f ms per process (untraced %.3f ms)\n", d/1e6, p}'
"$collector" await "$tmp/trace-keep" >/dev/null 2>&1 || true

echo "== collector throughput: 1,000,000 events left in a ring, converted by recover"
IOTRACE_DIR="$tmp/trace-tp" IOTRACE_COLLECTOR=none IOTRACE_RING_SIZE=134217728 LD_PRELOAD="$shim" \
  "$loop" 1000000 64 "$tmp/data" >/dev/null
mkdir -p "$tmp/empty"
s=$(date +%s%N); "$collector" recover "$tmp/empty" >/dev/null; e=$(date +%s%N); empty=$(( e - s ))
s=$(date +%s%N); "$collector" recover "$tmp/trace-tp" >/dev/null; e=$(date +%s%N); full=$(( e - s ))
events=$(cat "$tmp"/trace-tp/*.jsonl | wc -l)
bytes=$(cat "$tmp"/trace-tp/*.jsonl | wc -c)
awk -v n="$events" -v f="$full" -v z="$empty" -v b="$bytes" 'BEGIN {
  printf "%d records in %.2f s (JVM start-up of %.2f s subtracted): %.2f M events/s, %.0f JSON bytes per event\n",
         n, (f-z)/1e9, z/1e9, n/((f-z)/1e9)/1e6, b/n }'
