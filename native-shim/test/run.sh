#!/bin/sh
# Throwaway self-check of the shim (not CI): builds the workloads, runs them traced with no collector and checks
# that ring + spill hold exactly the expected records. usage: test/run.sh  (after `make`)
set -e
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../build/libiotrace_shared.so
tmp=$(mktemp -d /tmp/iotrace-shim-test.XXXXXX)
gcc -O2 -o "$tmp/workload" "$here/workload.c" -lpthread 2>/dev/null
export IOTRACE_RUNTIME_DIR=$tmp/rt IOTRACE_COLLECTOR=none IOTRACE_DIR=$tmp/out
check() { # expected-writes ring-size args...
  want=$1 size=$2; shift 2
  rm -rf "$tmp/rt" "$tmp/out"
  IOTRACE_RING_SIZE=$size LD_PRELOAD=$lib "$tmp/workload" "$@" > /dev/null
  got=$(cd "$tmp" && python3 -c "
import glob, sys
sys.path.insert(0, '$here')
import ringdump
n = 0
for f in glob.glob('rt/*/*/*.ring') + glob.glob('out/.iotrace-spill/*.spill'):
    h, recs = ringdump.records(f)
    assert h['lost'] == 0, f
    n += sum(1 for r in recs if r['fn'] == 'write')
print(n)")
  [ "$got" = "$want" ] && echo "ok   $* (ring $size): $got writes" || { echo "FAIL $* (ring $size): $got writes, want $want"; exit 1; }
}
check 1 65536 basic
check 100000 65536 writes 100000
check 100000 4194304 writes 100000
check 80000 65536 threads 8 10000
check 80000 4194304 threads 8 10000
check 2 4194304 fork
check 4 4194304 exec
check 20000 65536 closespill 20000
LD_PRELOAD=$lib /bin/ls / > /dev/null && LD_PRELOAD=$lib bash -c 'echo hi | cat' > /dev/null && echo "ok   ls, bash pipe"
rm -rf "$tmp"
