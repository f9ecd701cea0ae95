#!/bin/sh
# Builds the collector JVM's AOT cache (JDK 25: JEP 483 classes loaded and linked ahead of time, JEP 515 method
# profiles): a training session traces bench/io_loop (write, pread, open/close, fwrite) and the sample program with a
# collector started with -XX:AOTCacheOutput, which writes the cache when it exits. The launcher uses the cache when
# it is there (scripts/make-launcher.sh). Why: the collector's C2 then compiles the drain from the training run's
# profiles and reaches its steady rate after ~1 M events instead of ~2-3 M (bench/drain.sh, README); its classes
# come mapped, not loaded and verified.
#   scripts/train-collector.sh JAVA ROOT CACHE      (the cache is only valid for this JDK and these exact jars)
# A failed training leaves no cache and a one-line warning: the collector then runs without one, only slower at
# first.
java=$1 root=$2 cache=$3
shim=$root/native-shim/build/libiotrace_shared.so
warn() { echo "train-collector: $*; the collector runs without an AOT cache (slower to warm up)" >&2; rm -f "$cache"; exit 0; }
make -s -C "$root/bench" build/io_loop >/dev/null || warn "cannot build bench/build/io_loop"
make -s -C "$root/samples" >/dev/null || warn "cannot build samples/build/sample_io"
base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/iotrace-train.XXXXXX") || warn "cannot make a directory in $base"
trap 'rm -rf "$work"' EXIT
rm -f "$cache"
# the launcher's options with -XX:AOTCacheOutput instead of -Xshare:auto (the two exclude each other)
"$root/scripts/make-launcher.sh" "$java" "$root" --training "$cache" > "$work/train-launcher" && chmod 755 "$work/train-launcher" ||
  warn "cannot write the training launcher"
mkdir -p "$work/data"
# one session: the first process spawns the collector, which lingers between the processes
run() {
  IOTRACE_RUNTIME_DIR="$work/rt" IOTRACE_DIR="$work/trace" IOTRACE_COLLECTOR="$work/train-launcher" \
    IOTRACE_COLLECTOR_LINGER_MS=3000 IOTRACE_PTRACE=off LD_PRELOAD="$shim" "$@" >/dev/null 2>&1
}
for round in 1 2 3; do
  run "$root/bench/build/io_loop" write 200000 "$work/data" || warn "the training workload failed"
  run "$root/bench/build/io_loop" openclose 100000 "$work/data"
  run "$root/bench/build/io_loop" pread 100000 "$work/data"
  run "$root/bench/build/io_loop" fwrite1 100000 "$work/data"
  run "$root/samples/build/sample_io" "$work/data"
done
# the collector exits after its linger and writes the cache (a second JVM assembles it): wait up to 120 s
lock=$(find "$work/rt" -name collector.lock 2>/dev/null | head -1)
[ -n "$lock" ] || warn "no collector session was made"
i=0
while [ $i -lt 1200 ]; do
  if [ -s "$cache" ] && flock -n "$lock" true 2>/dev/null && ! pgrep -f -- "-XX:AOTCacheOutput=$cache" >/dev/null; then
    echo "train-collector: AOT cache $cache ($(du -m "$cache" | cut -f1) MB)"
    exit 0
  fi
  sleep 0.1; i=$((i + 1))
done
warn "no AOT cache after 120 s"
