package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** No collector at all (IOTRACE_COLLECTOR=none): rings and spill files hold everything until `recover`. */
class RecoverTest
{
    @TempDir
    Path work;

    @Test
    void shouldRecoverEveryEventOfEightThreadsFromRingAndSpillFile() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("threads", data.toString(), "8", "10000")
            .env("IOTRACE_COLLECTOR", "none")
            .env("IOTRACE_RING_SIZE", "65536")
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertTrue(Files.list(TraceSession.runtimeDirFor(run.traceDir())).anyMatch(p -> p.toString().endsWith(".ring")),
            "the ring is left for recover");
        assertEquals(1, spillFiles(run.traceDir()).size(), "a 64 KiB ring cannot hold 80,000 events: spilled");

        TracedRun.recover(run.traceDir());
        final TraceRecords trace = TraceRecords.load(run.traceDir());
        final List<JsonNode> writes = trace.function("write");
        assertEquals(80_000, writes.size());
        assertEquals(8, trace.function("open").size());
        assertEquals(8, trace.function("close").size());
        assertTrue(writes.stream().allMatch(w -> filename(w).startsWith(data.resolve("thread-").toString())));
        final var byTid = trace.callsByTid();
        // the main thread only starts the eight writers: its records are the pthread_create calls
        final List<JsonNode> creates = trace.function("pthread_create");
        assertEquals(8, creates.size());
        assertEquals(creates, byTid.remove(creates.get(0).get("tid").asLong()));
        assertEquals(8, byTid.size());
        for (final var thread : byTid.entrySet())
        {
            final List<JsonNode> threadWrites = thread.getValue().stream()
                .filter(r -> "write".equals(TraceRecords.functionName(r))).toList();
            assertEquals("", TraceRecords.sequenceDefects(threadWrites, 10_000, 64), "thread " + thread.getKey());
        }
        assertEquals(List.of(), spillFiles(run.traceDir()));
        assertTrue(Files.list(TraceSession.runtimeDirFor(run.traceDir())).noneMatch(p -> p.toString().endsWith(".ring")));
    }

    @Test
    void shouldKeepSpillingWhenTheProgramClosesTheSpillDescriptor() throws Exception
    {
        final TracedRun.Outcome run = TracedRun.program("fd_closer", "20000")
            .env("IOTRACE_COLLECTOR", "none")
            .env("IOTRACE_RING_SIZE", "65536")
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        TracedRun.recover(run.traceDir());
        final List<JsonNode> writes = TraceRecords.load(run.traceDir()).function("write");
        assertEquals(20_000, writes.size());
        assertTrue(writes.stream().allMatch(w -> "/dev/null".equals(filename(w)) && 1 == data(w, "written_bytes")));
    }

    private static List<Path> spillFiles(final Path traceDir) throws Exception
    {
        final Path dir = traceDir.resolve(".iotrace-spill");
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.toList();
        }
    }
}
