#!/bin/sh
# Installs the build tools iotrace needs when they are missing (Debian packages), then checks for JDK 25.
set -e
missing=""
command -v gcc  >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v mvn  >/dev/null 2>&1 || missing="$missing maven"
# real programs the end-to-end tests trace (fio: its psync write count is checked against its own report)
command -v fio  >/dev/null 2>&1 || missing="$missing fio"
# the transparency harness: strace lists every failing syscall of a run; sqlite3 is one of the programs it runs
command -v strace  >/dev/null 2>&1 || missing="$missing strace"
command -v sqlite3 >/dev/null 2>&1 || missing="$missing sqlite3"
# IOTRACE_COMPRESS=zstd: the collector and the readers load libzstd.so.1; the zstd command checks their files in the tests
{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p; } | grep -q 'libzstd\.so\.1 ' || missing="$missing libzstd1"
command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "iotrace setup: installing$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "iotrace setup: missing$missing; install them (Debian: apt-get install$missing)" >&2
    exit 1
  fi
fi
# Optional: headless Chromium loads the HTML page of `iotrace report` in the cli tests (they skip, saying so, when
# it is missing). Installed like the tools above, but a failed install does not stop the build.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "iotrace setup: installing chromium (for the report tests)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      echo "iotrace setup: chromium could not be installed; the report's browser tests will be skipped" >&2
  else
    echo "iotrace setup: chromium missing (Debian: apt-get install chromium); the report's browser tests will be skipped" >&2
  fi
fi
# Optional: Open MPI and MPICH side by side (mpicc.openmpi/mpirun.openmpi, mpicc.mpich/mpirun.mpich) for the MPI-IO
# tests (they skip, saying so, when an implementation is missing).
mpi_missing=""
command -v mpicc.openmpi >/dev/null 2>&1 || mpi_missing="$mpi_missing openmpi-bin libopenmpi-dev"
command -v mpicc.mpich   >/dev/null 2>&1 || mpi_missing="$mpi_missing mpich libmpich-dev"
if [ -n "$mpi_missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "iotrace setup: installing$mpi_missing (for the MPI-IO tests)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $mpi_missing >/dev/null; } ||
      echo "iotrace setup: MPI could not be installed; the MPI-IO tests will be skipped" >&2
  else
    echo "iotrace setup: missing$mpi_missing (Debian: apt-get install$mpi_missing); the MPI-IO tests will be skipped" >&2
  fi
fi
"$(dirname "$0")/find-jdk.sh" >/dev/null
