package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8's fork safety: 8 threads write while the main thread forks 1,000 times; no hang, and every child's
 * trace is complete (its open, write, close and _exit, named), as is every thread's stream of writes.
 */
class ForkSafetyTest
{
    private static final int FORKS = 1000;
    private static final int THREADS = 8;

    @TempDir
    Path work;

    @Test
    void shouldTraceEveryChildOfAThousandForksTakenWhileEightThreadsWrite() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run =
            TracedRun.program("fork_storm", data.toString(), Integer.toString(FORKS), Integer.toString(THREADS))
                .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("forks " + FORKS + " threads " + THREADS, run.stdout().strip());
        final TraceRecords trace = run.records();
        assertTrue(trace.warnings().isEmpty(), trace.warnings().toString());

        final long parent = trace.function("waitpid").get(0).get("pid").asLong();
        final List<JsonNode> forks = trace.pid(parent).function("fork");
        assertEquals(FORKS, forks.size());
        assertEquals(FORKS, trace.pid(parent).function("waitpid").size());
        final String childFile = data.resolve("child.dat").toString();
        for (final JsonNode fork : forks)
        {
            final long child = data(fork, "pid");
            final TraceRecords childTrace = trace.pid(child);
            if (childTrace.all().isEmpty())
            {
                keepForInspection(run.traceDir(), child); // a rare loss under heavy load (issue 8): keep the evidence
            }
            // the fork returns in the child too (result 0), then the child's own calls
            assertEquals(List.of("fork", "open", "write", "close", "_exit"), childTrace.callNames(), "child " + child);
            assertEquals(0, data(childTrace.calls().get(0), "pid"));
            childTrace.calls().subList(1, 4).forEach(r -> assertEquals(childFile, filename(r), r.toString()));
            assertEquals(8, data(childTrace.calls().get(2), "written_bytes"));
            childTrace.calls().forEach(r -> assertEquals(parent, r.get("ppid").asLong()));
        }
        assertEquals(8L * FORKS, Files.size(data.resolve("child.dat")), "every child wrote its tag");

        // every busy thread: open, its writes in order of time, close; the file holds exactly those bytes
        final Map<Long, List<JsonNode>> byTid = trace.pid(parent).callsByTid();
        int busyThreads = 0;
        for (final List<JsonNode> calls : byTid.values())
        {
            final List<JsonNode> writes = calls.stream().filter(r -> "write".equals(TraceRecords.functionName(r)))
                .toList();
            if (calls.isEmpty() || writes.isEmpty() || !filename(writes.get(0)).contains("busy-"))
            {
                continue;
            }
            busyThreads++;
            final String file = filename(writes.get(0));
            writes.forEach(w -> assertEquals(file, filename(w)));
            writes.forEach(w -> assertEquals(16, data(w, "written_bytes")));
            for (int i = 1; i < writes.size(); i++)
            {
                assertTrue(writes.get(i - 1).get("time_start").asLong() <= writes.get(i).get("time_start").asLong());
            }
            assertEquals(16L * writes.size(), Files.size(Path.of(file)), file);
        }
        assertEquals(THREADS, busyThreads);
    }

    /** Copies a failing run's trace dir (JSON, warnings, collector.log) to target/failed-traces for inspection. */
    private static void keepForInspection(final Path traceDir, final long child) throws Exception
    {
        final Path keep = Path.of("target", "failed-traces", "fork-storm-child-" + child).toAbsolutePath();
        Files.createDirectories(keep.getParent());
        new ProcessBuilder("cp", "-r", traceDir.toString(), keep.toString()).start().waitFor();
        System.err.println("ForkSafetyTest: child " + child + " has no records; its run's trace is kept in " + keep);
    }
}
