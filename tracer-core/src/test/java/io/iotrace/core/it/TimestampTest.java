package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recorded timestamps are CLOCK_REALTIME whichever clock source the shim reads (the TSC extrapolated from a
 * per-thread anchor, or clock_gettime): every write of clock_check lies between the program's own CLOCK_REALTIME
 * readings just before and just after the call, within the extrapolation error allowed below, no record ends
 * before it starts, and a thread's time_start values rise strictly (the collector's resume logic relies on it). The program sleeps every 100 calls, so stale anchors are renewed along the way.
 */
class TimestampTest
{
    /** the TSC extrapolation's error bound (its measured error is a few tens of ns); this is not a timing test */
    private static final long TOLERANCE_NS = 1_000;

    @TempDir
    Path work;

    @ParameterizedTest(name = "IOTRACE_CLOCK={0}")
    @ValueSource(strings = {"tsc", "realtime"})
    void shouldRecordRealtimeWithinTheCallWhicheverClockIsRead(final String clock) throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("clock_check", data.toString()).env("IOTRACE_CLOCK", clock)
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        for (int t = 0; t < 2; t++)
        {
            final String file = data.resolve("clock-" + t + ".dat").toString();
            final List<JsonNode> writes = trace.function("write").stream().filter(r -> file.equals(filename(r)))
                .toList();
            final ByteBuffer times = ByteBuffer.wrap(Files.readAllBytes(data.resolve("clock-" + t + ".times")))
                .order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(3000, writes.size(), () -> "writes to " + file + "; " + trace.function("write").size() +
                " write records in all; files " + trace.files() + "; collector.log: " + collectorLog(run));
            assertEquals(3000 * 16, times.capacity());
            long previousStart = Long.MIN_VALUE;
            for (int i = 0; i < writes.size(); i++)
            {
                final long before = times.getLong(16 * i);
                final long after = times.getLong(16 * i + 8);
                final long start = writes.get(i).get("time_start").asLong();
                final long end = writes.get(i).get("time_end").asLong();
                final String where = "thread " + t + " call " + i + ": " + writes.get(i);
                assertTrue(start <= end, where);
                assertTrue(start > previousStart, where + " does not start after the thread's previous call");
                previousStart = start;
                assertTrue(start >= before - TOLERANCE_NS, where + " starts " + (before - start) + " ns early");
                assertTrue(end <= after + TOLERANCE_NS, where + " ends " + (end - after) + " ns late");
            }
        }
    }

    private static String collectorLog(final TracedRun.Outcome run)
    {
        try
        {
            return Files.readString(run.traceDir().resolve("collector.log"));
        }
        catch (final java.io.IOException ex)
        {
            return ex.toString();
        }
    }
}
