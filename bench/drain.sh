#!/bin/bash
# The collector's drain rate (issue 7: >= 2,000,000 events/s decoded, resolved and written as JSON on one core):
# rings filled by a traced io_loop with no collector, converted by the collector's own code in one JVM pass after
# pass (bench/jmh DrainBenchmark), so the first pass (the JIT warming up) and the steady state are shown apart.
#   bench/drain.sh [PASSES] [EVENTS]     (default 7 passes of 1,000,000 events; needs `make` first)
# Workloads: write (1 write event per call: fd resolution) and openclose (open with its path, close), plain JSON,
# IOTRACE_COMPRESS=gzip and zstd. The JVM runs with the collector launcher's options (its heap, its JIT settings), once
# without and once with an AOT cache trained like the launcher's (scripts/train-collector.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
passes=${1:-7}
events=${2:-1000000}
shim=$root/native-shim/build/libiotrace_shared.so
launcher=$root/native-shim/build/iotrace-collector
for f in "$shim" "$launcher"; do [ -e "$f" ] || { echo "bench/drain.sh: $f missing: run make first" >&2; exit 1; }; done
make -s -C "$root/bench" >/dev/null
jmh=$root/bench/jmh/target
tmp_build_log=$(mktemp /tmp/iotrace-drain-build.XXXXXX)
trap 'rm -f "$tmp_build_log"' EXIT
if [ ! -e "$jmh/classes/io/iotrace/core/collector/DrainBenchmark.class" ] || [ ! -d "$jmh/lib" ] ||
   [ -n "$(find "$root/bench/jmh/src" -newer "$jmh/classes/io/iotrace/core/collector/DrainBenchmark.class")" ] ||
   [ "$root/tracer-core/target/tracer-core.jar" -nt "$jmh/lib/tracer-core-0.1.0-SNAPSHOT.jar" ]; then
  JAVA_HOME=$("$root/scripts/find-jdk.sh") || exit 1 # Maven needs JDK 25 (the default java may be older)
  export JAVA_HOME
  (cd "$root" && mvn -q -B -Pbench -pl bench/jmh -am package -DskipTests -Diotrace.home="$root" >"$tmp_build_log" 2>&1) ||
    { echo "bench/drain.sh: building bench/jmh failed (mvn -Pbench -pl bench/jmh -am package):" >&2; tail -20 "$tmp_build_log" >&2; exit 1; }
fi
# the launcher's java and JVM options: everything between `exec "<java>"` and -cp, without its class sharing choice
# ($share: the AOT cache or -Xshare:auto), which is made here for the benchmark's own classpath
java=$(sed -n 's/^.*exec "\([^"]*\)".*$/\1/p' "$launcher")
options=$(tr -d '\\\n' < "$launcher" | sed -n 's/^.*exec "[^"]*"\(.*\) -cp .*$/\1/p')
case "$options" in *-Xmx*'$share'*|*'$share'*-Xmx*) ;; *) echo "bench/drain.sh: cannot read the JVM options from $launcher" >&2; exit 1 ;; esac
options=${options/'$share'/}
# an AOT cache (JDK 25) needs a classpath of jars only
classpath="$(ls "$jmh"/iotrace-jmh-*.jar):$jmh/lib/*"

tmp=$(mktemp -d /dev/shm/iotrace-drain.XXXXXX)
trap 'rm -rf "$tmp" "$tmp_build_log"' EXIT
mkdir -p "$tmp/data"

# The AOT cache, trained like the collector launcher's (scripts/train-collector.sh, ~2 M events of io_loop in one
# JVM): three passes over other rings of the same workloads (600,000 write and open/close events, plain JSON), then
# used by the runs below marked "AOT cache".
IOTRACE_RUNTIME_DIR="$tmp/rt-train" IOTRACE_DIR="$tmp/trace-train" IOTRACE_COLLECTOR=none \
  IOTRACE_RING_SIZE=134217728 LD_PRELOAD="$shim" "$root/bench/build/io_loop" write 300000 "$tmp/data" >/dev/null
IOTRACE_RUNTIME_DIR="$tmp/rt-train" IOTRACE_DIR="$tmp/trace-train" IOTRACE_COLLECTOR=none \
  IOTRACE_RING_SIZE=134217728 LD_PRELOAD="$shim" "$root/bench/build/io_loop" openclose 150000 "$tmp/data" >/dev/null
train_rings=$(dirname "$(find "$tmp/rt-train" -name '*.ring' | head -1)")
# shellcheck disable=SC2086 # the options are words
MALLOC_ARENA_MAX=1 "$java" $options -XX:AOTCacheOutput="$tmp/drain.aot" -cp "$classpath" \
  io.iotrace.core.collector.DrainBenchmark "$train_rings" "$tmp/work-train" 3 >/dev/null 2>&1 ||
  { echo "bench/drain.sh: training the AOT cache failed" >&2; exit 1; }
rm -rf "$tmp/rt-train" "$tmp/trace-train" "$tmp/work-train"
for workload in write openclose; do
  calls=$events; [ "$workload" = openclose ] && calls=$((events / 2)) # a pair is two events
  # the rings of a run without collector (a ring that holds them all: 128 MiB)
  IOTRACE_RUNTIME_DIR="$tmp/rt-$workload" IOTRACE_DIR="$tmp/trace-$workload" IOTRACE_COLLECTOR=none \
    IOTRACE_RING_SIZE=134217728 LD_PRELOAD="$shim" "$root/bench/build/io_loop" "$workload" "$calls" "$tmp/data" \
    >/dev/null
  rings=$(dirname "$(find "$tmp/rt-$workload" -name '*.ring' | head -1)")
  for output in plain gzip zstd; do
    compress=; [ "$output" = plain ] || compress=$output
    for share in -Xshare:auto -XX:AOTCache="$tmp/drain.aot"; do
      case $share in -Xshare*) echo "== $workload, $output JSON, no AOT cache" ;; *) echo "== $workload, $output JSON, AOT cache" ;; esac
      # shellcheck disable=SC2086 # the options are words
      IOTRACE_COMPRESS=$compress MALLOC_ARENA_MAX=1 "$java" $options "$share" -cp "$classpath" \
        io.iotrace.core.collector.DrainBenchmark "$rings" "$tmp/work" "$passes"
    done
  done
  rm -rf "$tmp/rt-$workload" "$tmp/trace-$workload"
done
