#!/bin/sh
# `make demo`: traces the bundled sample program and prints where the trace is, with a short summary.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$root/samples" >/dev/null
out="$root/iotrace-demo"
work=$(mktemp -d)
rm -rf "$out"
echo "Tracing: samples/build/sample_io $work"
IOTRACE_DIR="$out" LD_PRELOAD="$root/native-shim/build/libiotrace_shared.so" "$root/samples/build/sample_io" "$work"
"$root/native-shim/build/iotrace-collector" await "$out"
echo
echo "Trace written to $out:"
ls -1 "$out" | sed 's/^/  /'
echo
"$root/native-shim/build/iotrace-collector" summary "$out"
rm -rf "$work"
