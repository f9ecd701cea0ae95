package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One ptrace fallback tracer per session (ptrace-fallback/src/service.c): separate process trees of one session
 * (each a test_programs/ptrace_join started by the test, none the child of another) are seized by the tracer the
 * first one started, which they ask over the session's socket; a tree that starts while that tracer lingers after
 * its last tracee, or is just leaving, is traced all the same (joined, or by a tracer of its own). Each tree prints
 * its TracerPid and makes one raw openat/close that only the tracer sees: it must be recorded exactly once, named.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PtraceSessionTracerTest
{
    @TempDir
    Path work;

    private TracedRun tree(final Path file, final Path trace, final String... more)
    {
        final List<String> args = new ArrayList<>(List.of(file.toString()));
        args.addAll(List.of(more));
        return TracedRun.program("ptrace_join", args.toArray(String[]::new)).env("IOTRACE_PTRACE", "on")
            .traceDir(trace);
    }

    /** The tracer a finished tree printed ("tracer N", then "done"). */
    private static long tracerOf(final TracedRun.Outcome outcome)
    {
        assertEquals(0, outcome.exitStatus(), outcome.stdout() + outcome.stderr());
        assertEquals("", outcome.stderr());
        final String[] lines = outcome.stdout().split("\n");
        assertEquals(2, lines.length, outcome.stdout());
        assertEquals("done", lines[1]);
        return Long.parseLong(lines[0].substring("tracer ".length()));
    }

    @Test
    void separateTreesOfOneSessionShareOneTracer() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path trace = work.resolve("trace");
        final TracedRun.Started keeper = tree(data.resolve("keeper.dat"), trace, "wait").start(work);
        final long tracer = Long.parseLong(keeper.readLine().substring("tracer ".length()));
        assertEquals("done", keeper.readLine());
        if (0 == tracer)
        {
            keeper.process().getOutputStream().write('g');
            keeper.process().getOutputStream().close();
            keeper.finish(Duration.ofSeconds(60)).awaitTrace();
            final List<JsonNode> unavailable = TraceRecords.load(trace).warnings().stream()
                .filter(w -> "ptrace_unavailable".equals(w.path("function_name").asText())).toList();
            Assumptions.abort("ptrace fallback not available here: " + unavailable);
        }
        assertEquals("iotrace-ptrace", Files.readString(Path.of("/proc", Long.toString(tracer), "comm")).strip());

        // three trees one after the other, then three at once, while the keeper's tree holds the tracer
        final List<String> files = new ArrayList<>(List.of("keeper.dat"));
        final List<Long> tracers = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            files.add("sequential-" + i + ".dat");
            tracers.add(tracerOf(tree(data.resolve(files.getLast()), trace).start(work)
                .finish(Duration.ofSeconds(60))));
        }
        final List<TracedRun.Started> together = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            files.add("parallel-" + i + ".dat");
            together.add(tree(data.resolve(files.getLast()), trace).start(work));
        }
        for (final TracedRun.Started started : together)
        {
            tracers.add(tracerOf(started.finish(Duration.ofSeconds(60))));
        }
        assertEquals(List.of(tracer, tracer, tracer, tracer, tracer, tracer), tracers);

        keeper.process().getOutputStream().write('g');
        keeper.process().getOutputStream().close();
        assertEquals(0, keeper.finish(Duration.ofSeconds(60)).exitStatus());
        assertTrue(TraceSession.awaitCollector(trace, Duration.ofSeconds(60)));
        assertEachRecordedOnce(TraceRecords.load(trace), data, files);
    }

    @Test
    void aTreeStartingWhileTheTracerLingersOrLeavesIsTraced() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path trace = work.resolve("trace");
        // the tracer lingers as long as the collector (300 ms here) after its last tree ended; the trees start
        // right after the previous one ended, around the moment the tracer leaves, and well after it left
        final long linger = 300;
        final long[] pauses = {0, 0, 250, 280, 295, 300, 305, 320, 350, 1000, 0, 290, 310, 1000};
        final List<String> files = new ArrayList<>();
        final List<Long> tracers = new ArrayList<>();
        for (int i = 0; i < pauses.length; i++)
        {
            Thread.sleep(pauses[i]);
            files.add("tree-" + i + ".dat");
            final long tracer = tracerOf(tree(data.resolve(files.getLast()), trace)
                .env("IOTRACE_COLLECTOR_LINGER_MS", Long.toString(linger)).start(work).finish(Duration.ofSeconds(60)));
            if (0 == i && 0 == tracer)
            {
                Assumptions.abort("ptrace fallback not available here");
            }
            assertNotEquals(0L, tracer, "tree " + i + " (after a pause of " + pauses[i] + " ms) is not traced");
            tracers.add(tracer);
        }
        // joined while lingering; a new tracer once the old one had left
        assertEquals(tracers.get(0), tracers.get(1));
        assertEquals(tracers.get(9), tracers.get(10));
        assertNotEquals(tracers.get(8), tracers.get(9));
        assertNotEquals(tracers.get(12), tracers.get(13));
        assertTrue(TraceSession.awaitCollector(trace, Duration.ofSeconds(60)));
        assertEachRecordedOnce(TraceRecords.load(trace), data, files);
    }

    /** Each file's raw openat and close recorded once by the tracer, its write once by the shim, all named. */
    private static void assertEachRecordedOnce(final TraceRecords trace, final Path data, final List<String> files)
    {
        for (final String file : files)
        {
            final String name = data.resolve(file).toString();
            assertEquals(List.of("openat", "close"), trace.where(r -> name.equals(filename(r)) &&
                "syscall".equals(r.path("function_data").path("source").asText())).stream()
                .map(TraceRecords::functionName).toList(), file);
            assertEquals(1, trace.where(r -> "write".equals(functionName(r)) && name.equals(filename(r))).size(), file);
            assertEquals(1, trace.warnings().stream().filter(w -> w.get("message").asText()
                .startsWith("openat(\"" + name + "\") = 3 bypassed the libc wrappers")).count(), file);
        }
        assertTrue(trace.where(r -> r.has("traced_filename") && filename(r).contains("unresolved")).isEmpty());
    }
}
