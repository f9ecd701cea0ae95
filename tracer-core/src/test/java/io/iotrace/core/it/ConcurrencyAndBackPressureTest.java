package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many threads into one ring, and rings far smaller than the burst: nothing lost, order kept per thread. */
class ConcurrencyAndBackPressureTest
{
    @TempDir
    Path work;

    @Test
    void shouldRecordExactlyEveryWriteOfEightThreadsInPerThreadOrder() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("threads", data.toString(), "8", "10000").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final List<JsonNode> writes = run.records().function("write");
        assertEquals(80_000, writes.size());

        final Map<Long, List<JsonNode>> byThread = writes.stream()
            .collect(Collectors.groupingBy(r -> r.get("tid").asLong()));
        assertEquals(8, byThread.size());
        for (final List<JsonNode> thread : byThread.values())
        {
            assertEquals(10_000, thread.size());
            final String file = filename(thread.get(0));
            assertTrue(file.startsWith(data.resolve("thread-").toString()), file);
            long previousStart = 0;
            for (int i = 0; i < thread.size(); i++)
            {
                final JsonNode write = thread.get(i);
                assertEquals((i % 64) + 1, data(write, "written_bytes"), "write " + i + " of a thread in order");
                assertEquals(file, filename(write));
                assertTrue(write.get("time_start").asLong() >= previousStart);
                previousStart = write.get("time_start").asLong();
            }
        }
        assertEquals(8, byThread.values().stream().map(t -> filename(t.get(0))).distinct().count());
    }

    @Test
    void shouldLoseNothingWhenABurstIsFarLargerThanTheRing() throws Exception
    {
        final TracedRun.Outcome run = TracedRun.program("burst", "200000")
            .env("IOTRACE_RING_SIZE", "65536")
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final List<JsonNode> writes = run.records().function("write");
        assertEquals(200_000, writes.size());
        assertTrue(writes.stream().allMatch(w -> "/dev/null".equals(filename(w)) && 8 == data(w, "written_bytes")));
        long backInTime = 0;
        for (int i = 1; i < writes.size(); i++)
        {
            backInTime += writes.get(i).get("time_start").asLong() < writes.get(i - 1).get("time_start").asLong() ? 1 : 0;
        }
        assertEquals(0, backInTime, "places where the one thread's records go back in time");
        // the ring (~1000 records) fills far faster than the collector polls: its records go through the backlog
        final String log = Files.readString(run.traceDir().resolve("collector.log"));
        assertTrue(log.contains("went through the backlog"), log);
        assertFalse(Files.exists(run.traceDir().resolve(".iotrace-spill")) &&
            Files.list(run.traceDir().resolve(".iotrace-spill")).findAny().isPresent(),
            "the live collector drained the ring: the producer waited instead of spilling");
        // the waits are not hidden: the ring header counts them and the collector reports them, once
        final List<String> waited = run.records().warnings().stream().map(w -> w.get("message").asText())
            .filter(m -> m.contains("waited for ring space")).toList();
        assertEquals(1, waited.size(), run.records().warnings().toString());
        final java.util.regex.Matcher counts = java.util.regex.Pattern.compile(
            "(\\d+) records waited for ring space \\(([0-9.]+) ms in all\\): the collector fell behind and " +
            "slowed the program; a larger IOTRACE_RING_SIZE absorbs longer bursts").matcher(waited.get(0));
        assertTrue(counts.matches(), waited.get(0));
        final long records = Long.parseLong(counts.group(1));
        assertTrue(records > 0 && records <= 200_000, waited.get(0));
        assertTrue(Double.parseDouble(counts.group(2)) > 0, waited.get(0));
        assertTrue(Files.readString(run.traceDir().resolve("collector.log")).contains(waited.get(0)));
    }
}
