#!/bin/sh
# `make demo`: traces the bundled sample program with `iotrace run`, then shows what the other subcommands make of
# the trace: a summary, an HTML report and a Perfetto timeline.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
iotrace="$root/bin/iotrace"
make -s -C "$root/samples" >/dev/null
out="$root/iotrace-demo"
work=$(mktemp -d)
rm -rf "$out"
echo "\$ bin/iotrace run -d iotrace-demo -- samples/build/sample_io $work"
"$iotrace" run -d "$out" -- "$root/samples/build/sample_io" "$work"
echo
echo "\$ bin/iotrace summary iotrace-demo"
"$iotrace" summary "$out"
echo
"$iotrace" report "$out" -o "$out/report.html"
"$iotrace" export "$out" --format perfetto -o "$out/perfetto.json" --no-progress
echo "Report: $out/report.html (open in a browser); timeline: $out/perfetto.json (open in ui.perfetto.dev)"
rm -rf "$work"
