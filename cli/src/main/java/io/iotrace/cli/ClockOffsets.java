package io.iotrace.cli;

import io.iotrace.core.summary.TraceRecord;

/**
 * Clock alignment for {@code iotrace merge}, {@code export} and {@code report}: the offset in ns added to time_start and time_end of a record, so that
 * the records of processes on different nodes sort on one clock. Processes on one node share CLOCK_REALTIME; the
 * offsets of other nodes come from the MPI clock sync records ({@link MpiClockAlignment}).
 */
@FunctionalInterface
public interface ClockOffsets
{
    /** No alignment: every record has offset 0. */
    ClockOffsets NONE = record -> 0;

    /**
     * @param record a record (its hostname and time_start are used).
     * @return ns to add to its times.
     */
    long offsetNs(TraceRecord record);
}
