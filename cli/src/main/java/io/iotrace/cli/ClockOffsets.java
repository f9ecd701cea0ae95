package io.iotrace.cli;

import io.iotrace.core.summary.TraceRecord;

import java.nio.file.Path;

/**
 * Clock alignment for {@code iotrace merge}: the offset in ns added to time_start and time_end of every record of a
 * process file, so that the records of processes on different nodes sort on one clock. Processes on one node share
 * CLOCK_REALTIME, so today the offset is 0; issue 5 (MPI) will measure per-rank offsets and write clock alignment
 * records, and an implementation of this interface that reads them plugs in here.
 */
@FunctionalInterface
interface ClockOffsets
{
    /** No alignment: every process file has offset 0. */
    ClockOffsets NONE = (file, first) -> 0;

    /**
     * @param file  a process file.
     * @param first its first record (null when empty).
     * @return ns to add to its records' times.
     */
    long offsetNs(Path file, TraceRecord first);
}
